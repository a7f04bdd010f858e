// alike's embedded vector database: a directory of named collections of (id, vector, payload).
//
//   auto db = alike::Database::Open("photos.alike", {});
//   auto col = (*db)->CreateCollection("cnn", {.dimension = 1280});
//   (*col)->Upsert({{.id = 7, .vector = v, .payload = R"({"album":"2024"})"}});
//   auto hits = (*col)->Search(q, {.k = 10, .filter = R"({"album":"2024"})"});
//
// Ids are uint64, everywhere in the API: callers with string keys keep their own mapping (alike's
// image catalog does). Payloads are JSON objects passed as text, so this header needs no JSON
// library. Filters are JSON documents too; see docs/filters.md and README.md.
//
// Durability: a write that returned OK is in the write-ahead log and fsync'ed (with the default
// SyncPolicy::kAlways); it survives kill -9 and power loss. Reopening replays the log on top of
// the last checkpoint.
//
// Thread-safety: Database and Collection are safe to use from many threads at once. Searches run
// in parallel with each other; a write excludes searches of its collection only while it is
// applied in memory (not while it is fsync'ed), so every search sees a state between whole
// writes, never a half-applied one.
#ifndef ALIKE_VECTOR_DB_H_
#define ALIKE_VECTOR_DB_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike {

// How a collection measures distance. Smaller distance is always more similar:
//   kL2: squared Euclidean distance;
//   kInnerProduct: 1 - <a, b> (vectors used as given);
//   kCosine: 1 - cos(a, b) (vectors are L2-normalised on the way in; a zero vector is refused);
//   kHamming: number of differing bits of a binary vector (dimension counts bits, a multiple of 8).
enum class Metric { kL2, kInnerProduct, kCosine, kHamming };

// How a collection is indexed. kHnsw is the default: a graph index with recall near 1 at a
// fraction of the cost of a scan. kFlat scans exactly and suits small collections and ground
// truth. kSq8 scans 8-bit scalar-quantised codes (4x less memory traffic) and re-ranks the best
// candidates exactly; it suits large collections that are searched in batches. kMultiHash, for
// kHamming codes of a multiple of 64 bits only, finds the codes within a small max_distance
// exactly without a scan (multi-index hashing): perceptual hashes at archive scale, where a
// copy lies within a few dozen bits and everything else far away.
enum class IndexKind { kFlat, kHnsw, kSq8, kMultiHash };

const char* MetricName(Metric metric);      // "l2", "ip", "cosine", "hamming"
const char* IndexKindName(IndexKind kind);  // "flat", "hnsw", "sq8", "mih"
Result<Metric> ParseMetric(std::string_view name);
Result<IndexKind> ParseIndexKind(std::string_view name);

struct HnswParams {
  uint32_t m = 16;                 // links per node (2*m on the bottom layer)
  uint32_t ef_construction = 100;  // candidate list size while inserting
  uint32_t ef_search = 64;         // default candidate list size while searching (>= k is enforced)
};

struct CollectionOptions {
  uint32_t dimension = 0;  // floats per vector, or bits per vector for kHamming
  Metric metric = Metric::kCosine;
  IndexKind index = IndexKind::kHnsw;
  HnswParams hnsw;
};

// When the write-ahead log is fsync'ed. kAlways: before every write is acknowledged (durable
// against power loss). kNone: left to the OS (durable against a process crash, not power loss).
enum class SyncPolicy { kAlways, kNone };

struct DatabaseOptions {
  bool create_if_missing = true;
  SyncPolicy sync = SyncPolicy::kAlways;
  // A checkpoint (index + records written out whole, log truncated) is taken when the log grows
  // past this many bytes, so that reopening stays fast.
  uint64_t checkpoint_log_bytes = 256ull << 20;
  // Deleted records are purged from the index and their space reused once they exceed this
  // fraction of a collection's slots.
  double compact_deleted_fraction = 0.2;
  // Worker threads for batch inserts and batch searches; 0 = all cores.
  unsigned threads = 0;
};

