#include "cluster/router.h"

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <iterator>
#include <optional>

#include "cluster/shard_query.h"
#include "cluster/shards.h"

namespace alike::cluster {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kAttempts = 2;  // a shard's first request and one retry

// Errors a replica answers that another replica, or the same one a moment later, may not.
bool MayPassOnRetry(const Status& status) {
  return status.code() == Status::Code::kIOError ||
         status.code() == Status::Code::kFailedPrecondition ||
         status.code() == Status::Code::kInternal;
}

// Said after the shards that did not answer when the cause may be this side's: a router that lost
// its connection to NATS hears from no shard, whatever their replicas do.
std::string ConnectionNote(const NatsConnection& nats) {
  return nats.connected() ? "" : "; this router has lost its connection to NATS (reconnecting)";
}

// A failed try is retried after this pause rather than at once: a replica that just joined its
// queue group may not be known yet to the server the router is connected to (interest travels
// between servers asynchronously), and a replica that is not caught up may be a moment later.
constexpr std::chrono::milliseconds kRetryPause{200};

// How long Create waits to read the heartbeats in the bucket, so that a router's first search
// (a CLI search is a router's only one) already knows the live replicas.
constexpr std::chrono::milliseconds kMembershipReadTimeout{1000};

struct ShardCall {
  int attempts = 0;
  std::vector<std::string> tried;  // nodes asked directly
  // When to send the next try: after a failure, or when the try in flight is overdue.
  Clock::time_point next_try = Clock::time_point::max();
  bool done = false;      // answered, or given up
  bool answered = false;  // its reply was accepted
  Status last_error;
};

// "shard 3: why; shard 7: why".
std::string DescribeMissing(const std::map<uint32_t, Status>& missing) {
  std::string out;
  for (const auto& [shard, why] : missing) {
    out += (out.empty() ? "" : "; ") + std::string("shard ") + std::to_string(shard) + ": " +
           why.message();
  }
  return out;
}

}  // namespace

struct Router::Gather {
  std::condition_variable arrived;
  std::deque<Reply> replies;  // guarded by Router::mutex_
};

Router::Router(NatsConnection& nats, RouterOptions options, ClusterSettings settings,
               std::string inbox)
    : nats_(nats),
      options_(std::move(options)),
      settings_(std::move(settings)),
      inbox_(std::move(inbox)) {}

Router::~Router() { replies_.reset(); }

Result<std::unique_ptr<Router>> Router::Create(NatsConnection& nats, RouterOptions options) {
  auto settings = ReadClusterSettings(nats, options.collection);
  if (!settings.ok()) return settings.status();
  auto membership = Membership::Watch(nats, options.collection, settings->heartbeat_ttl);
  if (!membership.ok()) return membership.status();
  (*membership)->WaitUntilCaughtUp(std::min(kMembershipReadTimeout, options.deadline));
  auto inbox = nats.NewInbox();
  if (!inbox.ok()) return inbox.status();
  std::unique_ptr<Router> router(new Router(nats, std::move(options), *settings, *inbox));
  router->membership_ = std::move(*membership);
  auto replies = nats.Subscribe(router->inbox_ + ".>", "",
                                [r = router.get()](const IncomingMessage& m) { r->OnReply(m); });
  if (!replies.ok()) return replies.status();
  router->replies_ = std::move(*replies);
  return router;
}

void Router::OnReply(const IncomingMessage& message) {
  // <inbox>.<call>.<shard>.<attempt>
  if (message.subject.size() <= inbox_.size() + 1) return;
  std::string_view rest = message.subject.substr(inbox_.size() + 1);
  uint64_t fields[3] = {0, 0, 0};
  for (uint64_t& field : fields) {
    const size_t dot = std::min(rest.find('.'), rest.size());
    field = std::strtoull(std::string(rest.substr(0, dot)).c_str(), nullptr, 10);
    rest.remove_prefix(std::min(dot + 1, rest.size()));
  }
  std::lock_guard lock(mutex_);
  const auto it = calls_.find(fields[0]);
  if (it == calls_.end()) return;  // a late reply to a call that ended
  it->second->replies.push_back({.shard = static_cast<uint32_t>(fields[1]),
                                 .attempt = static_cast<int>(fields[2]),
                                 .no_responders = message.no_responders,
                                 .data = std::string(message.data)});
  it->second->arrived.notify_one();
}

