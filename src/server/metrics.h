// Request metrics in the Prometheus text format (version 0.0.4): how many requests each route
// answered with each status, and a latency histogram per route. Gauges that are read at scrape
// time (collection sizes) are appended by the caller.
//
// Thread-safety: Record and Render may be called from many threads at once.
#ifndef ALIKE_SERVER_METRICS_H_
#define ALIKE_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace alike::server {

class Metrics {
 public:
  // `route` is the route's template ("/v1/images/{id}"), never the concrete path, so the number
  // of series stays bounded whatever clients request.
  void Record(const std::string& route, const std::string& method, int status, double seconds);

  // The counters and histograms, with HELP and TYPE lines.
  std::string Render() const;

 private:
  // Upper bounds in seconds; a last, implicit bucket is +Inf.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1,    5};
  struct Histogram {
    std::array<uint64_t, kBuckets.size()> buckets{};  // counts per bucket, not cumulative
    uint64_t count = 0;
    double sum = 0;
  };

  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;  // mu_
  std::map<std::pair<std::string, std::string>, Histogram> latency_;        // mu_
};

// Appends one gauge sample, with its HELP and TYPE lines when `first`.
void AppendGauge(std::string& out, const std::string& name, const std::string& help,
                 const std::string& labels, double value, bool first);

// A label value with \, " and newlines escaped as the text format requires.
std::string EscapeLabel(const std::string& value);

}  // namespace alike::server

#endif  // ALIKE_SERVER_METRICS_H_
