#include "cluster/node.h"

#include <algorithm>
#include <charconv>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cluster/controller.h"
#include "cluster/membership.h"
#include "cluster/shard_map.h"
#include "cluster/shard_query.h"
#include "cluster/shard_replica.h"
#include "cluster/shard_restore.h"
#include "cluster/shards.h"
#include "util/file.h"

namespace alike::cluster {
namespace {

// After a failed poll (a server lost, a stream leader being elected) the next one waits this
// long, so that a node cut off from NATS does not spin.
constexpr std::chrono::milliseconds kPollRetryPause{200};

Result<uint32_t> ParseShardNumber(std::string_view text, const std::string& list) {
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty()) {
    return Status::InvalidArgument("shard list '" + list + "': '" + std::string(text) +
                                   "' is not a shard number");
  }
  return value;
}

std::string Describe(const CollectionOptions& o) {
  return "dimension " + std::to_string(o.dimension) + ", metric " + MetricName(o.metric) +
         ", index " + IndexKindName(o.index);
}

bool SameShardOptions(const CollectionOptions& a, const CollectionOptions& b) {
  return a.dimension == b.dimension && a.metric == b.metric && a.index == b.index;
}

}  // namespace

Result<std::vector<uint32_t>> ParseShardList(const std::string& text, uint32_t shard_count) {
  std::vector<uint32_t> shards;
  std::string_view rest = text;
  while (true) {
    const size_t comma = std::min(rest.find(','), rest.size());
    const std::string_view item = rest.substr(0, comma);
    const size_t dash = item.find('-');
    auto first = ParseShardNumber(item.substr(0, dash), text);
    if (!first.ok()) return first.status();
    uint32_t last = *first;
    if (dash != std::string_view::npos) {
      auto parsed = ParseShardNumber(item.substr(dash + 1), text);
      if (!parsed.ok()) return parsed.status();
      last = *parsed;
    }
    if (last < *first || last >= shard_count) {
      return Status::InvalidArgument("shard list '" + text + "': '" + std::string(item) +
                                     "' is not a range of shards 0-" +
                                     std::to_string(shard_count - 1));
    }
    for (uint32_t s = *first; s <= last; ++s) shards.push_back(s);
    if (comma == rest.size()) break;
    rest.remove_prefix(comma + 1);
  }
  std::sort(shards.begin(), shards.end());
  shards.erase(std::unique(shards.begin(), shards.end()), shards.end());
  return shards;
}

std::string LocalShardName(const std::string& collection, uint32_t shard) {
  return collection + "-" + std::to_string(shard);
}

struct Node::Shard {
  uint32_t index = 0;
  std::shared_ptr<Collection> collection;
  std::unique_ptr<ShardReplica> replica;  // driven by `poller` only, once it runs
  std::mutex mutex;
  std::condition_variable applied;  // notified after each poll that applied something, and on stop
  bool stop = false;                // guarded by mutex
  std::thread poller;
  std::unique_ptr<ShardQueryService> service;

  // Waits until the collection applied `seq` or `deadline` passed; says whether it did.
  bool WaitFor(uint64_t seq, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex);
    applied.wait_until(lock, deadline, [&] { return stop || collection->replicated_seq() >= seq; });
    return collection->replicated_seq() >= seq;
  }

  // Leaves the queue group (answering the requests in hand), then stops polling.
  ~Shard() {
    service.reset();
    {
      std::lock_guard lock(mutex);
      stop = true;
    }
    applied.notify_all();
    if (poller.joinable()) poller.join();
  }
};

Node::Node(NodeOptions options) : options_(std::move(options)) {}

Node::~Node() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_changed_.notify_all();
  controller_.reset();
  if (follower_.joinable()) follower_.join();
  if (heartbeat_.joinable()) heartbeat_.join();
  snapshots_.reset();  // a transfer in progress is cut: its receiver asks another replica
  // Every shard leaves its queue group before any stops polling: a search that a router sends to
  // this node's shards meanwhile finds the other replicas.
  for (auto& shard : shards_) shard->service.reset();
  shards_.clear();
}

