// Retrying a cluster call that may fail for a passing reason.
//
// Every NatsConnection call reports IOError for what a retry may cure: a request that timed out
// (a stream or the JetStream meta group electing a leader, a server busy on a loaded machine), no
// responder during an election, a connection moving to another server. A caller whose call is
// idempotent (creating a stream or bucket that may exist, reading a key, publishing with a message
// id) retries it with a growing pause until a deadline, and gives up at once on any other error:
// a refusal does not pass by asking again.
//
// Thread-safety: a pure function of its arguments; `call` runs on the calling thread.
#ifndef ALIKE_CLUSTER_RETRY_H_
#define ALIKE_CLUSTER_RETRY_H_

#include <algorithm>
#include <chrono>
#include <thread>

#include "alike/status.h"

namespace alike::cluster {

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// Calls `call(left)` until it returns anything but IOError, or until `budget` has passed; `left`
// is the time remaining (at least 1 ms), for calls that take their own timeout. Returns the last
// result.
template <typename Call>
auto RetryWhileTransient(std::chrono::milliseconds budget, Call&& call) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + budget;
  auto pause = std::chrono::milliseconds(50);
  for (;;) {
    const auto left =
        std::max(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()),
                 std::chrono::milliseconds(1));
    auto result = call(left);
    if (StatusOf(result).code() != Status::Code::kIOError || Clock::now() + pause >= deadline) {
      return result;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
}

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_RETRY_H_
