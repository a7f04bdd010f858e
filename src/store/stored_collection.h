// StoredCollection: a durable Collection. Its state is a checkpoint file plus write-ahead logs
// replayed on top of it; in memory it is a slot table (vectors, ids, payloads) and an index.
//
// Files in the collection directory:
//   options.json       dimension, metric, index kind and parameters; written once at creation
//   checkpoint         the whole state at some moment, with the sequence number of the first log
//                      that follows it (format in checkpoint.h)
//   wal-<seq>.log      acknowledged writes since then, replayed in sequence order on open
//
// A checkpoint is taken in an order that is safe to interrupt at any instant: open the next log,
// write checkpoint.tmp, fsync, rename over checkpoint, fsync the directory, remove older logs.
// Recovery replays every log whose sequence is >= the checkpoint's, so a crash between any two
// steps loses nothing and replays nothing twice.
//
// Vectors of sq8 collections live on disk: the sq8 index keeps its 8-bit codes in memory, and
// the float vectors (for its exact re-rank, Get, ForEach and exact scans) are read from a
// read-only memory map of the checkpoint's code section, where the OS pages in only what is
// touched. Vectors upserted since the checkpoint are in memory (and in the log), as for every
// kind, until the next checkpoint holds them and is mapped in turn; so their memory is bounded
// by the checkpoint policy (checkpoint_log_bytes). Durability is unchanged: the log is still the
// source of truth, and the map only reads a checkpoint that is never modified once renamed into
// place (a new one replaces it by a rename; the old file lives on until it is unmapped).
// flat and hnsw keep every vector in memory: their scans and graph walks touch most of them.
//
// I/O errors (a full disk, EIO) never cost an acknowledged write, and what a collection serves
// is what reopens. tests/store/fault_test.cc fails every file system call in turn to check it.
//   - A write is acknowledged once its log record is durable. If appending it fails, the log
//     writer cuts the partial record off again and the write fails with nothing changed; the
//     collection takes writes again (the disk may have room again).
//   - If the record cannot be cut off, or the sync fails (after a failed fsync Linux may have
//     dropped the pages and forgotten the error, so a retry could succeed on data that is gone),
//     the log's end is unknown: that write may or may not reopen, whole, and the collection
//     refuses every later write (FailedPrecondition naming the cause) until the database is
//     reopened and recovers from what the log holds, as LevelDB does after a background error.
//   - A checkpoint or compaction that fails before its rename has changed nothing recovery reads.
//     Once the new checkpoint is renamed into place, writes go to the log it names, whatever
//     fails next: a write logged in the old log would be acknowledged and then dropped by
//     recovery as covered. An automatic checkpoint that fails does not fail the write it follows,
//     which is durable already; it is tried again after the next write, and Checkpoint() or
//     Compact() report why it fails.
//
// Thread-safety: all public methods may be called from many threads. Writers are serialised by
// write_mutex_ (held while logging and applying); searches share state_mutex_, which a writer
// holds exclusively only while it applies an already-logged write to memory.
#ifndef ALIKE_STORE_STORED_COLLECTION_H_
#define ALIKE_STORE_STORED_COLLECTION_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "alike/vector_db.h"
#include "index/space.h"
#include "index/vector_index.h"
#include "index/vector_table.h"
#include "store/filter.h"
#include "store/log_records.h"
#include "util/wal.h"

namespace alike::store {

class StoredCollection : public Collection {
 public:
  // Creates the collection's files in `dir` (which must not exist). Every file write goes
  // through `fs`, which must outlive the collection.
  static Result<std::shared_ptr<StoredCollection>> Create(const std::string& dir,
                                                          const std::string& name,
                                                          const CollectionOptions& options,
                                                          const DatabaseOptions& db_options,
                                                          FileSystem& fs);
  // Opens an existing collection directory, recovering from any crash.
  static Result<std::shared_ptr<StoredCollection>> Open(const std::string& dir,
                                                        const std::string& name,
                                                        const DatabaseOptions& db_options,
                                                        FileSystem& fs);
  // Checks options a user gave, naming the offending field.
  static Status ValidateOptions(const CollectionOptions& options);

  ~StoredCollection() override;

  const std::string& name() const override { return name_; }
  const CollectionOptions& options() const override { return options_; }

  Status Upsert(std::span<const Record> records) override;
  Status UpsertViews(std::span<const RecordView> records) override;
  Result<uint64_t> Delete(std::span<const uint64_t> ids) override;
  Result<uint64_t> DeleteWhere(std::string_view filter) override;
  Result<Record> Get(uint64_t id) const override;
  uint64_t Count() const override;
  Result<uint64_t> CountWhere(std::string_view filter) const override;
  Result<std::vector<Hit>> Search(const Query& query, const SearchOptions& options) const override;
  Result<std::vector<std::vector<Hit>>> SearchBatch(std::span<const Query> queries,
                                                    const SearchOptions& options) const override;
  Status ForEach(const std::function<bool(const Record&)>& fn) const override;
  Status Compact() override;
  Status Checkpoint() override;
  CollectionInfo Info() const override;
  Status ApplyReplicated(std::string_view log_record, uint64_t source_seq) override;
  Status SkipReplicated(uint64_t source_seq) override;
  uint64_t replicated_seq() const override { return replicated_seq_; }

  // Validates and encodes an upsert batch for a collection with `options` (`owner` names it in
  // messages, e.g. "collection 'photos'"): what Upsert logs, and EncodeUpsertLogRecord publishes.
  static Status EncodeUpsertBatch(const CollectionOptions& options, const std::string& owner,
                                  std::span<const RecordView> records,
                                  std::vector<EncodedRecord>* encoded,
                                  std::vector<nlohmann::json>* payloads);
  // Views of records, for the calls above that take views.
  static std::vector<RecordView> ViewsOf(std::span<const Record> records);