Result<std::unique_ptr<Node>> Node::Start(NodeOptions options) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(options.collection));
  ALIKE_RETURN_IF_ERROR(ValidateNodeId(options.node_id));
  std::unique_ptr<Node> node(new Node(std::move(options)));
  ALIKE_RETURN_IF_ERROR(node->Open());
  return node;
}

Status Node::Open() {
  const std::string& name = options_.collection;
  auto nats = NatsConnection::Connect(options_.nats);
  if (!nats.ok()) return nats.status();
  nats_ = std::move(*nats);
  auto settings = ReadClusterSettings(*nats_, name);
  if (!settings.ok()) return settings.status();
  settings_ = *settings;
  const CollectionOptions& want = settings_.collection;
  if (options_.collection_options && !SameShardOptions(*options_.collection_options, want)) {
    return Status::FailedPrecondition("cluster collection '" + name + "' has " + Describe(want) +
                                      ", not " + Describe(*options_.collection_options));
  }
  if (options_.heartbeat_interval.count() <= 0 ||
      options_.heartbeat_interval >= settings_.heartbeat_ttl) {
    return Status::InvalidArgument(
        "a heartbeat interval of " + std::to_string(options_.heartbeat_interval.count()) +
        " ms: it must be under the collection's heartbeat TTL of " +
        std::to_string(settings_.heartbeat_ttl.count()) + " ms, or the node would flicker");
  }
  for (const uint32_t shard : options_.shards) {
    if (shard >= settings_.shard_count) {
      return Status::InvalidArgument("cluster collection '" + name + "' has " +
                                     std::to_string(settings_.shard_count) + " shards, no shard " +
                                     std::to_string(shard));
    }
  }
  auto membership = OpenMembershipBucket(*nats_, name);
  if (!membership.ok()) return membership.status();
  membership_bucket_ = std::move(*membership);
  auto database = Database::Open(options_.data_dir, options_.database);
  if (!database.ok()) return database.status();
  database_ = std::move(*database);
  auto local = LocalShards();
  if (!local.ok()) return local.status();
  // What a crash left in transit (the database is locked: no other node uses the directory).
  ALIKE_RETURN_IF_ERROR(RemoveAll(TransfersDir()));
  auto watched = Membership::Watch(*nats_, name, settings_.heartbeat_ttl);
  if (!watched.ok()) return watched.status();
  membership_ = std::move(*watched);
  // Without every heartbeat read, a shard might replay its stream where a replica could give it.
  (void)membership_->WaitUntilCaughtUp(options_.nats.timeout);
  auto snapshots = ShardSnapshotService::Start(
      *nats_, *database_, name, options_.node_id, TransfersDir() + "/out",
      [this](uint32_t shard) -> Result<std::string> {
        std::lock_guard lock(shards_mutex_);
        for (const auto& held : shards_) {
          if (held->index == shard) return LocalShardName(options_.collection, shard);
        }
        return Status::NotFound("node '" + options_.node_id + "' does not serve shard " +
                                std::to_string(shard));
      },
      options_.snapshots);
  if (!snapshots.ok()) return snapshots.status();
  snapshots_ = std::move(*snapshots);

  for (const uint32_t index : pinned() ? options_.shards : *local) {
    ALIKE_RETURN_IF_ERROR(Serve(index));
  }
  // The first heartbeat before Start returns, so that a caller sees the node in the membership.
  ALIKE_RETURN_IF_ERROR(WriteHeartbeat());
  heartbeat_ = std::thread([this] { HeartbeatLoop(); });
  if (pinned()) return Status::OK();

  auto map_bucket = OpenShardMapBucket(*nats_, name);
  if (!map_bucket.ok()) return map_bucket.status();
  map_bucket_ = std::move(*map_bucket);
  auto controller = Controller::Start(*nats_, name, settings_, *membership_,
                                      {.node_id = options_.node_id,
                                       .interval = options_.heartbeat_interval,
                                       .on_problem = [this](const Status& problem) {
                                         if (options_.on_problem)
                                           options_.on_problem(std::nullopt, problem);
                                       }});
  if (!controller.ok()) return controller.status();
  controller_ = std::move(*controller);
  follower_ = std::thread([this] { FollowMapLoop(); });
  return Status::OK();
}

