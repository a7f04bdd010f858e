#include "util/text.h"

#include <gtest/gtest.h>

namespace alike {
namespace {

TEST(TextTest, SplitsAndJoinsLists) {
  EXPECT_EQ(SplitList("cnn,color"), (std::vector<std::string>{"cnn", "color"}));
  EXPECT_EQ(SplitList(",a,,b,"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(SplitList("").empty());
  EXPECT_EQ(SplitList("a b", ' '), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(JoinList({"a", "b", "c"}, ", "), "a, b, c");
  EXPECT_EQ(JoinList({}), "");
  EXPECT_EQ(JoinList(SplitList("x,y")), "x,y");
}

}  // namespace
}  // namespace alike
