// How a loop rides out a NATS outage (a server lost, a stream electing a leader, no server at
// all for a while): it keeps trying, says once that an outage started, and gives up only when
// calls have failed in a row for longer than a limit. What `alike worker` (IngestWorker::Run and
// its start) and `alike index --cluster`'s progress share.
//
// Thread-safety: one OutageClock per loop, used from its thread only.
#ifndef ALIKE_CLUSTER_OUTAGE_CLOCK_H_
#define ALIKE_CLUSTER_OUTAGE_CLOCK_H_

#include <chrono>
#include <optional>
#include <string>

#include "alike/status.h"

namespace alike::cluster {

// How long an outage is ridden out unless a caller says otherwise.
inline constexpr std::chrono::milliseconds kDefaultOutageLimit{std::chrono::minutes(5)};

class OutageClock {
 public:
  using Clock = std::chrono::steady_clock;

  explicit OutageClock(std::chrono::milliseconds limit = kDefaultOutageLimit) : limit_(limit) {}

  // A call failed: true when this failure starts an outage (the first since the clock started or
  // last succeeded), for the caller to say so once.
  bool Failed();
  // A call succeeded: the outage, if any, is over.
  void Succeeded() { failing_since_.reset(); }
  // Whether calls have failed in a row for longer than the limit.
  bool Expired() const;

  // What to tell the user as an outage starts with `error`.
  std::string Notice(const Status& error) const;
  // The error to give up with once expired: `error`, saying how long it lasted.
  Status GiveUp(const Status& error) const;

 private:
  const std::chrono::milliseconds limit_;
  std::optional<Clock::time_point> failing_since_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_OUTAGE_CLOCK_H_
