#include "cluster/membership.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "cluster/settings.h"

namespace alike::cluster {
namespace {

// How long the watching thread waits for a change before it looks whether to stop.
constexpr std::chrono::milliseconds kWatchPoll{200};

}  // namespace

bool Heartbeat::Holds(uint32_t shard) const {
  return std::any_of(shards.begin(), shards.end(),
                     [&](const ShardHeartbeat& s) { return s.shard == shard; });
}

Status ValidateNodeId(const std::string& id) {
  const bool valid =
      !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      });
  if (!valid) {
    return Status::InvalidArgument("node id '" + id +
                                   "': 1-64 letters, digits, '_' or '-' (it names a key and a "
                                   "subject)");
  }
  return Status::OK();
}

std::string EncodeHeartbeat(const Heartbeat& heartbeat) {
  nlohmann::json shards = nlohmann::json::array();
  for (const ShardHeartbeat& s : heartbeat.shards) {
    shards.push_back({{"shard", s.shard}, {"applied", s.applied}, {"last", s.last}});
  }
  return nlohmann::json{
      {"node", heartbeat.node}, {"pinned", heartbeat.pinned}, {"shards", std::move(shards)}}
      .dump();
}

Result<Heartbeat> DecodeHeartbeat(std::string_view text) {
  Heartbeat heartbeat;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    heartbeat.node = j.at("node").get<std::string>();
    heartbeat.pinned = j.value("pinned", false);
    for (const nlohmann::json& s : j.at("shards")) {
      heartbeat.shards.push_back({.shard = s.at("shard").get<uint32_t>(),
                                  .applied = s.at("applied").get<uint64_t>(),
                                  .last = s.at("last").get<uint64_t>()});
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed heartbeat: ") + e.what());
  }
  return heartbeat;
}

Membership::Membership(std::unique_ptr<KeyValue> bucket, std::unique_ptr<KvWatcher> watcher,
                       std::chrono::milliseconds ttl)
    : bucket_(std::move(bucket)), watcher_(std::move(watcher)), ttl_(ttl) {}

Result<std::unique_ptr<Membership>> Membership::Watch(NatsConnection& nats,
                                                      const std::string& collection,
                                                      std::chrono::milliseconds ttl) {
  auto bucket = OpenMembershipBucket(nats, collection);
  if (!bucket.ok()) {
    return bucket.status().WithContext("membership of cluster collection '" + collection + "'");
  }
  auto watcher = (*bucket)->WatchAll();
  if (!watcher.ok()) return watcher.status();
  std::unique_ptr<Membership> membership(
      new Membership(std::move(*bucket), std::move(*watcher), ttl));
  membership->thread_ = std::thread([m = membership.get()] { m->Follow(); });
  return membership;
}

Membership::~Membership() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  thread_.join();
}

void Membership::Follow() {
  while (true) {
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
    }
    // A failed watch (a server lost) is retried by libnats' ordered consumer; until then the
    // heartbeats held age and their nodes drop out, which is the safe direction.
    auto next = watcher_->Next(kWatchPoll);
    std::lock_guard lock(mutex_);
    if (!next.ok() || !next->has_value()) {
      if (next.ok() && watcher_->caught_up() && !caught_up_) {
        caught_up_ = true;
        caught_up_changed_.notify_all();
      }
      continue;
    }
    const KvEntry& entry = **next;
    auto heartbeat = DecodeHeartbeat(entry.value);
    if (entry.deleted || !heartbeat.ok()) {
      latest_.erase(entry.key);
      continue;
    }
    heartbeat->written = entry.created;
    latest_[entry.key] = std::move(*heartbeat);
  }
}

std::vector<Heartbeat> Membership::Live() const {
  const auto now = std::chrono::system_clock::now();
  std::vector<Heartbeat> live;
  std::lock_guard lock(mutex_);
  for (const auto& [key, heartbeat] : latest_) {
    if (now - heartbeat.written < ttl_) live.push_back(heartbeat);
  }
  return live;
}

bool Membership::WaitUntilCaughtUp(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return caught_up_changed_.wait_for(lock, timeout, [&] { return caught_up_; });
}

}  // namespace alike::cluster
