#include "cluster/controller.h"

#include <algorithm>

#include "cluster/placement.h"

namespace alike::cluster {

Result<ShardMap> PlaceOnce(KeyValue& map_bucket, const ClusterSettings& settings,
                           const std::vector<std::string>& live,
                           const std::vector<std::string>& in_grace) {
  auto current = ReadShardMap(map_bucket, settings.shard_count);
  if (!current.ok()) return current.status();
  ShardMap placed = PlaceShards(current->map, {.shard_count = settings.shard_count,
                                               .replicas = settings.shard_replicas,
                                               .live = live,
                                               .in_grace = in_grace});
  if (placed == current->map && current->revision != 0) return placed;
  auto written = WriteShardMap(map_bucket, placed, current->revision);
  if (!written.ok()) return written.status();
  return placed;
}

std::vector<std::string> PlaceableNodes(const Membership& membership) {
  std::vector<std::string> nodes;
  for (const Heartbeat& heartbeat : membership.Live()) {
    if (!heartbeat.pinned) nodes.push_back(heartbeat.node);
  }
  return nodes;
}

Controller::Controller(const ClusterSettings& settings, Membership& membership,
                       std::unique_ptr<KeyValue> lease, std::unique_ptr<KeyValue> map,
                       ControllerOptions options)
    : settings_(settings),
      membership_(membership),
      lease_(std::move(lease)),
      map_(std::move(map)),
      options_(std::move(options)) {}

Result<std::unique_ptr<Controller>> Controller::Start(NatsConnection& nats,
                                                      const std::string& collection,
                                                      const ClusterSettings& settings,
                                                      Membership& membership,
                                                      ControllerOptions options) {
  if (options.interval.count() <= 0 || options.interval >= settings.heartbeat_ttl) {
    return Status::InvalidArgument("a controller's interval must be under the heartbeat TTL");
  }
  auto lease = OpenLeaseBucket(nats, collection);
  if (!lease.ok()) return lease.status();
  auto map = OpenShardMapBucket(nats, collection);
  if (!map.ok()) return map.status();
  std::unique_ptr<Controller> controller(
      new Controller(settings, membership, std::move(*lease), std::move(*map), std::move(options)));
  controller->thread_ = std::thread([c = controller.get()] { c->Loop(); });
  return controller;
}

Controller::~Controller() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_changed_.notify_all();
  thread_.join();
}

void Controller::Loop() {
  std::unique_lock lock(mutex_);
  while (!stop_changed_.wait_for(lock, options_.interval, [&] { return stop_; })) {
    lock.unlock();
    Status done = HoldLease();
    if (done.ok() && leading()) done = Place();
    // A failed round is not fatal: the next one reads everything again.
    if (!done.ok() && options_.on_problem) options_.on_problem(done.WithContext("controller"));
    lock.lock();
  }
}

Status Controller::HoldLease() {
  const uint64_t held = lease_revision_.load();
  auto written = held == 0 ? lease_->Create(kControllerLeaseKey, options_.node_id)
                           : lease_->Update(kControllerLeaseKey, options_.node_id, held);
  if (written.ok()) {
    lease_revision_ = *written;
    return Status::OK();
  }
  const Status::Code code = written.status().code();
  if (code == Status::Code::kAlreadyExists) return Status::OK();  // another node leads
  if (code != Status::Code::kFailedPrecondition) return written.status();
  // The renewal lost: the lease expired and was taken, unless the write that "lost" was our own
  // renewal retried after a timeout.
  auto now = lease_->Get(kControllerLeaseKey);
  lease_revision_ = now.ok() && now->value == options_.node_id ? now->revision : 0;
  return Status::OK();
}

Status Controller::Place() {
  if (!membership_.WaitUntilCaughtUp(std::chrono::milliseconds(0))) return Status::OK();
  const std::vector<std::string> live = PlaceableNodes(membership_);
  if (live.empty()) return Status::OK();
  const auto now = std::chrono::steady_clock::now();
  for (const std::string& node : live) last_seen_[node] = now;
  auto current = ReadShardMap(*map_, settings_.shard_count);
  if (!current.ok()) return current.status();
  std::vector<std::string> in_grace;
  for (const auto& nodes : current->map.replicas) {
    for (const std::string& node : nodes) {
      // A node missing since before this controller led is timed from when it first saw it.
      const auto seen = last_seen_.try_emplace(node, now).first->second;
      if (now - seen < settings_.node_grace &&
          std::find(live.begin(), live.end(), node) == live.end() &&
          std::find(in_grace.begin(), in_grace.end(), node) == in_grace.end()) {
        in_grace.push_back(node);
      }
    }
  }
  auto placed = PlaceOnce(*map_, settings_, live, in_grace);
  // Another writer changed the map since it was read: the next round reads it again.
  if (!placed.ok() && placed.status().code() == Status::Code::kFailedPrecondition) {
    return Status::OK();
  }
  return placed.ok() ? Status::OK() : placed.status();
}

}  // namespace alike::cluster
