#include "alike/status.h"

#include <gtest/gtest.h>

namespace alike {
namespace {

TEST(StatusTest, OkHasNoMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeAndContext) {
  Status s = Status::NotFound("collection 'faces'").WithContext("search");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_EQ(s.ToString(), "not found: search: collection 'faces'");
  EXPECT_STREQ(Status::CodeName(s.code()), "not_found");
}

TEST(ResultTest, HoldsValueOrError) {
  Result<int> good(42);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad(Status::InvalidArgument("k must be positive"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "k must be positive");
}

}  // namespace
}  // namespace alike