Result<RoutedResults> Router::Search(const Query& query, const SearchOptions& options,
                                     const WriteToken* after) {
  return SearchBatch(std::span<const Query>(&query, 1), options, after);
}

Result<RoutedResults> Router::SearchBatch(std::span<const Query> queries,
                                          const SearchOptions& options, const WriteToken* after) {
  if (queries.empty()) return RoutedResults{};
  const uint32_t shard_count = settings_.shard_count;
  std::vector<uint32_t> shards(shard_count);
  for (uint32_t shard = 0; shard < shard_count; ++shard) shards[shard] = shard;
  // Requests differ between shards only by the sequence a write token asks for.
  const std::string plain = EncodeShardQuery(queries, options, 0, {});
  std::vector<std::vector<std::vector<Hit>>> answers(shard_count);  // per shard, one list a query
  auto missing = Scatter(
      shards, after,
      [&](uint32_t, uint64_t min_seq) {
        return min_seq == 0
                   ? plain
                   : EncodeShardQuery(queries, options, min_seq, options_.attempt_timeout / 2);
      },
      [&](uint32_t shard, std::string_view data) -> Status {
        auto results = DecodeShardReply(data);
        if (!results.ok()) return results.status();
        if (results->size() != queries.size()) {
          return Status::Corruption("shard " + std::to_string(shard) + " answered " +
                                    std::to_string(results->size()) + " hit lists for " +
                                    std::to_string(queries.size()) + " queries");
        }
        answers[shard] = std::move(*results);
        return Status::OK();
      });
  if (!missing.ok()) return missing.status();

  RoutedResults out{.missing_shards = std::move(*missing)};
  if (!out.missing_shards.empty() && !options_.allow_partial) {
    return Status::IOError(std::to_string(out.missing_shards.size()) + " of " +
                           std::to_string(shard_count) + " shards of collection '" +
                           options_.collection + "' did not answer (" +
                           DescribeMissing(out.missing_shards) + ")" + ConnectionNote(nats_));
  }
  out.hits.resize(queries.size());
  for (size_t q = 0; q < queries.size(); ++q) {
    std::vector<Hit>& merged = out.hits[q];
    for (std::vector<std::vector<Hit>>& answer : answers) {
      if (answer.empty()) continue;
      std::move(answer[q].begin(), answer[q].end(), std::back_inserter(merged));
    }
    std::sort(merged.begin(), merged.end(), [](const Hit& a, const Hit& b) {
      return a.distance != b.distance ? a.distance < b.distance : a.id < b.id;
    });
    if (merged.size() > options.k) merged.resize(options.k);
  }
  return out;
}

Result<Record> Router::Get(uint64_t id, const WriteToken* after) {
  const uint32_t shard = ShardOf(id, settings_.shard_count);
  std::optional<Record> record;
  auto missing = Scatter(
      std::span<const uint32_t>(&shard, 1), after,
      [&](uint32_t, uint64_t min_seq) {
        return EncodeShardGet(id, min_seq, options_.attempt_timeout / 2);
      },
      [&](uint32_t, std::string_view data) -> Status {
        auto got = DecodeShardRecordReply(data);
        if (!got.ok()) return got.status();
        record = std::move(*got);
        return Status::OK();
      });
  if (!missing.ok()) return missing.status();
  if (!missing->empty()) {
    return Status::IOError("shard " + std::to_string(shard) + " of collection '" +
                           options_.collection + "' (which holds id " + std::to_string(id) +
                           ") did not answer (" + DescribeMissing(*missing) + ")" +
                           ConnectionNote(nats_));
  }
  return std::move(*record);
}

