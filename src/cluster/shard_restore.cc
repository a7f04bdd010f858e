#include "cluster/shard_restore.h"

#include <algorithm>
#include <set>

#include "cluster/snapshot_protocol.h"
#include "util/file.h"

namespace alike::cluster {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest the request that ends a transfer waits: the replica deletes an abandoned transfer
// by itself anyway.
constexpr milliseconds kEndTimeout{1000};

milliseconds Left(Clock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - Clock::now()));
}

// Writes every file of `manifest` under `dest_dir`, chunk by chunk.
Status FetchFiles(NatsConnection& nats, const std::string& subject,
                  const SnapshotManifest& manifest, const std::string& dest_dir,
                  Clock::time_point deadline, const std::function<bool()>& stopping) {
  std::set<std::string> dirs;
  for (uint32_t i = 0; i < manifest.files.size(); ++i) {
    const SnapshotFile& file = manifest.files[i];
    const std::string path = dest_dir + "/" + file.path;
    dirs.insert(ParentDir(path));
    ALIKE_RETURN_IF_ERROR(CreateDir(ParentDir(path)));
    auto out = AppendFile::Open(path);
    if (!out.ok()) return out.status();
    for (uint64_t offset = 0; offset < file.size;) {
      const milliseconds left = Left(deadline);
      if (left.count() == 0 || (stopping && stopping())) {
        return Status::IOError(std::string(left.count() == 0 ? "out of time" : "stopped") + " at " +
                               file.path + " byte " + std::to_string(offset) + " of " +
                               std::to_string(file.size));
      }
      auto reply = nats.Request(subject,
                                EncodeSnapshotRequest({.op = SnapshotRequest::Op::kChunk,
                                                       .transfer = manifest.transfer,
                                                       .file = i,
                                                       .offset = offset}),
                                std::min(left, nats.timeout()));
      if (!reply.ok()) return reply.status();
      auto chunk = DecodeSnapshotChunk(*reply);
      if (!chunk.ok()) return chunk.status().WithContext(file.path);
      if (chunk->file != i || chunk->offset != offset || chunk->data.empty() ||
          chunk->data.size() > file.size - offset) {
        return Status::Corruption(file.path + ": asked for byte " + std::to_string(offset) +
                                  " of " + std::to_string(file.size) + ", got " +
                                  std::to_string(chunk->data.size()) + " bytes of file " +
                                  std::to_string(chunk->file) + " from byte " +
                                  std::to_string(chunk->offset));
      }
      ALIKE_RETURN_IF_ERROR((*out)->Append(chunk->data.data(), chunk->data.size()));
      offset += chunk->data.size();
    }
    ALIKE_RETURN_IF_ERROR((*out)->Sync());
    ALIKE_RETURN_IF_ERROR((*out)->Close());
  }
  for (const std::string& dir : dirs) ALIKE_RETURN_IF_ERROR(SyncDir(dir));
  return Status::OK();
}

}  // namespace

Status FetchSnapshot(NatsConnection& nats, const std::string& subject, const std::string& dest_dir,
                     Clock::time_point deadline, const std::function<bool()>& stopping) {
  if (FileExists(dest_dir)) return Status::AlreadyExists("snapshot target " + dest_dir + " exists");
  const milliseconds left = Left(deadline);
  if (left.count() == 0) return Status::IOError("out of time before the snapshot began");
  auto begun =
      nats.Request(subject, EncodeSnapshotRequest({}), std::min(left, kSnapshotBeginTimeout));
  if (!begun.ok()) return begun.status();
  auto manifest = DecodeSnapshotManifest(*begun);
  if (!manifest.ok()) return manifest.status();
  const Status fetched = FetchFiles(nats, subject, *manifest, dest_dir, deadline, stopping);
  auto ended = nats.Request(
      subject,
      EncodeSnapshotRequest({.op = SnapshotRequest::Op::kEnd, .transfer = manifest->transfer}),
      std::min(nats.timeout(), kEndTimeout));
  // Once every byte is here, a lost end costs the replica only the wait until it abandons the
  // transfer.
  (void)ended;
  return fetched;
}

Result<std::shared_ptr<Collection>> RestoreShard(NatsConnection& nats, Database& database,
                                                 const ShardRestore& restore) {
  const std::string what =
      "shard " + std::to_string(restore.shard) + " of '" + restore.collection + "'";
  if (restore.replicas.empty()) {
    return Status::NotFound(what + ": no live replica serves it, none to restore it from");
  }
  const Clock::time_point deadline = Clock::now() + restore.timeout;
  std::string failures;
  for (const std::string& replica : restore.replicas) {
    const Result<std::shared_ptr<Collection>> installed =
        [&]() -> Result<std::shared_ptr<Collection>> {
      ALIKE_RETURN_IF_ERROR(RemoveAll(restore.staging_dir));
      ALIKE_RETURN_IF_ERROR(
          FetchSnapshot(nats, ShardSnapshotSubject(restore.collection, restore.shard, replica),
                        restore.staging_dir, deadline, restore.stopping));
      return database.RestoreCollection(restore.local_name, restore.staging_dir, restore.accept);
    }();
    (void)RemoveAll(restore.staging_dir);  // best effort: the next try, or the node's start, does
    if (installed.ok()) return installed;
    failures += (failures.empty() ? "" : "; ") + std::string("replica on node '") + replica +
                "': " + installed.status().ToString();
    if (Left(deadline).count() == 0 || (restore.stopping && restore.stopping())) break;
  }
  return Status::IOError(what + ": no replica gave a snapshot that could be installed within " +
                         std::to_string(restore.timeout.count()) + " ms (" + failures + ")");
}

}  // namespace alike::cluster
