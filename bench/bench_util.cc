#include "bench_util.h"

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>
#include <vector>

namespace alike::bench {

double ProcessCpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + t.tv_nsec * 1e-9;
}

uint64_t ResidentBytes() {
  malloc_trim(0);
  std::ifstream statm("/proc/self/statm");
  uint64_t size_pages = 0, resident_pages = 0;
  if (!(statm >> size_pages >> resident_pages)) return 0;
  return resident_pages * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t PeakResidentBytes() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // in kB
  }
  return 0;
}

void ResetPeakResident() {
  // Linux: writing 5 to clear_refs resets the peak RSS to the current RSS.
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
}

namespace {

// Runs work(thread) on `threads` threads at once, the caller's being thread 0, and waits for all.
void OnThreads(unsigned threads, const std::function<void(unsigned)>& work) {
  std::vector<std::thread> helpers;
  for (unsigned t = 1; t < threads; ++t) helpers.emplace_back(work, t);
  work(0);
  for (std::thread& helper : helpers) helper.join();
}

}  // namespace

void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  OnThreads(threads, [&](unsigned) {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  });
}

size_t RepeatFor(size_t count, unsigned threads, double min_seconds,
                 const std::function<std::function<void(size_t)>(unsigned)>& make_work) {
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  Stopwatch watch;
  OnThreads(threads, [&](unsigned thread) {
    const std::function<void(size_t)> work = make_work(thread);
    for (;;) {
      const size_t i = next.fetch_add(1);
      if (i >= count && watch.Seconds() >= min_seconds) break;
      work(i);
      done.fetch_add(1, std::memory_order_relaxed);
    }
  });
  return done.load();
}

void CheckOk(const Status& status, const std::string& what) {
  if (!status.ok()) Fail(what + ": " + status.ToString());
}

void Fail(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "alike-bench: %s\n", message.c_str());
  std::exit(1);
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown CPU";
}

std::string Now() {
  const std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S %Z", std::localtime(&t));
  return buf;
}

std::string FormatFixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, value);
  return buf;
}

std::string FormatMiB(uint64_t bytes) { return FormatFixed(bytes / 1048576.0, 1); }

std::string FormatRate(double value) {
  if (!std::isfinite(value)) return "-";
  const double magnitude = std::fabs(value);
  const int decimals = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2;
  return FormatFixed(value, decimals);
}

std::string FormatRange(const std::vector<double>& values) {
  if (values.empty()) return "-";
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return FormatRate(*lo) + "-" + FormatRate(*hi);
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(p / 100 * values.size()));
  return values[std::clamp<size_t>(rank, 1, values.size()) - 1];
}

}  // namespace alike::bench
