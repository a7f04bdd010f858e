#include "server/metrics.h"

#include <gtest/gtest.h>

namespace alike::server {
namespace {

TEST(MetricsTest, CountsByRouteAndStatusWithCumulativeBuckets) {
  Metrics m;
  m.Record("/v1/search", "POST", 200, 0.0008);
  m.Record("/v1/search", "POST", 200, 0.2);
  m.Record("/v1/search", "POST", 422, 0.003);
  const std::string text = m.Render();
  EXPECT_NE(text.find("alike_http_requests_total{route=\"/v1/search\",method=\"POST\","
                      "status=\"200\"} 2\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("status=\"422\"} 1\n"), std::string::npos);
  const std::string labels = "{route=\"/v1/search\",method=\"POST\",le=";
  EXPECT_NE(text.find("alike_http_request_duration_seconds_bucket" + labels + "\"0.001\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("alike_http_request_duration_seconds_bucket" + labels + "\"0.005\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("alike_http_request_duration_seconds_bucket" + labels + "\"+Inf\"} 3\n"),
            std::string::npos);
  EXPECT_NE(text.find("# TYPE alike_http_request_duration_seconds histogram"), std::string::npos);
}

TEST(MetricsTest, LabelsAreEscaped) { EXPECT_EQ(EscapeLabel("a\"b\\c\nd"), "a\\\"b\\\\c\\nd"); }

}  // namespace
}  // namespace alike::server