struct Record {
  uint64_t id = 0;
  std::vector<float> vector;    // float metrics: exactly `dimension` finite components
  std::vector<uint8_t> binary;  // kHamming: exactly dimension/8 bytes, bit i of the vector in
                                // byte i/8, most significant bit first
  std::string payload = "{}";   // a JSON object
};

// A record whose vector and payload stay in the caller's memory, for Collection::UpsertViews:
// a bulk loader or a language binding holding n vectors in one array upserts them without first
// copying each into a Record. The fields mean what Record's do.
struct RecordView {
  uint64_t id = 0;
  std::span<const float> vector;
  std::span<const uint8_t> binary;
  std::string_view payload;  // a JSON object; empty means "{}"
};

struct SearchOptions {
  size_t k = 10;
  std::string filter;                 // JSON filter on payload fields; empty = all records
  std::optional<float> max_distance;  // drop hits farther than this
  uint32_t ef = 0;                    // HNSW candidate list size; 0 = collection default
  bool exact = false;                 // scan instead of using the index (ground truth)
  bool with_payload = true;
};

struct Hit {
  uint64_t id = 0;
  float distance = 0;
  std::string payload;  // empty unless SearchOptions::with_payload
};

// A query vector: floats, or packed bits for kHamming collections.
struct Query {
  std::span<const float> vector;
  std::span<const uint8_t> binary;
};

struct CollectionInfo {
  std::string name;
  CollectionOptions options;
  uint64_t count = 0;         // live records
  uint64_t deleted = 0;       // tombstones not yet compacted
  uint64_t memory_bytes = 0;  // vectors + index + payloads in memory, approximate
  // sq8: float vectors memory-mapped from the checkpoint, not in memory_bytes: the OS pages in
  // only what reads touch (re-ranking, Get) and may drop those pages again at any time.
  uint64_t mapped_bytes = 0;
  uint64_t disk_bytes = 0;  // checkpoint + log
  uint64_t log_bytes = 0;
};

class Collection {
 public:
  virtual ~Collection() = default;

  virtual const std::string& name() const = 0;
  virtual const CollectionOptions& options() const = 0;

  // Inserts or replaces records, atomically: after a crash either the whole batch is there or
  // none of it. Fails without writing anything if any record is invalid (the message names it).
  virtual Status Upsert(std::span<const Record> records) = 0;
  // Upsert() for records that borrow their data; the views need to stay valid only during the
  // call.
  virtual Status UpsertViews(std::span<const RecordView> records) = 0;
  // Deletes the given ids; ids that are absent are ignored. Returns how many were deleted.
  virtual Result<uint64_t> Delete(std::span<const uint64_t> ids) = 0;
  virtual Result<uint64_t> DeleteWhere(std::string_view filter) = 0;

  virtual Result<Record> Get(uint64_t id) const = 0;
  virtual uint64_t Count() const = 0;
  virtual Result<uint64_t> CountWhere(std::string_view filter) const = 0;

  virtual Result<std::vector<Hit>> Search(const Query& query,
                                          const SearchOptions& options) const = 0;
  virtual Result<std::vector<std::vector<Hit>>> SearchBatch(std::span<const Query> queries,
                                                            const SearchOptions& options) const = 0;

  // Calls fn for every live record (in slot order) from a consistent view; stops when fn returns
  // false. Writers wait while it runs, so keep fn quick.
  virtual Status ForEach(const std::function<bool(const Record&)>& fn) const = 0;

  // Purges deleted records from the index, reuses their space and checkpoints. Afterwards no
  // deleted record's vector or payload is left in the collection's files: freed slots are
  // zeroed and the log that held the records is deleted.
  virtual Status Compact() = 0;
  // Writes the collection whole and truncates its log.
  virtual Status Checkpoint() = 0;

  virtual CollectionInfo Info() const = 0;

