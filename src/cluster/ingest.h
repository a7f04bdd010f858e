// Distributed indexing of an image library on a cluster (image_library.h): what `alike index
// --cluster` (the job's publisher), `alike worker`s and `alike cluster jobs` share in JetStream.
//
// - The work stream "alike-ingest-<library>-work" (work-queue retention, the cluster's stream
//   replicas), subject "alike-ingest.<library>.work": each message a work item, a batch of paths
//   of one job. Every worker pulls from the one durable consumer "workers", so each item goes to
//   one worker at a time and comes again (to any worker) when not acknowledged within the ack
//   wait: a worker killed mid-batch loses nothing. A worker acknowledges an item only after every
//   vector of its pictures was acknowledged by the shard streams and every picture's event was
//   stored. An item delivered more than kMaxDeliveries times (a picture that kills every worker
//   that tries it) is given up: each of its paths is reported failed, once, and it is dropped.
// - The event stream "alike-ingest-<library>-events", subject
// "alike-ingest.<library>.events.<job>":
//   one event per path of a job, its outcome (indexed; known: content already indexed with the
//   library's models; failed, with the reason), published with a message id derived from the job
//   and the path, so a batch redelivered within the stream's duplicate window reports nothing
//   twice, and readers count each path once anyway. The failed events are the job's dead-letter
//   list (`alike cluster jobs --failures`).
// - The bucket "alike-ingest-<library>-jobs": one key per job, its roots, when it started and,
//   once the publisher finished walking, how many paths it queued.
//
// Thread-safety: pure functions.
#ifndef ALIKE_CLUSTER_INGEST_H_
#define ALIKE_CLUSTER_INGEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

inline constexpr char kIngestConsumer[] = "workers";
inline constexpr uint64_t kMaxDeliveries = 4;

std::string WorkStreamName(const std::string& library);
std::string WorkSubject(const std::string& library);
std::string EventStreamName(const std::string& library);
std::string EventSubject(const std::string& library, const std::string& job);
std::string JobsBucketName(const std::string& library);

// Creates the work and event streams and the jobs bucket (OK when they exist).
Status AddIngestStreams(NatsConnection& nats, const std::string& library, int replicas);

struct WorkItem {
  std::string job;
  std::vector<std::string> paths;
};
std::string EncodeWorkItem(const WorkItem& item);
// InvalidArgument naming what is malformed (a hostile or damaged message).
Result<WorkItem> DecodeWorkItem(std::string_view text);

enum class Outcome { kIndexed, kKnown, kFailed };
const char* OutcomeName(Outcome outcome);  // "indexed", "known", "failed"

struct IngestEvent {
  std::string path;
  Outcome outcome = Outcome::kIndexed;
  uint64_t image = 0;  // indexed, known: the image id
  std::string error;   // failed: why
};
std::string EncodeIngestEvent(const IngestEvent& event);
Result<IngestEvent> DecodeIngestEvent(std::string_view text);
// The message id of a path's event in a job: one per (job, path).
std::string EventMessageId(const std::string& job, const std::string& path);

struct JobRecord {
  std::string job;
  std::vector<std::string> roots;
  int64_t started_unix_ms = 0;
  std::optional<uint64_t> total;  // set once every path was queued
};
std::string EncodeJobRecord(const JobRecord& job);
Result<JobRecord> DecodeJobRecord(std::string_view text);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_INGEST_H_
