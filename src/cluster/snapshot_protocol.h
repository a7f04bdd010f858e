// The shard snapshot transfer: how a node that needs a shard (node.h) fetches a copy of it from a
// replica that serves it, over core NATS request-reply.
//
// Replica `node` answers for every shard it serves on ShardSnapshotSubject(C, s, node) =
// "alike.<C>.snap.<s>.<node>", next to its query subject "alike.<C>.q.<s>.<node>" (shard_query.h),
// and outside any queue group: the node restoring a shard picks the replica (from the
// membership) and, should one fail, the next. The transfer is pulled, one request at a time, so
// the receiver sets the pace and a lost reply costs one request:
//   {"op": "begin"}
//     -> {"transfer": "<id>", "chunk_bytes": N,
//         "files": [{"path": "ALIKE", "size": 48}, {"path": "collections/C-5/checkpoint", ...}]}
//        The replica took a snapshot of its local collection (Database::SnapshotCollection: a
//        database directory holding it, whose checkpoint and log carry the stream sequence it
//        applied) and lists its files, paths relative to the snapshot's root.
//   {"op": "chunk", "transfer": "<id>", "file": i, "offset": o}
//     -> a chunk frame: up to N bytes of file i from byte o (binary, below).
//   {"op": "end", "transfer": "<id>"}  -> {"ended": true}; the replica deletes its snapshot.
// A failure is {"error": {"code": ..., "message": ...}} (reply_error.h).
//
// A chunk frame is 24 bytes of header, little-endian, then the data:
//   "ASC1" | u32 file | u64 offset | u32 data length | u32 masked CRC-32C of bytes 4-19 and data
// so that a frame damaged anywhere, or cut short, is refused (Corruption), and one of another
// file or offset is told apart. N keeps a frame within NATS' max payload.
//
// Thread-safety: pure functions.
#ifndef ALIKE_CLUSTER_SNAPSHOT_PROTOCOL_H_
#define ALIKE_CLUSTER_SNAPSHOT_PROTOCOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::cluster {

inline constexpr size_t kSnapshotChunkHeaderBytes = 24;

std::string ShardSnapshotSubject(const std::string& collection, uint32_t shard,
                                 const std::string& node);
// Every shard's snapshot subject of `node`: what a node subscribes to.
std::string NodeSnapshotSubjects(const std::string& collection, const std::string& node);
// The shard a subject of NodeSnapshotSubjects names; InvalidArgument for another subject.
Result<uint32_t> ShardOfSnapshotSubject(std::string_view subject);

struct SnapshotRequest {
  enum class Op { kBegin, kChunk, kEnd };
  Op op = Op::kBegin;
  std::string transfer;  // kChunk, kEnd
  uint32_t file = 0;     // kChunk
  uint64_t offset = 0;   // kChunk
};
std::string EncodeSnapshotRequest(const SnapshotRequest& request);
// InvalidArgument names what is malformed.
Result<SnapshotRequest> DecodeSnapshotRequest(std::string_view text);

struct SnapshotFile {
  std::string path;  // relative to the snapshot's root, '/'-separated
  uint64_t size = 0;
};

struct SnapshotManifest {
  std::string transfer;
  uint32_t chunk_bytes = 0;
  std::vector<SnapshotFile> files;
};
std::string EncodeSnapshotManifest(const SnapshotManifest& manifest);
// The manifest, or the error the replica answered; Corruption for a reply that does not decode,
// or that names a path that is absolute, empty or climbs out of the snapshot (".."): files are
// written where it says.
Result<SnapshotManifest> DecodeSnapshotManifest(std::string_view reply);

std::string EncodeSnapshotEnded();
// OK, or the error the replica answered.
Status DecodeSnapshotEnded(std::string_view reply);

std::string EncodeSnapshotError(const Status& status);

std::string EncodeSnapshotChunk(uint32_t file, uint64_t offset, std::string_view data);
struct SnapshotChunk {
  uint32_t file = 0;
  uint64_t offset = 0;
  std::string_view data;  // views the reply
};
// The chunk, or the error the replica answered; Corruption for a frame whose checksum or length
// does not hold.
Result<SnapshotChunk> DecodeSnapshotChunk(std::string_view reply);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_SNAPSHOT_PROTOCOL_H_
