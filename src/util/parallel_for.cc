#include "util/parallel_for.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace alike {

void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn) {
  if (threads <= 1 || n < 2) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) fn(i);
  };
  std::vector<std::jthread> workers;
  for (unsigned t = 1; t < std::min<size_t>(threads, n); ++t) workers.emplace_back(work);
  work();
}

unsigned ThreadCount(unsigned requested) {
  return std::max(1u, requested != 0 ? requested : std::thread::hardware_concurrency());
}

}  // namespace alike
