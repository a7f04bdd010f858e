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

TEST(TextTest, HexRoundTripsAndNamesWhatIsWrong) {
  const std::vector<uint8_t> bytes = {0x00, 0x7f, 0xa5, 0xff};
  EXPECT_EQ(HexString(bytes), "007fa5ff");
  auto parsed = ParseHex("007FA5ff", "hash");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, bytes);
  EXPECT_EQ(ParseHex("abc", "hash").status().message(), "hash has an odd number of hex digits (3)");
  EXPECT_EQ(ParseHex("0g", "hash").status().message(),
            "hash has a non-hex character 'g' at position 1");
  EXPECT_TRUE(ParseHex("", "hash")->empty());
}

}  // namespace
}  // namespace alike
