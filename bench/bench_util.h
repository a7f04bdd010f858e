// Small helpers shared by the benchmark's pieces: a stopwatch, process memory, a parallel loop, a
// fatal-error check and report formatting. Nothing here is part of alike.
#ifndef ALIKE_BENCH_BENCH_UTIL_H_
#define ALIKE_BENCH_BENCH_UTIL_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::bench {

class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}
  void Restart() { start_ = Clock::now(); }
  double Seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

// CPU time used so far by all threads of this process, in seconds. Unlike wall time it hardly
// grows when other processes compete for the cores.
double ProcessCpuSeconds();

// Resident set size of this process, from /proc/self/statm; 0 if unavailable. Free heap memory
// is handed back to the system first (malloc_trim), so that the number is what is held.
uint64_t ResidentBytes();
// Peak resident set size since the last ResetPeakResident() (VmHWM); 0 if unavailable.
uint64_t PeakResidentBytes();
void ResetPeakResident();

// Runs fn(i) for i in [0, n) on `threads` threads (the caller's included), handing out indices
// one at a time from a shared counter.
void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

// Runs work for i = 0, 1, 2, ... on `threads` threads (the caller's included), handing out
// indices one at a time from a shared counter, until every i < count has run and `min_seconds`
// have passed: a measurement that goes round its inputs for long enough. make_work(thread) is
// called once on each thread (0 is the caller's) to set up that thread and returns its work.
// Returns how many times work ran.
size_t RepeatFor(size_t count, unsigned threads, double min_seconds,
                 const std::function<std::function<void(size_t)>(unsigned)>& make_work);

// The p-th percentile (0-100) of `values` by the nearest-rank method; 0 when empty.
double Percentile(std::vector<double> values, double p);

// Prints "alike-bench: <what>: <status>" and exits with status 1 if `status` is an error.
void CheckOk(const Status& status, const std::string& what);
// Prints "alike-bench: <message>" and exits with status 1.
[[noreturn]] void Fail(const std::string& message);

// For report headers: the CPU's model name from /proc/cpuinfo, and the local date and time.
std::string CpuModel();
std::string Now();

// "12.3 MiB"-style helpers for tables.
std::string FormatFixed(double value, int decimals);
std::string FormatMiB(uint64_t bytes);
// A rate with 3 significant digits and no decimals past them: 1234 -> "1234", 12.345 -> "12.3".
std::string FormatRate(double value);
// The smallest and largest of repeated measurements as "lo-hi", each by FormatRate.
std::string FormatRange(const std::vector<double>& values);

}  // namespace alike::bench

#endif  // ALIKE_BENCH_BENCH_UTIL_H_
