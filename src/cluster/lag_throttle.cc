#include "cluster/lag_throttle.h"

#include <algorithm>
#include <thread>

namespace alike::cluster {
namespace {

// How often a waiting writer reads the membership again (heartbeats come about once a second).
constexpr std::chrono::milliseconds kRecheckPause{50};

}  // namespace

LagThrottle::LagThrottle(const Membership& membership, std::string collection, LagLimit limit)
    : membership_(membership), collection_(std::move(collection)), limit_(limit) {}

void LagThrottle::Acknowledged(uint32_t shard, uint64_t sequence) {
  std::lock_guard lock(mutex_);
  uint64_t& known = acknowledged_[shard];
  known = std::max(known, sequence);
}

std::optional<LagThrottle::Laggard> LagThrottle::WorstOverBound(uint32_t shard) {
  uint64_t newest = 0;
  {
    std::lock_guard lock(mutex_);
    if (auto it = acknowledged_.find(shard); it != acknowledged_.end()) newest = it->second;
  }
  const std::vector<Heartbeat> live = membership_.Live();
  for (const Heartbeat& node : live) {
    for (const ShardHeartbeat& s : node.shards) {
      if (s.shard == shard) newest = std::max(newest, s.last);
    }
  }
  std::optional<Laggard> worst;
  for (const Heartbeat& node : live) {
    for (const ShardHeartbeat& s : node.shards) {
      const uint64_t lag = newest > s.applied ? newest - s.applied : 0;
      if (s.shard == shard && lag > limit_.max_lag && (!worst || lag > worst->lag)) {
        worst = Laggard{node.node, lag};
      }
    }
  }
  return worst;
}

Status LagThrottle::Admit(uint32_t shard) {
  if (limit_.max_lag == 0) return Status::OK();
  const auto deadline = std::chrono::steady_clock::now() + limit_.wait;
  for (;;) {
    const std::optional<Laggard> worst = WorstOverBound(shard);
    if (!worst) return Status::OK();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::FailedPrecondition(
          "shard " + std::to_string(shard) + " of '" + collection_ + "': replica on node '" +
          worst->node + "' lags " + std::to_string(worst->lag) + " messages behind the stream " +
          "(bound " + std::to_string(limit_.max_lag) + "), still after waiting " +
          std::to_string(limit_.wait.count()) +
          " ms; writes to the shard resume once it catches up or its heartbeat expires");
    }
    std::this_thread::sleep_for(kRecheckPause);
  }
}

}  // namespace alike::cluster