Result<std::vector<uint32_t>> Node::LocalShards() {
  // Every collection here must be a shard of this cluster collection, with its options.
  const std::string& name = options_.collection;
  const CollectionOptions& want = settings_.collection;
  const std::string prefix = name + "-";
  std::vector<uint32_t> shards;
  for (const std::string& local : database_->ListCollections()) {
    const std::string_view suffix =
        std::string_view(local).substr(std::min(prefix.size(), local.size()));
    uint32_t shard = 0;
    const bool is_shard =
        local.starts_with(prefix) && !suffix.empty() &&
        std::from_chars(suffix.data(), suffix.data() + suffix.size(), shard).ptr ==
            suffix.data() + suffix.size() &&
        shard < settings_.shard_count;
    if (!is_shard) {
      return Status::FailedPrecondition(
          "data directory " + options_.data_dir + " holds collection '" + local +
          "', which is not a shard of cluster collection '" + name +
          "': a node's directory holds the shards of one cluster collection");
    }
    auto collection = database_->GetCollection(local);
    if (!collection.ok()) return collection.status();
    const CollectionOptions& have = (*collection)->options();
    if (!SameShardOptions(have, want)) {
      return Status::FailedPrecondition(
          "data directory " + options_.data_dir + " holds shard '" + local + "' with " +
          Describe(have) + ", but cluster collection '" + name + "' has " + Describe(want));
    }
    shards.push_back(shard);
  }
  std::sort(shards.begin(), shards.end());
  return shards;
}

Status Node::Serve(uint32_t index) {
  const std::string& name = options_.collection;
  auto shard = std::make_unique<Shard>();
  shard->index = index;
  auto collection = ShardCollection(index);
  if (!collection.ok()) return collection.status();
  shard->collection = *collection;
  ShardReplicaOptions replica_options;
  if (options_.on_problem) {
    replica_options.on_skipped = [this, index](uint64_t seq, const Status& why) {
      options_.on_problem(index, why.WithContext("skipped corrupt message " + std::to_string(seq)));
    };
  }
  const std::string stream = ShardStreamName(name, index);
  auto replica = ShardReplica::Open(*nats_, stream, ShardSubject(name, index), shard->collection,
                                    std::move(replica_options));
  if (!replica.ok()) return replica.status().WithContext("shard " + std::to_string(index));
  shard->replica = std::move(*replica);
  auto state = nats_->GetStreamState(stream);
  if (!state.ok()) return state.status();
  ALIKE_RETURN_IF_ERROR(shard->replica->CatchUpTo(state->last_seq, options_.catch_up_timeout)
                            .WithContext("shard " + std::to_string(index) + " catching up"));
  Shard& s = *shard;
  s.poller = std::thread([this, &s] { PollLoop(s); });
  auto service =
      ShardQueryService::Start(*nats_, name, index, options_.node_id, s.collection,
                               [&s](uint64_t seq, std::chrono::steady_clock::time_point deadline) {
                                 return s.WaitFor(seq, deadline);
                               });
  if (!service.ok()) return service.status();
  s.service = std::move(*service);
  std::lock_guard lock(shards_mutex_);
  const auto at = std::lower_bound(shards_.begin(), shards_.end(), index,
                                   [](const auto& held, uint32_t i) { return held->index < i; });
  shards_.insert(at, std::move(shard));
  return Status::OK();
}