Result<std::map<uint32_t, Status>> Router::Scatter(std::span<const uint32_t> shards,
                                                   const WriteToken* after,
                                                   const MakeRequest& request,
                                                   const AcceptReply& accept) {
  const uint32_t shard_count = settings_.shard_count;
  const std::vector<Heartbeat> live = membership_->Live();
  const auto deadline = Clock::now() + options_.deadline;
  const uint64_t call_id = next_call_++;
  auto gather = std::make_shared<Gather>();
  {
    std::lock_guard lock(mutex_);
    calls_.emplace(call_id, gather);
  }
  struct Unregister {
    Router& router;
    uint64_t call_id;
    ~Unregister() {
      std::lock_guard lock(router.mutex_);
      router.calls_.erase(call_id);
    }
  } unregister{*this, call_id};

  std::vector<ShardCall> calls(shard_count);
  size_t open = shards.size();
  // A failed try: the next one after a pause while tries remain, else the shard is given up.
  auto failed = [&](ShardCall& call, Status why) {
    call.last_error = std::move(why);
    if (call.attempts < kAttempts) {
      call.next_try = Clock::now() + kRetryPause;
    } else if (!call.done) {
      call.done = true;
      --open;
    }
  };
  auto send = [&](uint32_t shard) {
    ShardCall& call = calls[shard];
    ++call.attempts;
    call.next_try = call.attempts < kAttempts ? Clock::now() + options_.attempt_timeout
                                              : Clock::time_point::max();
    uint64_t min_seq = 0;
    if (after != nullptr) {
      const auto it = after->shard_seq.find(shard);
      if (it != after->shard_seq.end()) min_seq = it->second;
    }
    const std::string reply = inbox_ + "." + std::to_string(call_id) + "." + std::to_string(shard) +
                              "." + std::to_string(call.attempts);
    // A live replica not asked yet, rotating with the call so that replicas share the load.
    std::vector<const std::string*> candidates;
    for (const Heartbeat& node : live) {
      if (node.Holds(shard) &&
          std::find(call.tried.begin(), call.tried.end(), node.node) == call.tried.end()) {
        candidates.push_back(&node.node);
      }
    }
    std::string subject = ShardQuerySubject(options_.collection, shard);
    if (!candidates.empty()) {
      const std::string& node = *candidates[(call_id + shard) % candidates.size()];
      call.tried.push_back(node);
      subject = ShardNodeQuerySubject(options_.collection, shard, node);
    }
    const Status sent = nats_.PublishRequest(subject, reply, request(shard, min_seq));
    if (!sent.ok()) failed(call, sent);
  };
  for (uint32_t shard : shards) send(shard);

  std::unique_lock lock(mutex_);
  while (open > 0) {
    while (!gather->replies.empty()) {
      Reply reply = std::move(gather->replies.front());
      gather->replies.pop_front();
      if (reply.shard >= shard_count || calls[reply.shard].attempts == 0 ||
          calls[reply.shard].done) {
        continue;
      }
      ShardCall& call = calls[reply.shard];
      lock.unlock();
      // A late answer to the first try is as good as the retry's; a failure counts only for the
      // try in flight.
      if (reply.no_responders) {
        if (reply.attempt == call.attempts) {
          failed(call, Status::IOError("no replica of the shard is serving"));
        }
      } else if (Status accepted = accept(reply.shard, reply.data); accepted.ok()) {
        call.answered = true;
        call.done = true;
        --open;
      } else if (!MayPassOnRetry(accepted)) {
        return accepted.WithContext("shard " + std::to_string(reply.shard));
      } else if (reply.attempt == call.attempts) {
        failed(call, std::move(accepted));
      }
      lock.lock();
    }
    if (open == 0) break;
    const auto now = Clock::now();
    if (now >= deadline) break;
    auto wake = deadline;
    for (uint32_t shard : shards) {
      ShardCall& call = calls[shard];
      if (call.done) continue;
      if (call.next_try <= now) {
        if (call.last_error.ok()) {
          call.last_error = Status::IOError(
              "no answer within " + std::to_string(options_.attempt_timeout.count()) + " ms");
        }
        lock.unlock();
        send(shard);
        lock.lock();
      }
      if (!call.done) wake = std::min(wake, call.next_try);
    }
    if (gather->replies.empty()) gather->arrived.wait_until(lock, wake);
  }
  lock.unlock();

  std::map<uint32_t, Status> missing;
  for (uint32_t shard : shards) {
    const ShardCall& call = calls[shard];
    if (call.answered) continue;
    missing.emplace(
        shard, call.done ? call.last_error
                         : Status::IOError("no answer within the deadline of " +
                                           std::to_string(options_.deadline.count()) + " ms" +
                                           (call.last_error.ok()
                                                ? std::string()
                                                : " (before: " + call.last_error.message() + ")")));
  }
  return missing;
}

}  // namespace alike::cluster
