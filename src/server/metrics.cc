#include "server/metrics.h"

#include <cstdio>
#include <initializer_list>
#include <string_view>

namespace alike::server {
namespace {

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Appends pieces one by one: GCC 12 warns falsely (-Wrestrict) on long chains of operator+.
void Append(std::string& out, std::initializer_list<std::string_view> pieces) {
  for (std::string_view p : pieces) out.append(p);
}

}  // namespace

std::string EscapeLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Metrics::Record(const std::string& route, const std::string& method, int status,
                     double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{route, method, status}];
  Histogram& h = latency_[{route, method}];
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  if (b < kBuckets.size()) ++h.buckets[b];
  ++h.count;
  h.sum += seconds;
}

std::string Metrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out =
      "# HELP alike_http_requests_total HTTP requests answered, by route, method and status.\n"
      "# TYPE alike_http_requests_total counter\n";
  for (const auto& [key, n] : requests_) {
    const auto& [route, method, status] = key;
    Append(out, {"alike_http_requests_total{route=\"", EscapeLabel(route), "\",method=\"", method,
                 "\",status=\"", std::to_string(status), "\"} ", std::to_string(n), "\n"});
  }
  out +=
      "# HELP alike_http_request_duration_seconds Time from reading a request's headers to "
      "writing its response headers.\n"
      "# TYPE alike_http_request_duration_seconds histogram\n";
  for (const auto& [key, h] : latency_) {
    std::string labels;
    Append(labels, {"route=\"", EscapeLabel(key.first), "\",method=\"", key.second, "\""});
    uint64_t cumulative = 0;
    for (size_t b = 0; b < kBuckets.size(); ++b) {
      cumulative += h.buckets[b];
      Append(out, {"alike_http_request_duration_seconds_bucket{", labels, ",le=\"",
                   Number(kBuckets[b]), "\"} ", std::to_string(cumulative), "\n"});
    }
    Append(out, {"alike_http_request_duration_seconds_bucket{", labels, ",le=\"+Inf\"} ",
                 std::to_string(h.count), "\n"});
    Append(out, {"alike_http_request_duration_seconds_sum{", labels, "} ", Number(h.sum), "\n"});
    Append(out, {"alike_http_request_duration_seconds_count{", labels, "} ",
                 std::to_string(h.count), "\n"});
  }
  return out;
}

void AppendGauge(std::string& out, const std::string& name, const std::string& help,
                 const std::string& labels, double value, bool first) {
  if (first) Append(out, {"# HELP ", name, " ", help, "\n# TYPE ", name, " gauge\n"});
  out += name;
  if (!labels.empty()) Append(out, {"{", labels, "}"});
  Append(out, {" ", Number(value), "\n"});
}

}  // namespace alike::server