Result<std::shared_ptr<Collection>> Node::ShardCollection(uint32_t index) {
  const std::string local = LocalShardName(options_.collection, index);
  const std::string stream = ShardStreamName(options_.collection, index);
  auto state = nats_->GetStreamState(stream);
  if (!state.ok()) return state.status();
  auto held = database_->GetCollection(local);
  const Status resumable =
      held.ok() ? CheckResumable(*state, stream, (*held)->replicated_seq()) : Status::OK();
  if (held.ok() && resumable.ok()) return held;
  const auto accept = [&](const Collection& restored) -> Status {
    if (!SameShardOptions(restored.options(), settings_.collection)) {
      return Status::FailedPrecondition("the snapshot's collection has " +
                                        Describe(restored.options()) + ", the settings " +
                                        Describe(settings_.collection));
    }
    auto now = nats_->GetStreamState(stream);
    if (!now.ok()) return now.status();
    return CheckResumable(*now, stream, restored.replicated_seq());
  };
  auto restored =
      RestoreShard(*nats_, *database_,
                   {.collection = options_.collection,
                    .shard = index,
                    .local_name = local,
                    .replicas = ReplicasOf(index),
                    .staging_dir = TransfersDir() + "/in-" + std::to_string(index),
                    .timeout = options_.restore_timeout,
                    .accept = accept,
                    .stopping = [this] { return Stopping(std::chrono::milliseconds(0)); }});
  if (restored.ok()) return restored;
  if (held.ok()) return restored.status().WithContext(resumable.message());
  // New to this node, and no replica gave it: the stream, if it holds the shard's whole history.
  const Status from_start = CheckResumable(*state, stream, 0);
  if (!from_start.ok()) return restored.status().WithContext(from_start.message());
  if (restored.status().code() != Status::Code::kNotFound && options_.on_problem) {
    options_.on_problem(index, restored.status().WithContext("replaying the stream instead"));
  }
  return database_->CreateCollection(local, settings_.collection);
}