  // Replication (alike cluster): a collection that replays a replicated log of writes, such as a
  // shard's NATS JetStream stream, applies each logged write together with its position in that
  // log. Both go into one record of the collection's own write-ahead log, so after any crash the
  // collection holds exactly the writes up to replicated_seq(): a restarted replica resumes at
  // replicated_seq() + 1 and applies nothing twice and loses nothing.
  //
  // Applies `log_record` (from EncodeUpsertLogRecord or EncodeDeleteLogRecord) as the write at
  // position `source_seq`. Nothing is written when the record fails its checksum or does not
  // decode for this collection (Corruption), or when source_seq is not above replicated_seq()
  // (FailedPrecondition: it was applied already).
  virtual Status ApplyReplicated(std::string_view log_record, uint64_t source_seq) = 0;
  // Records that position `source_seq` was consumed without a write (a message skipped as
  // corrupt), so that a restart does not read it again. Same precondition as ApplyReplicated.
  virtual Status SkipReplicated(uint64_t source_seq) = 0;
  // The position of the last write applied or skipped by the two calls above; 0 if none.
  virtual uint64_t replicated_seq() const = 0;
};

// A write encoded as one record of the write-ahead log (checksummed), as a collection with
// `options` logs it: validated as Upsert validates it (the message names a bad record), cosine
// vectors normalised, payloads in canonical JSON, the last record of an id in the batch kept.
// Collection::ApplyReplicated applies it on another machine.
Result<std::string> EncodeUpsertLogRecord(const CollectionOptions& options,
                                          std::span<const Record> records);
// Deleting ids that are absent is a no-op when the record is applied.
std::string EncodeDeleteLogRecord(std::span<const uint64_t> ids);
// Deletes, when applied, the records the filter matches at that point of the replicated history
// (every replica applies it at the same point, so all delete the same records). InvalidArgument
// for a malformed filter.
Result<std::string> EncodeDeleteWhereLogRecord(std::string_view filter);

// For the end of a bulk write (an index run, an import): checkpoints the collection when its
// log holds an eighth of its data or more, and at least 1 MiB. Opening a collection replays its
// log, inserting every logged vector into the index again, while a checkpoint is read back
// whole; the store by itself checkpoints only past DatabaseOptions::checkpoint_log_bytes, so a
// collection under that size would otherwise rebuild its graph at every open (2 s for 4,300
// vectors of 2,304 floats).
Status CheckpointIfLogLarge(Collection& collection);

class Database {
 public:
  virtual ~Database() = default;

  // Opens (recovering from any crash) or creates a database directory.
  static Result<std::unique_ptr<Database>> Open(const std::string& dir,
                                                const DatabaseOptions& options = {});

  virtual Result<std::shared_ptr<Collection>> CreateCollection(
      const std::string& name, const CollectionOptions& options) = 0;
  virtual Result<std::shared_ptr<Collection>> GetCollection(const std::string& name) const = 0;
  // Removes a collection and its files. Handles that callers still hold fail their next write.
  virtual Status DropCollection(const std::string& name) = 0;
  virtual std::vector<std::string> ListCollections() const = 0;

  // Writes a consistent copy of the whole database into `dest_dir` (which must not exist) while
  // the database keeps serving. The copy opens like any database.
  virtual Status Snapshot(const std::string& dest_dir) = 0;
  // Snapshot() of the one collection `name`: a database directory holding only it, consistent
  // with its acknowledged writes (and, for a replica, its replicated_seq()). Other collections'
  // writers do not wait.
  virtual Status SnapshotCollection(const std::string& name, const std::string& dest_dir) = 0;
  // Installs collection `name` from `snapshot_dir`, a database directory such as Snapshot() or
  // SnapshotCollection() writes, on the same file system as this database: its files move (they
  // are not copied), so `snapshot_dir` no longer holds the collection afterwards. The collection
  // is opened where it was moved, under a temporary name, and checked (opening verifies its
  // checksums; then `accept`, which may be empty, sees it and may refuse it) before it replaces
  // a collection of that name, if any, whose handles then fail their next write. Refused or
  // failed, nothing is installed and the old collection is kept; a crash at any moment leaves
  // either the old collection or the restored one under the name, or (between dropping the old
  // one and installing the new one) none, never a partial one.
  virtual Result<std::shared_ptr<Collection>> RestoreCollection(
      const std::string& name, const std::string& snapshot_dir,
      const std::function<Status(const Collection&)>& accept) = 0;

  virtual const std::string& path() const = 0;
};

}  // namespace alike

#endif  // ALIKE_VECTOR_DB_H_
