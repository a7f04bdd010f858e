// The shard snapshot service: how a node hands copies of the shards it serves to nodes that need
// them (snapshot_protocol.h says the wire format; shard_restore.h is the other side).
//
// One service per node answers on every shard's snapshot subject of the node, one request at a
// time. A "begin" for a shard the node serves takes a snapshot of the shard's local collection
// (Database::SnapshotCollection: consistent, and carrying the stream sequence it applied; writers
// of that collection wait while its files are copied) into its own directory under work_dir, and
// lists its files; "chunk" requests read them; "end" deletes the directory. So does abandonment:
// a transfer that got no request for idle_timeout (its receiver died, or gave up), or that is
// older than max_duration, is deleted by the service's sweeping thread, and so is every transfer
// when the service stops. At most max_transfers are held at once (each is a copy of a shard on
// disk); a begin beyond that is refused (IOError: the receiver tries another replica, or later).
//
// Thread-safety: requests are answered on libnats' delivery thread of the service's one
// subscription; transfers() may be called from any thread. Destroying the service unsubscribes
// (waiting for the request in hand), stops the sweeping thread and deletes every transfer's
// directory. Lifetime: it must not outlive the NatsConnection or the Database it was given.
#ifndef ALIKE_CLUSTER_SNAPSHOT_SERVICE_H_
#define ALIKE_CLUSTER_SNAPSHOT_SERVICE_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/snapshot_protocol.h"

namespace alike::cluster {

struct SnapshotServiceOptions {
  // File bytes per chunk; 0, or more than the connection's max payload leaves room for, means as
  // many as it does (about 1 MiB with nats-server's default).
  size_t chunk_bytes = 0;
  std::chrono::milliseconds idle_timeout{30000};
  std::chrono::milliseconds max_duration{600000};
  size_t max_transfers = 4;
};

class ShardSnapshotService {
 public:
  // The local collection holding `shard` while the node serves it; NotFound otherwise.
  using ServedShard = std::function<Result<std::string>(uint32_t shard)>;

  // Answers on NodeSnapshotSubjects(collection, node). work_dir is the service's own (created;
  // what it holds is deleted), on any file system.
  static Result<std::unique_ptr<ShardSnapshotService>> Start(
      NatsConnection& nats, Database& database, const std::string& collection,
      const std::string& node, std::string work_dir, ServedShard served,
      SnapshotServiceOptions options = {});
  ~ShardSnapshotService();
  ShardSnapshotService(const ShardSnapshotService&) = delete;
  ShardSnapshotService& operator=(const ShardSnapshotService&) = delete;

  // Transfers held now (begun, neither ended nor abandoned).
  size_t transfers() const;

 private:
  struct Transfer {
    std::string dir;
    std::vector<SnapshotFile> files;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point last_request;
  };

  ShardSnapshotService(NatsConnection& nats, Database& database, std::string work_dir,
                       ServedShard served, SnapshotServiceOptions options);
  void Answer(const IncomingMessage& request);
  std::string Reply(const IncomingMessage& request);
  Result<SnapshotManifest> Begin(uint32_t shard);
  Result<std::string> Chunk(const SnapshotRequest& request);
  void End(const std::string& transfer);
  void SweepLoop();

  NatsConnection& nats_;
  Database& database_;
  const std::string work_dir_;
  const ServedShard served_;
  const SnapshotServiceOptions options_;
  const size_t chunk_bytes_;
  const std::string id_prefix_;
  uint64_t next_id_ = 0;  // delivery thread only
  mutable std::mutex mutex_;
  std::condition_variable stop_changed_;
  std::map<std::string, Transfer> transfers_;  // guarded by mutex_
  bool stop_ = false;                          // guarded by mutex_
  std::thread sweeper_;
  // Last: destroyed first, so that no request is answered while the rest is torn down.
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SNAPSHOT_SERVICE_H_