std::vector<std::string> Node::ReplicasOf(uint32_t shard) const {
  std::vector<std::pair<uint64_t, std::string>> serving;  // (applied, node)
  for (const Heartbeat& heartbeat : membership_->Live()) {
    if (heartbeat.node == options_.node_id) continue;  // this node's heartbeat of before a restart
    for (const ShardHeartbeat& s : heartbeat.shards) {
      if (s.shard == shard) serving.emplace_back(s.applied, heartbeat.node);
    }
  }
  std::sort(serving.begin(), serving.end(), [](const auto& a, const auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  std::vector<std::string> nodes;
  for (auto& [applied, node] : serving) nodes.push_back(std::move(node));
  return nodes;
}

std::unique_ptr<Node::Shard> Node::Unserve(uint32_t index) {
  std::lock_guard lock(shards_mutex_);
  const auto at = std::find_if(shards_.begin(), shards_.end(),
                               [&](const auto& held) { return held->index == index; });
  if (at == shards_.end()) return nullptr;
  std::unique_ptr<Shard> shard = std::move(*at);
  shards_.erase(at);
  return shard;
}

Status Node::Drop(uint32_t index) {
  std::unique_ptr<Shard> shard = Unserve(index);
  if (shard == nullptr) return Status::OK();
  shard.reset();  // out of the queue group, then no more polling
  return database_->DropCollection(LocalShardName(options_.collection, index));
}

void Node::StopServing(uint32_t index, const Status& why) {
  Unserve(index).reset();
  streams_gone_ = true;
  if (options_.on_problem) options_.on_problem(index, why);
}

std::vector<uint32_t> Node::shards() const {
  std::lock_guard lock(shards_mutex_);
  std::vector<uint32_t> served;
  for (const auto& shard : shards_) served.push_back(shard->index);
  return served;
}

bool Node::leading() const { return controller_ != nullptr && controller_->leading(); }

Status Node::WriteHeartbeat() {
  std::vector<std::pair<uint32_t, std::shared_ptr<Collection>>> served;
  {
    std::lock_guard lock(shards_mutex_);
    for (const auto& shard : shards_) served.emplace_back(shard->index, shard->collection);
  }
  Heartbeat heartbeat{.node = options_.node_id, .pinned = pinned()};
  for (const auto& [index, collection] : served) {
    const std::string stream = ShardStreamName(options_.collection, index);
    auto state = nats_->GetStreamState(stream);
    if (state.status().code() == Status::Code::kNotFound) {
      StopServing(index, Status::FailedPrecondition(
                             "stream " + stream + " is gone (cluster collection '" +
                             options_.collection + "' was dropped, or the stream deleted): no " +
                             "longer serving shard " + std::to_string(index)));
      continue;
    }
    if (!state.ok()) return state.status();
    heartbeat.shards.push_back(
        {.shard = index, .applied = collection->replicated_seq(), .last = state->last_seq});
  }
  if (heartbeat.shards.empty() && streams_gone_) {
    if (!all_shards_gone_ && options_.on_all_shards_gone) options_.on_all_shards_gone();
    all_shards_gone_ = true;
    return Status::OK();
  }
  auto written = membership_bucket_->Put(options_.node_id, EncodeHeartbeat(heartbeat));
  return written.ok() ? Status::OK() : written.status();
}

bool Node::Stopping(std::chrono::milliseconds interval) {
  std::unique_lock lock(stop_mutex_);
  return stop_changed_.wait_for(lock, interval, [&] { return stop_; });
}

void Node::HeartbeatLoop() {
  while (!Stopping(options_.heartbeat_interval)) {
    // A missed heartbeat is not fatal: the next may pass, and if none does for the TTL the
    // cluster rightly stops counting on this node.
    const Status written = WriteHeartbeat();
    if (!written.ok() && options_.on_problem) {
      options_.on_problem(std::nullopt, written.WithContext("heartbeat"));
    }
  }
}

void Node::FollowMapLoop() {
  while (!Stopping(options_.heartbeat_interval)) {
    const Status followed = FollowMap();
    if (!followed.ok() && options_.on_problem) {
      options_.on_problem(std::nullopt, followed.WithContext("following the shard map"));
    }
  }
}

Status Node::FollowMap() {
  auto map = ReadShardMap(*map_bucket_, settings_.shard_count);
  if (!map.ok()) return map.status();
  const std::vector<uint32_t> wanted = map->map.ShardsOf(options_.node_id);
  const std::vector<uint32_t> served = shards();
  Status first_error;
  for (const uint32_t index : wanted) {
    if (std::binary_search(served.begin(), served.end(), index)) continue;
    if (Stopping(std::chrono::milliseconds(0))) return Status::OK();
    const Status serving = Serve(index);
    if (!serving.ok() && first_error.ok()) first_error = serving;
  }
  for (const uint32_t index : served) {
    if (std::binary_search(wanted.begin(), wanted.end(), index) || !HoldersServe(map->map, index)) {
      continue;
    }
    const Status dropped = Drop(index);
    if (!dropped.ok() && first_error.ok()) first_error = dropped;
  }
  return first_error;
}

bool Node::HoldersServe(const ShardMap& map, uint32_t shard) const {
  const std::vector<std::string>& holders = map.replicas.at(shard);
  if (holders.empty()) return false;
  const std::vector<Heartbeat> live = membership_->Live();
  return std::all_of(holders.begin(), holders.end(), [&](const std::string& node) {
    return std::any_of(live.begin(), live.end(), [&](const Heartbeat& heartbeat) {
      return heartbeat.node == node && heartbeat.Holds(shard);
    });
  });
}

void Node::PollLoop(Shard& shard) {
  while (true) {
    {
      std::lock_guard lock(shard.mutex);
      if (shard.stop) return;
    }
    auto consumed = shard.replica->Poll(options_.poll_wait);
    if (!consumed.ok()) {
      if (options_.on_problem) options_.on_problem(shard.index, consumed.status());
      std::unique_lock lock(shard.mutex);
      shard.applied.wait_for(lock, kPollRetryPause, [&] { return shard.stop; });
    } else if (*consumed > 0) {
      std::lock_guard lock(shard.mutex);
      shard.applied.notify_all();
    }
  }
}

uint64_t Node::applied_seq(uint32_t shard) const {
  std::lock_guard lock(shards_mutex_);
  for (const auto& s : shards_) {
    if (s->index == shard) return s->collection->replicated_seq();
  }
  return 0;
}

}  // namespace alike::cluster
