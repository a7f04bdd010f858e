// The shard query encoding: requests and replies survive the trip exactly (floats included),
// errors keep their codes, and malformed text is refused clearly.
#include "cluster/shard_query.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace alike::cluster {
namespace {

TEST(ClusterShardQueryTest, ARequestRoundTripsExactly) {
  const std::vector<float> a = {0.1f, -3.4028235e38f, 1e-45f, std::nextafter(1.0f, 2.0f)};
  const std::vector<float> b = {1, 2, 3, 4};
  const std::vector<Query> queries = {{.vector = a}, {.vector = b}};
  const SearchOptions options{.k = 7,
                              .filter = R"({"album": "2024"})",
                              .max_distance = 0.3f,
                              .ef = 99,
                              .exact = true,
                              .with_payload = false};
  auto decoded = DecodeShardQuery(
      EncodeShardQuery(queries, options, /*min_seq=*/42, std::chrono::milliseconds(750)));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->queries.size(), 2u);
  EXPECT_EQ(
      std::vector<float>(decoded->queries[0].vector.begin(), decoded->queries[0].vector.end()), a);
  EXPECT_EQ(decoded->vectors[1], b);
  EXPECT_EQ(decoded->options.k, 7u);
  EXPECT_EQ(decoded->options.filter, options.filter);
  EXPECT_EQ(decoded->options.max_distance, 0.3f);
  EXPECT_EQ(decoded->options.ef, 99u);
  EXPECT_TRUE(decoded->options.exact);
  EXPECT_FALSE(decoded->options.with_payload);
  EXPECT_EQ(decoded->min_seq, 42u);
  EXPECT_EQ(decoded->wait, std::chrono::milliseconds(750));

  const std::vector<uint8_t> bits = {0x00, 0xff, 0x5a};
  auto binary = DecodeShardQuery(EncodeShardQuery(std::vector<Query>{{.binary = bits}}, {}, 0, {}));
  ASSERT_TRUE(binary.ok()) << binary.status().ToString();
  EXPECT_EQ(binary->binaries.at(0), bits);
  EXPECT_FALSE(binary->options.max_distance.has_value());
  EXPECT_EQ(binary->min_seq, 0u);
}

TEST(ClusterShardQueryTest, RepliesRoundTripHitsAndErrors) {
  const std::vector<std::vector<Hit>> hits = {
      {{.id = 7, .distance = 0.123456789f, .payload = R"({"a":1})"}, {.id = 1, .distance = 2}}, {}};
  auto decoded = DecodeShardReply(EncodeShardReply(hits));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->size(), 2u);
  ASSERT_EQ((*decoded)[0].size(), 2u);
  EXPECT_EQ((*decoded)[0][0].id, 7u);
  EXPECT_EQ((*decoded)[0][0].distance, 0.123456789f);
  EXPECT_EQ((*decoded)[0][0].payload, R"({"a":1})");
  EXPECT_EQ((*decoded)[0][1].payload, "");
  EXPECT_TRUE((*decoded)[1].empty());

  auto error = DecodeShardReply(EncodeShardReply(Status::InvalidArgument("dimension 3, not 16")));
  ASSERT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(error.status().message(), "dimension 3, not 16");
}

TEST(ClusterShardQueryTest, MalformedTextIsRefused) {
  for (const char* bad : {"", "[1]", R"({"queries": "x"})", R"({"k": 3})",
                          R"({"queries": [[1]], "binary": [[1]]})"}) {
    auto request = DecodeShardQuery(bad);
    ASSERT_FALSE(request.ok()) << bad;
    EXPECT_EQ(request.status().code(), Status::Code::kInvalidArgument) << bad;
  }
  auto reply = DecodeShardReply(R"({"results": [[{"id": "x"}]]})");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.status().code(), Status::Code::kCorruption);
}

}  // namespace
}  // namespace alike::cluster
