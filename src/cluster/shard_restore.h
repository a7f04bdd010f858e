// Restoring a shard from another replica's snapshot: what a node does when it must serve a shard
// that the stream alone can no longer give it (node.h says when), the receiving side of the
// transfer that snapshot_service.h serves and snapshot_protocol.h describes.
//
// FetchSnapshot pulls one replica's snapshot into a directory: every chunk checked against its
// CRC-32C and its place (file, offset), every file against the size the manifest lists, each
// written file fsync'ed, and the whole transfer bounded by a deadline; then it tells the replica
// to delete its copy (which the replica also does by itself once the transfer is abandoned).
//
// RestoreShard asks the given replicas in turn. Each snapshot goes to a staging directory that
// is emptied before and removed after each try, and is installed with Database::RestoreCollection:
// moved next to the local collection, opened there (so every checksum of its checkpoint and log
// is verified), shown to `accept`, and only then renamed over the local collection. So a replica
// that dies mid-transfer, a damaged chunk, a snapshot that `accept` refuses or a crash of this
// node leave no half-installed shard: the old local collection, if any, stays as it was, and the
// next replica is asked. Once none is left, or time is up, the error names the shard and each
// replica with why it failed.
//
// Thread-safety: the functions may run on many threads at once, for different shards (each with
// its own staging directory).
#ifndef ALIKE_CLUSTER_SHARD_RESTORE_H_
#define ALIKE_CLUSTER_SHARD_RESTORE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"

namespace alike::cluster {

// How long the first request of a transfer waits at most, while the replica copies the shard:
// a shard whose copy takes longer cannot be restored.
inline constexpr std::chrono::milliseconds kSnapshotBeginTimeout{60000};

// Fetches the snapshot a replica answers on `subject` (ShardSnapshotSubject) into `dest_dir`,
// which must not exist. Each request waits at most the connection's timeout (the first at most
// kSnapshotBeginTimeout), all of them together until `deadline`, and `stopping` (may be empty)
// is asked between requests: once it says true, the fetch fails. On failure `dest_dir` may hold
// part of the snapshot; the caller removes it.
Status FetchSnapshot(NatsConnection& nats, const std::string& subject, const std::string& dest_dir,
                     std::chrono::steady_clock::time_point deadline,
                     const std::function<bool()>& stopping);

struct ShardRestore {
  std::string collection;  // the cluster collection
  uint32_t shard = 0;
  std::string local_name;             // the local collection the snapshot is installed as
  std::vector<std::string> replicas;  // nodes that serve the shard, asked in this order
  // On the database's file system (the snapshot's files are moved into the database).
  std::string staging_dir;
  std::chrono::milliseconds timeout{600000};  // the whole restore, every replica asked
  // Sees each snapshot's collection before it is installed, and may refuse it; may be empty.
  std::function<Status(const Collection&)> accept;
  // Asked between requests; once true, the restore gives up (a node that stops). May be empty.
  std::function<bool()> stopping;
};

// The installed collection. NotFound when `replicas` is empty; else the error of each replica.
Result<std::shared_ptr<Collection>> RestoreShard(NatsConnection& nats, Database& database,
                                                 const ShardRestore& restore);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SHARD_RESTORE_H_
