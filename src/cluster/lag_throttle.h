// Write throttling on replica lag (milvus#45210: unbounded lag turned into outages). Before a
// writer publishes to a shard it asks the throttle, which reads the membership (membership.h):
// if a live replica of the shard lags more than the collection's LagLimit::max_lag messages
// behind the stream, the writer waits, at most LagLimit::wait, for it to catch up, and then the
// write is refused with an error naming the shard, the lagging node and its lag. A replica that
// is gone (its heartbeat expired) is not waited on: it catches up when it restarts, and writes
// must not stop because a node died.
//
// A replica's lag is counted against the newest stream sequence the throttle knows for the shard:
// the largest of the live heartbeats' "last" and the sequences this writer's own messages were
// acknowledged at (Acknowledged). So a hung replica, whose heartbeat stands still, is seen
// falling behind as the others (or this writer) move the stream on. A heartbeat is up to one
// heartbeat interval old, so the lag it shows may include that interval's writes: the bound is
// meant in thousands of messages, not units.
//
// Thread-safety: Admit and Acknowledged may be called from many threads at once. Lifetime: a
// LagThrottle must not outlive the Membership it was given.
#ifndef ALIKE_CLUSTER_LAG_THROTTLE_H_
#define ALIKE_CLUSTER_LAG_THROTTLE_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "alike/status.h"
#include "cluster/membership.h"
#include "cluster/settings.h"

namespace alike::cluster {

class LagThrottle {
 public:
  LagThrottle(const Membership& membership, std::string collection, LagLimit limit);

  // Returns once no live replica of `shard` lags more than the bound; FailedPrecondition, naming
  // the shard, node and lag, when one still does after LagLimit::wait. OK at once without a
  // bound (max_lag 0).
  Status Admit(uint32_t shard);
  // This writer's message to `shard` was stored at `sequence`.
  void Acknowledged(uint32_t shard, uint64_t sequence);

 private:
  struct Laggard {
    std::string node;
    uint64_t lag = 0;
  };
  // The live replica of `shard` furthest behind, if one lags more than the bound.
  std::optional<Laggard> WorstOverBound(uint32_t shard);

  const Membership& membership_;
  const std::string collection_;
  const LagLimit limit_;
  std::mutex mutex_;
  std::map<uint32_t, uint64_t> acknowledged_;  // by shard; guarded by mutex_
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_LAG_THROTTLE_H_
