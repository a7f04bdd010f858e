// `alike worker`: pulls work items of an image library's jobs (ingest.h), describes each picture
// with the library's embedders (alike::PictureDescriber, as `alike index` would) and writes its
// vectors to the library's spaces (image_library.h).
//
// Per work item, in this order, so that a worker killed at any moment loses nothing and
// duplicates nothing: (1) each picture's path must lie under the roots (the worker's, else the
// job's); (2) each file is read and hashed, and content the pictures bucket lists with the
// library's models, or that an earlier path of the item holds, is "known" (not decoded again);
// the others are described; (3) the records of every new picture are published to every space's
// shard streams at once (not one acknowledgement awaited per message), with message ids derived
// from the content hash and the models, so the same content published again within the duplicate
// window is dropped and after it rewrites the same records; (4) once all of them were
// acknowledged, the pictures' keys in the pictures bucket and every path's event are published
// at once; (5) once those were acknowledged, the item is.
// A picture's own failure (unreadable, not a picture, outside the roots) is its failed event, not
// retried; a failure of NATS (unreachable, no stream leader past the retry budget) leaves the item
// unacknowledged, so it comes again. An item delivered a second time is split into one item per
// path (a picture that kills workers then takes down only itself), and a one-path item delivered
// more than kMaxDeliveries times is reported failed and dropped.
//
// Thread-safety: one IngestWorker per thread (`alike worker -j N` runs N); the describer is shared.
#ifndef ALIKE_CLUSTER_INGEST_WORKER_H_
#define ALIKE_CLUSTER_INGEST_WORKER_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "alike/embed.h"
#include "alike/status.h"
#include "cluster/collection_writer.h"
#include "cluster/image_library.h"
#include "cluster/ingest.h"
#include "cluster/nats_client.h"
#include "cluster/outage_clock.h"

namespace alike::cluster {

struct IngestWorkerOptions {
  // Paths outside every one of these are refused; empty: the roots the job was queued with.
  std::vector<std::string> roots;
  // How long one fetch waits for an item.
  std::chrono::milliseconds fetch_wait{1000};
  // A failure of NATS (a server lost, an election under way) is ridden out for this long: the
  // worker pauses and fetches again (its unfinished item comes again after the ack wait).
  std::chrono::milliseconds outage_limit = kDefaultOutageLimit;
  // Called with the error that starts an outage (from the worker's thread).
  std::function<void(const Status& error)> on_outage;
  // Called with each picture's event after it was stored (from the worker's thread).
  std::function<void(const std::string& job, const IngestEvent& event)> on_event;
};

class IngestWorker {
 public:
  // Reads the library and checks the describer's models against it (FailedPrecondition naming the
  // difference: a worker with other models never writes into the library's spaces).
  static Result<std::unique_ptr<IngestWorker>> Create(NatsConnection& nats,
                                                      const std::string& library,
                                                      const PictureDescriber& describer,
                                                      IngestWorkerOptions options);

  // Works on one fetched item, if one comes within fetch_wait: false when none came.
  Result<bool> WorkOnce();
  // Works until `stop` is set. Returns only for stop, or an error that lasted longer than
  // outage_limit (the item it was working on comes again).
  Status Run(const std::atomic<bool>& stop);

 private:
  IngestWorker(NatsConnection& nats, ImageLibrary library, const PictureDescriber& describer,
               IngestWorkerOptions options);

  // What one work item publishes, gathered while its pictures are described.
  struct ItemWrites {
    std::vector<IngestEvent> events;                  // one per path, in the item's order
    std::vector<std::vector<PreparedWrite>> records;  // per space, in library order
    std::map<std::string, std::string> contents;      // content hash -> pictures bucket entry
  };

  Status Work(WorkMessage& message);
  // Describes the picture at `path` into `writes` (its event, and its records when new); an
  // error only for NATS (the item must come again).
  Status Index(const std::string& path, const std::vector<std::string>& roots, ItemWrites& writes);
  // Publishes what Index gathered, in the order the header comment gives.
  Status Store(const std::string& job, const ItemWrites& writes);
  // Publishes small messages of the cluster's own (events, bucket entries, work items) at once,
  // retried as calls on shared state are.
  Status PublishControl(std::span<const OutgoingMessage> messages);
  Result<std::vector<std::string>> RootsOf(const std::string& job);
  // Re-queues each path of `item` as an item of its own.
  Status Split(const WorkItem& item);

  NatsConnection& nats_;
  const ImageLibrary library_;
  const PictureDescriber& describer_;
  const IngestWorkerOptions options_;
  // What the pictures bucket says of content indexed with the library's models.
  const std::string models_key_;
  std::vector<std::unique_ptr<CollectionWriter>> writers_;  // one per space, in library order
  std::unique_ptr<KeyValue> pictures_;
  std::unique_ptr<KeyValue> jobs_;
  std::unique_ptr<WorkConsumer> consumer_;
  std::map<std::string, std::vector<std::string>> job_roots_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_INGEST_WORKER_H_