  // Holds off writers (searches go on) until the lock is released; with it held, the files on
  // disk are exactly the acknowledged state, and CopyFilesTo() copies them consistently. The
  // database takes every collection's lock before copying any, for a snapshot across them all.
  std::unique_lock<std::mutex> HoldWrites() const { return std::unique_lock(write_mutex_); }
  Status CopyFilesTo(const std::string& dest_dir) const;
  // Called by the database when the collection is dropped: every later write fails.
  void MarkDropped();
  const std::string& dir() const { return dir_; }

 private:
  enum class SlotState : uint8_t { kFree = 0, kLive = 1, kRemoved = 2 };
  class PayloadFilter;

  StoredCollection(std::string dir, std::string name, const CollectionOptions& options,
                   const DatabaseOptions& db_options, FileSystem& fs);

  // Whether the checkpoint's vectors are served from a memory map rather than memory: sq8 over
  // floats (for Hamming, sq8 means the flat scan, which reads every code).
  bool MapsVectors() const {
    return options_.index == IndexKind::kSq8 && options_.metric != Metric::kHamming;
  }

  // Recovery.
  Status Recover();
  Status LoadCheckpoint(const std::string& path, uint64_t* wal_seq);
  Status ReplayLog(const std::string& path);

  // A logged write, decoded and checked, ready to apply.
  struct DecodedWrite {
    LogRecordType type = LogRecordType::kUpsert;
    std::vector<EncodedRecord> records;  // kUpsert
    std::vector<nlohmann::json> payloads;
    std::vector<uint64_t> ids;  // kDelete
    Filter filter;              // kDeleteWhere
  };
  // Decodes a kUpsert, kDelete or kDeleteWhere payload; Corruption for anything else or anything
  // malformed.
  Status DecodeWrite(uint8_t type, std::string_view data, DecodedWrite* write) const;
  // Applies a decoded write. Callers hold state_mutex_ exclusively (or are recovering).
  void ApplyWrite(DecodedWrite& write);
  // Decodes a kReplicated payload: its position and the write it carries, if any.
  Status DecodeReplicated(std::string_view data, uint64_t* source_seq,
                          std::optional<DecodedWrite>* write) const;
  // Logs and applies a kReplicated record.
  Status LogReplicated(std::string_view log_record, uint64_t source_seq);

  // Validation and encoding of caller input (no lock needed).
  static Status EncodeVector(const CollectionOptions& options, const std::string& owner,
                             const RecordView& record, std::string* code);
  Result<std::string> EncodeQuery(const Query& query) const;

  // Writing. Callers hold write_mutex_.
  Status CheckWritable() const;
  Status LogAndApply(LogRecordType type, const std::string& payload,
                     const std::function<void()>& apply);
  void ApplyUpsert(std::vector<EncodedRecord>& records, std::vector<nlohmann::json>& payloads);
  uint64_t ApplyDelete(std::span<const uint64_t> ids);
  // The ids of the live records `filter` matches. Callers hold state_mutex_ (or are recovering).
  std::vector<uint64_t> MatchingIds(const Filter& filter) const;
  // After a write: purges and checkpoints when the thresholds say so. Its errors are not the
  // write's (that is durable already); a failed checkpoint is retried after the next write, and
  // Checkpoint() or Compact() called explicitly report why it fails.
  void MaybeCompactAndCheckpoint();
  void PurgeLocked();
  Status CheckpointLocked();
  Status WriteCheckpointFile(const std::string& path, uint64_t wal_seq) const;
  uint32_t AllocateSlot();

  // Reading. Callers hold state_mutex_ (shared or exclusive).
  std::vector<index::Neighbor> SearchLocked(const std::string& code, const SearchOptions& options,
                                            const Filter& filter) const;
  std::vector<index::Neighbor> ExactScan(const std::string& code, size_t k,
                                         const Filter* filter) const;
  double EstimateSelectivity(const Filter& filter) const;
  Record RecordAt(uint32_t slot) const;
  std::vector<Hit> ToHits(const std::vector<index::Neighbor>& neighbors,
                          const SearchOptions& options) const;

  std::string WalPath(uint64_t seq) const;

  const std::string dir_;
  const std::string name_;
  const CollectionOptions options_;
  const DatabaseOptions db_options_;
  FileSystem& fs_;
  const index::Space space_;

  mutable std::mutex write_mutex_;
  mutable std::shared_mutex state_mutex_;

  // Guarded by state_mutex_ (written only with write_mutex_ held too).
  index::VectorTable table_;
  std::unique_ptr<index::VectorIndex> index_;
  std::vector<uint64_t> slot_ids_;
  std::vector<SlotState> slot_states_;
  std::vector<nlohmann::json> payloads_;
  std::vector<uint32_t> free_slots_;
  std::unordered_map<uint64_t, uint32_t> id_to_slot_;
  uint32_t slot_count_ = 0;  // slots ever handed out (free ones included)
  uint64_t live_count_ = 0;
  uint64_t removed_count_ = 0;  // kRemoved slots awaiting a purge

  // Guarded by write_mutex_.
  std::unique_ptr<WalWriter> wal_;
  uint64_t wal_seq_ = 1;
  Status poisoned_;  // set when a failed log write leaves the log's end unknown (see the top)
  // Written with write_mutex_ held (and by recovery); read by replicated_seq() without it.
  std::atomic<uint64_t> replicated_seq_{0};
  std::atomic<bool> dropped_{false};
};

}  // namespace alike::store

#endif  // ALIKE_STORE_STORED_COLLECTION_H_
