// An indexing job of an image library on a cluster (ingest.h): queued by `alike index --cluster`,
// worked by `alike worker`s, followed by its progress (the job's events) from any machine.
//
// Thread-safety: QueueJob and ListJobs are pure functions over the thread-safe NatsConnection; a
// JobWatcher is used from one thread.
#ifndef ALIKE_CLUSTER_INGEST_JOB_H_
#define ALIKE_CLUSTER_INGEST_JOB_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "alike/status.h"
#include "cluster/ingest.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

struct QueueJobOptions {
  // Paths per work item: small enough that an item is worked in seconds, large enough that the
  // queue's messages stay few.
  size_t batch = 8;
  // Paths to queue as they are (read from a list) instead of walking the roots; the roots then
  // only bound them (every path must lie under one: workers refuse the rest). With no roots, each
  // listed path is a root of its own.
  std::optional<std::vector<std::string>> listed;
  std::function<void(uint64_t queued)> on_queued;  // after each work item
  std::function<void(const std::string& path, const std::string& reason)> on_walk_error;
  const std::atomic<bool>* cancel = nullptr;
};

// A new job id ("j<UTC yyyymmddThhmmss>-<8 hex>"), one subject token.
std::string NewJobId();

// Writes the job's record, queues its paths, then records the total. The library must exist
// (CreateImageLibrary) and its ingest streams (AddIngestStreams). A cancelled walk records the
// total queued so far.
Result<JobRecord> QueueJob(NatsConnection& nats, const std::string& library, const std::string& job,
                           const std::vector<std::string>& roots, const QueueJobOptions& options);

// Every job's record, oldest first.
Result<std::vector<JobRecord>> ListJobs(NatsConnection& nats, const std::string& library);

struct JobCounts {
  std::optional<uint64_t> total;  // known once the job's paths were all queued
  uint64_t indexed = 0;
  uint64_t known = 0;  // content already indexed with the library's models (or a duplicate)
  uint64_t failed = 0;
  uint64_t done() const { return indexed + known + failed; }
  bool finished() const { return total && done() >= *total; }
};

// Follows one job: each path counted once, by its first event.
class JobWatcher {
 public:
  static Result<std::unique_ptr<JobWatcher>> Create(NatsConnection& nats,
                                                    const std::string& library,
                                                    const std::string& job);
  // Reads what came since the last call, waiting up to `wait` for something new.
  Result<JobCounts> Poll(std::chrono::milliseconds wait);
  // The failed paths so far, with their reasons (the job's dead-letter list).
  const std::vector<IngestEvent>& failures() const { return failures_; }

 private:
  JobWatcher(NatsConnection& nats, std::string library, std::string job)
      : nats_(nats), library_(std::move(library)), job_(std::move(job)) {}

  NatsConnection& nats_;
  const std::string library_;
  const std::string job_;
  std::unique_ptr<KeyValue> jobs_;
  std::unique_ptr<PullConsumer> events_;
  std::unordered_set<std::string> seen_;
  JobCounts counts_;
  std::vector<IngestEvent> failures_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_INGEST_JOB_H_
