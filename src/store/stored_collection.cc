#include "store/stored_collection.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <queue>
#include <random>
#include <thread>
#include <unordered_set>

#include "store/collection_options.h"
#include "store/search_plan.h"
#include "util/file.h"
#include "util/json_depth.h"
#include "util/mapped_file.h"
#include "util/parallel_for.h"

namespace alike::store {
namespace {

constexpr char kCheckpointMagic[8] = {'A', 'L', 'I', 'K', 'E', 'C', 'K', 'P'};
// Version 2 pads the code section to a 64-byte boundary, so that it can be memory-mapped with the
// alignment the distance kernels assume; version 1 files are still read (into memory). Version 3
// adds the replicated log position (Collection::replicated_seq) after the index; it is written
// only by collections that replicate, so that other checkpoints stay readable by older builds.
constexpr uint32_t kCheckpointVersion = 3;
constexpr uint32_t kCheckpointVersionWithoutReplication = 2;
constexpr size_t kCodeSectionAlignment = 64;
constexpr size_t kMaxPayloadBytes = 1 << 20;
constexpr int kMaxPayloadDepth = 64;
// Below this many live records a filtered search counts matches exactly instead of sampling.
constexpr uint64_t kExactCountLimit = 4096;
constexpr size_t kSelectivitySamples = 1024;
// Batches smaller than this are inserted on the calling thread: spawning workers costs more.
constexpr size_t kParallelAddMinimum = 256;

std::string SeqFileName(uint64_t seq) {
  char name[32];
  std::snprintf(name, sizeof(name), "wal-%08llu.log", static_cast<unsigned long long>(seq));
  return name;
}

// Parses "wal-<digits>.log"; false for anything else.
bool ParseWalName(const std::string& name, uint64_t* seq) {
  if (name.size() < 9 || name.rfind("wal-", 0) != 0 || name.substr(name.size() - 4) != ".log") {
    return false;
  }
  std::string digits = name.substr(4, name.size() - 8);
  if (digits.empty() || digits.size() > 18 ||
      digits.find_first_not_of("0123456789") != std::string::npos) {
    return false;
  }
  *seq = std::stoull(digits);
  return true;
}

// Where a checkpoint of `version` with `slot_count` slots starts its code section: after the
// header (magic, version, code size, log sequence, slot count), the states and the ids.
uint64_t CodeSectionOffset(uint32_t version, uint32_t slot_count) {
  const uint64_t end = sizeof(kCheckpointMagic) + 4 + 4 + 8 + 4 + uint64_t{slot_count} * 9;
  if (version < 2) return end;
  return (end + kCodeSectionAlignment - 1) / kCodeSectionAlignment * kCodeSectionAlignment;
}

// Reads (and so checksums) `size` bytes without keeping them.
Status SkipBytes(ByteSource& source, uint64_t size) {
  std::vector<char> chunk(std::min<uint64_t>(size, 1 << 20));
  while (size > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(size, chunk.size()));
    ALIKE_RETURN_IF_ERROR(source.Read(chunk.data(), n));
    size -= n;
  }
  return Status::OK();
}

unsigned WorkerCount(const DatabaseOptions& options) { return ThreadCount(options.threads); }

}  // namespace

// Admits the live slots whose payload matches a filter.
class StoredCollection::PayloadFilter : public index::SlotFilter {
 public:
  PayloadFilter(const StoredCollection& c, const Filter& f) : collection_(c), filter_(f) {}
  bool Allows(uint32_t slot) const override {
    return collection_.slot_states_[slot] == SlotState::kLive &&
           filter_.Matches(collection_.payloads_[slot]);
  }

 private:
  const StoredCollection& collection_;
  const Filter& filter_;
};

StoredCollection::StoredCollection(std::string dir, std::string name,
                                   const CollectionOptions& options,
                                   const DatabaseOptions& db_options, FileSystem& fs)
    : dir_(std::move(dir)),
      name_(std::move(name)),
      options_(options),
      db_options_(db_options),
      fs_(fs),
      space_(options.metric, options.dimension),
      table_(space_.code_size()) {
  index_ = index::NewIndex(options_, space_, table_);
}

StoredCollection::~StoredCollection() = default;

Status StoredCollection::ValidateOptions(const CollectionOptions& o) {
  if (o.dimension == 0 || o.dimension > 65536) {
    return Status::InvalidArgument("dimension must be between 1 and 65536, got " +
                                   std::to_string(o.dimension));
  }
  if (o.metric == Metric::kHamming && o.dimension % 8 != 0) {
    return Status::InvalidArgument(
        "a hamming collection's dimension counts bits and must be a "
        "multiple of 8, got " +
        std::to_string(o.dimension));
  }
  if (o.index == IndexKind::kMultiHash && (o.metric != Metric::kHamming || o.dimension % 64 != 0)) {
    return Status::InvalidArgument(
        "index mih (multi-index hashing) takes hamming collections of a multiple of 64 bits, got " +
        std::string(MetricName(o.metric)) + " of dimension " + std::to_string(o.dimension));
  }
  if (o.hnsw.m < 2 || o.hnsw.m > 256) {
    return Status::InvalidArgument("hnsw m must be between 2 and 256, got " +
                                   std::to_string(o.hnsw.m));
  }
  if (o.hnsw.ef_construction < 1 || o.hnsw.ef_construction > 10000 || o.hnsw.ef_search < 1 ||
      o.hnsw.ef_search > 100000) {
    return Status::InvalidArgument(
        "hnsw ef_construction must be in 1..10000 and ef_search in "
        "1..100000");
  }
  return Status::OK();
}

Result<std::shared_ptr<StoredCollection>> StoredCollection::Create(
    const std::string& dir, const std::string& name, const CollectionOptions& options,
    const DatabaseOptions& db_options, FileSystem& fs) {
  ALIKE_RETURN_IF_ERROR(ValidateOptions(options));
  ALIKE_RETURN_IF_ERROR(CreateDir(dir, fs));
  ALIKE_RETURN_IF_ERROR(WriteFileAtomically(dir + "/options.json",
                                            CollectionOptionsToJson(options).dump(2) + "\n", fs));
  return Open(dir, name, db_options, fs);
}

Result<std::shared_ptr<StoredCollection>> StoredCollection::Open(const std::string& dir,
                                                                 const std::string& name,
                                                                 const DatabaseOptions& db_options,
                                                                 FileSystem& fs) {
  auto text = ReadFileToString(dir + "/options.json");
  if (!text.ok()) return text.status();
  auto options = CollectionOptionsFromJson(*text);
  if (!options.ok()) return options.status().WithContext(dir + "/options.json");
  ALIKE_RETURN_IF_ERROR(ValidateOptions(*options).WithContext(dir + "/options.json"));
  std::shared_ptr<StoredCollection> c(new StoredCollection(dir, name, *options, db_options, fs));
  ALIKE_RETURN_IF_ERROR(c->Recover().WithContext("collection '" + name + "'"));
  return c;
}

std::string StoredCollection::WalPath(uint64_t seq) const { return dir_ + "/" + SeqFileName(seq); }

Status StoredCollection::Recover() {
  uint64_t first_seq = 1;
  const std::string checkpoint = dir_ + "/checkpoint";
  if (FileExists(checkpoint)) ALIKE_RETURN_IF_ERROR(LoadCheckpoint(checkpoint, &first_seq));

  auto names = ListDir(dir_);
  if (!names.ok()) return names.status();
  std::vector<uint64_t> seqs;
  for (const auto& n : *names) {
    uint64_t seq;
    if (ParseWalName(n, &seq)) {
      if (seq >= first_seq) {
        seqs.push_back(seq);
      } else {
        // A log the checkpoint already covers: a crash came between the checkpoint's rename and
        // the log's removal.
        ALIKE_RETURN_IF_ERROR(RemoveAll(WalPath(seq), fs_));
      }
    } else if (n == "checkpoint.tmp") {
      ALIKE_RETURN_IF_ERROR(RemoveAll(dir_ + "/" + n, fs_));  // an interrupted checkpoint
    }
  }
  std::sort(seqs.begin(), seqs.end());
  for (uint64_t seq : seqs) ALIKE_RETURN_IF_ERROR(ReplayLog(WalPath(seq)));
  wal_seq_ = seqs.empty() ? first_seq : seqs.back();
  auto wal = WalWriter::Open(WalPath(wal_seq_), db_options_.sync == SyncPolicy::kAlways, fs_);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  return Status::OK();
}

Status StoredCollection::DecodeWrite(uint8_t type, std::string_view data,
                                     DecodedWrite* write) const {
  write->type = static_cast<LogRecordType>(type);
  switch (write->type) {
    case LogRecordType::kUpsert:
      ALIKE_RETURN_IF_ERROR(DecodeUpsert(data, space_.code_size(), &write->records));
      write->payloads.clear();
      write->payloads.reserve(write->records.size());
      for (const auto& r : write->records) {
        write->payloads.push_back(nlohmann::json::parse(r.payload, nullptr, false));
        if (!write->payloads.back().is_object()) {
          return Status::Corruption("logged payload of id " + std::to_string(r.id) +
                                    " is not a JSON object");
        }
      }
      return Status::OK();
    case LogRecordType::kDelete:
      return DecodeDelete(data, &write->ids);
    case LogRecordType::kDeleteWhere: {
      auto filter = Filter::Parse(data);
      if (!filter.ok()) return Status::Corruption("logged filter: " + filter.status().message());
      write->filter = std::move(*filter);
      return Status::OK();
    }
    case LogRecordType::kReplicated:
      break;
  }
  return Status::Corruption("unknown log record type " + std::to_string(type));
}

void StoredCollection::ApplyWrite(DecodedWrite& write) {
  switch (write.type) {
    case LogRecordType::kUpsert:
      ApplyUpsert(write.records, write.payloads);
      return;
    case LogRecordType::kDeleteWhere:
      ApplyDelete(MatchingIds(write.filter));
      return;
    default:
      ApplyDelete(write.ids);
  }
}

Status StoredCollection::DecodeReplicated(std::string_view data, uint64_t* source_seq,
                                          std::optional<DecodedWrite>* write) const {
  if (data.size() < sizeof(uint64_t)) return Status::Corruption("replicated record is truncated");
  std::memcpy(source_seq, data.data(), sizeof(uint64_t));
  const std::string_view inner = data.substr(sizeof(uint64_t));
  write->reset();
  if (inner.empty()) return Status::OK();
  uint8_t type = 0;
  std::string_view payload;
  ALIKE_RETURN_IF_ERROR(DecodeWalRecord(inner, &type, &payload));
  return DecodeWrite(type, payload, &write->emplace());
}

Status StoredCollection::ReplayLog(const std::string& path) {
  DecodedWrite write;
  std::optional<DecodedWrite> replicated;
  WalReadStats stats;
  return ReadWal(
             path,
             [&](uint8_t type, std::string_view data) -> Status {
               if (static_cast<LogRecordType>(type) != LogRecordType::kReplicated) {
                 ALIKE_RETURN_IF_ERROR(DecodeWrite(type, data, &write));
                 ApplyWrite(write);
                 return Status::OK();
               }
               uint64_t source_seq = 0;
               ALIKE_RETURN_IF_ERROR(DecodeReplicated(data, &source_seq, &replicated));
               if (replicated) ApplyWrite(*replicated);
               replicated_seq_ = source_seq;
               return Status::OK();
             },
             &stats, fs_)
      .WithContext(path);
}

// ---------------------------------------------------------------------------------------------
// Checkpoint file:
//   "ALIKECKP" u32 version u32 code_size u64 wal_seq u32 slot_count
//   slot_count x u8 state, slot_count x u64 id, zeros up to a multiple of 64 bytes (version 2),
//   slot_count x code (zeros for free slots)
//   for each live slot: string payload
//   u64 free slot count, free slots as u32
//   the index (VectorIndex::Save)
//   u64 replicated_seq (version 3, written when it is not 0; earlier versions mean 0)
//   u32 CRC-32C of everything above
// Everything is read back with bounds checks, and the CRC is verified before the state is used.

Status StoredCollection::WriteCheckpointFile(const std::string& path, uint64_t wal_seq) const {
  auto sink_or = FileSink::Create(path, fs_);
  if (!sink_or.ok()) return sink_or.status();
  FileSink& sink = **sink_or;
  ALIKE_RETURN_IF_ERROR(sink.Write(kCheckpointMagic, sizeof(kCheckpointMagic)));
  const bool replicates = replicated_seq_ != 0;
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint32_t>(replicates ? kCheckpointVersion
                                                           : kCheckpointVersionWithoutReplication));
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint32_t>(static_cast<uint32_t>(space_.code_size())));
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint64_t>(wal_seq));
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint32_t>(slot_count_));
  ALIKE_RETURN_IF_ERROR(sink.Write(slot_states_.data(), slot_count_));
  ALIKE_RETURN_IF_ERROR(sink.Write(slot_ids_.data(), size_t{slot_count_} * sizeof(uint64_t)));
  const std::vector<uint8_t> zeros(std::max<size_t>(space_.code_size(), kCodeSectionAlignment));
  const uint64_t header_end = CodeSectionOffset(1, slot_count_);
  ALIKE_RETURN_IF_ERROR(
      sink.Write(zeros.data(), CodeSectionOffset(kCheckpointVersion, slot_count_) - header_end));
  // Slot by slot: the table may serve some slots from the previous checkpoint's map. A purged
  // vector must not outlive its purge on disk, so free slots are written as zeros.
  for (uint32_t s = 0; s < slot_count_; ++s) {
    const bool free = slot_states_[s] == SlotState::kFree;
    ALIKE_RETURN_IF_ERROR(sink.Write(free ? zeros.data() : table_.code(s), space_.code_size()));
  }
  for (uint32_t s = 0; s < slot_count_; ++s) {
    if (slot_states_[s] == SlotState::kLive)
      ALIKE_RETURN_IF_ERROR(sink.WriteString(payloads_[s].dump()));
  }
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint64_t>(free_slots_.size()));
  ALIKE_RETURN_IF_ERROR(sink.Write(free_slots_.data(), free_slots_.size() * sizeof(uint32_t)));
  ALIKE_RETURN_IF_ERROR(index_->Save(sink));
  if (replicates) ALIKE_RETURN_IF_ERROR(sink.WritePod<uint64_t>(replicated_seq_));
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint32_t>(sink.crc()));
  return sink.Finish();
}

Status StoredCollection::LoadCheckpoint(const std::string& path, uint64_t* wal_seq) {
  auto source_or = FileSource::Open(path);
  if (!source_or.ok()) return source_or.status();
  FileSource& source = **source_or;
  auto fail = [&](const std::string& why) { return Status::Corruption(path + ": " + why); };

  char magic[sizeof(kCheckpointMagic)];
  ALIKE_RETURN_IF_ERROR(source.Read(magic, sizeof(magic)));
  if (std::memcmp(magic, kCheckpointMagic, sizeof(magic)) != 0) {
    return fail("not an alike checkpoint");
  }
  uint32_t version = 0, code_size = 0, slot_count = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&version));
  if (version > kCheckpointVersion) {
    return Status::NotSupported(path + ": checkpoint format " + std::to_string(version) +
                                " is newer than this build of alike reads (" +
                                std::to_string(kCheckpointVersion) + ")");
  }
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&code_size));
  if (code_size != space_.code_size()) return fail("code size does not match options.json");
  ALIKE_RETURN_IF_ERROR(source.ReadPod(wal_seq));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&slot_count));
  // The slot arrays alone take this much; a count the file cannot hold is corrupt.
  if (uint64_t{slot_count} * (9 + code_size) > source.size()) return fail("slot count too large");

  slot_count_ = slot_count;
  slot_states_.resize(slot_count);
  slot_ids_.resize(slot_count);
  payloads_.assign(slot_count, nlohmann::json());
  ALIKE_RETURN_IF_ERROR(source.Read(slot_states_.data(), slot_count));
  ALIKE_RETURN_IF_ERROR(source.Read(slot_ids_.data(), size_t{slot_count} * sizeof(uint64_t)));
  const uint64_t codes_at = CodeSectionOffset(version, slot_count);
  ALIKE_RETURN_IF_ERROR(SkipBytes(source, codes_at - source.position()));
  const uint64_t codes_size = uint64_t{slot_count} * code_size;
  if (MapsVectors() && version >= 2) {
    // Read through once for the checksum (the CRC at the end covers the codes too), then map.
    ALIKE_RETURN_IF_ERROR(SkipBytes(source, codes_size));
    auto map = MappedFile::Map(path, codes_at, codes_size);
    if (!map.ok()) return map.status();
    table_.MapSlots(std::move(*map), slot_count);
  } else {
    table_.Reserve(slot_count);
    if (slot_count > 0) ALIKE_RETURN_IF_ERROR(source.Read(table_.mutable_code(0), codes_size));
  }
  id_to_slot_.clear();
  id_to_slot_.reserve(slot_count);
  live_count_ = removed_count_ = 0;
  std::string text;
  for (uint32_t s = 0; s < slot_count; ++s) {
    switch (slot_states_[s]) {
      case SlotState::kLive: {
        ALIKE_RETURN_IF_ERROR(source.ReadString(&text, kMaxPayloadBytes));
        payloads_[s] = nlohmann::json::parse(text, nullptr, false);
        if (!payloads_[s].is_object()) return fail("payload of slot " + std::to_string(s));
        if (!id_to_slot_.emplace(slot_ids_[s], s).second) return fail("duplicate id");
        ++live_count_;
        break;
      }
      case SlotState::kRemoved:
        ++removed_count_;
        break;
      case SlotState::kFree:
        break;
      default:
        return fail("bad slot state");
    }
  }
  uint64_t free_count = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&free_count));
  if (free_count > slot_count) return fail("free list larger than the table");
  free_slots_.resize(free_count);
  ALIKE_RETURN_IF_ERROR(source.Read(free_slots_.data(), free_count * sizeof(uint32_t)));
  for (uint32_t s : free_slots_) {
    if (s >= slot_count || slot_states_[s] != SlotState::kFree) return fail("bad free list");
  }
  ALIKE_RETURN_IF_ERROR(index_->Load(source).WithContext(path));
  uint64_t replicated_seq = 0;
  if (version >= 3) ALIKE_RETURN_IF_ERROR(source.ReadPod(&replicated_seq));
  replicated_seq_ = replicated_seq;
  uint32_t expected = source.crc(), stored = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&stored));
  if (stored != expected) return fail("checksum mismatch");
  if (source.position() != source.size()) return fail("trailing bytes");
  return Status::OK();
}

Status StoredCollection::CheckpointLocked() {
  // Order matters for crash safety; see the header comment.
  const uint64_t next_seq = wal_seq_ + 1;
  auto next_wal = WalWriter::Open(WalPath(next_seq), db_options_.sync == SyncPolicy::kAlways, fs_);
  if (!next_wal.ok()) return next_wal.status();
  const uint32_t slot_count = slot_count_;  // writers, the only ones to change it, are held
  const std::string tmp = dir_ + "/checkpoint.tmp";
  Status written;
  {
    std::shared_lock lock(state_mutex_);  // searches go on; writers are held by write_mutex_
    written = WriteCheckpointFile(tmp, next_seq);
  }
  if (written.ok()) written = RenameFile(tmp, dir_ + "/checkpoint", fs_);
  if (!written.ok()) {
    // Nothing that recovery reads has changed. The partial file goes at once (else recovery
    // removes it), so that a checkpoint failing on a full disk does not keep the disk full.
    RemoveAll(tmp, fs_);
    return written;
  }
  // From the rename on, the checkpoint on disk sends recovery to log next_seq and drops older
  // logs as covered, so every later write must go to that log, whatever fails below: one logged
  // in the old log would be acknowledged and then lost at the next open.
  const uint64_t old_seq = wal_seq_;
  wal_ = std::move(*next_wal);
  wal_seq_ = next_seq;
  // Until the rename is durable a crash may bring back the old checkpoint, which needs the old
  // log: it is removed only after.
  ALIKE_RETURN_IF_ERROR(SyncDir(dir_, fs_));
  ALIKE_RETURN_IF_ERROR(RemoveAll(WalPath(old_seq), fs_));
  ALIKE_RETURN_IF_ERROR(SyncDir(dir_, fs_));
  if (!MapsVectors()) return Status::OK();
  // The vectors written since the last checkpoint are in this one now: serve them from it and
  // free their memory. Should mapping fail, the table goes on serving them as before.
  auto map =
      MappedFile::Map(dir_ + "/checkpoint", CodeSectionOffset(kCheckpointVersion, slot_count),
                      uint64_t{slot_count} * space_.code_size());
  if (!map.ok()) return map.status();
  std::unique_lock lock(state_mutex_);
  table_.MapSlots(std::move(*map), slot_count);
  return Status::OK();
}

Status StoredCollection::Checkpoint() {
  std::lock_guard lock(write_mutex_);
  ALIKE_RETURN_IF_ERROR(CheckWritable());
  return CheckpointLocked();
}

// ---------------------------------------------------------------------------------------------
// Writes.

Status StoredCollection::CheckWritable() const {
  if (dropped_) return Status::NotFound("collection '" + name_ + "' was dropped");
  if (!poisoned_.ok()) {
    return Status::FailedPrecondition("collection '" + name_ +
                                      "' refuses writes after a failed log write (" +
                                      poisoned_.message() + "); reopen the database");
  }
  return Status::OK();
}

Status StoredCollection::EncodeVector(const CollectionOptions& options, const std::string& owner,
                                      const RecordView& r, std::string* code) {
  const std::string who = "record " + std::to_string(r.id);
  if (options.metric == Metric::kHamming) {
    const size_t code_size = options.dimension / 8;
    if (r.binary.size() != code_size) {
      return Status::InvalidArgument(who + ": binary vector has " +
                                     std::to_string(r.binary.size()) + " bytes, " + owner +
                                     " expects " + std::to_string(code_size));
    }
    code->assign(reinterpret_cast<const char*>(r.binary.data()), r.binary.size());
    return Status::OK();
  }
  if (r.vector.size() != options.dimension) {
    return Status::InvalidArgument(who + ": vector has dimension " +
                                   std::to_string(r.vector.size()) + ", " + owner + " expects " +
                                   std::to_string(options.dimension));
  }
  double norm2 = 0;
  for (size_t i = 0; i < r.vector.size(); ++i) {
    if (!std::isfinite(r.vector[i])) {
      return Status::InvalidArgument(who + ": component " + std::to_string(i) + " is " +
                                     (std::isnan(r.vector[i]) ? "NaN" : "infinite"));
    }
    norm2 += double{r.vector[i]} * r.vector[i];
  }
  code->assign(reinterpret_cast<const char*>(r.vector.data()), r.vector.size() * sizeof(float));
  if (options.metric == Metric::kCosine) {
    if (norm2 == 0) return Status::InvalidArgument(who + ": a zero vector has no cosine direction");
    auto* f = reinterpret_cast<float*>(code->data());
    const float inv = static_cast<float>(1.0 / std::sqrt(norm2));
    for (size_t i = 0; i < r.vector.size(); ++i) f[i] *= inv;
  }
  return Status::OK();
}

Status StoredCollection::LogAndApply(LogRecordType type, const std::string& payload,
                                     const std::function<void()>& apply) {
  Status s = wal_->Append(static_cast<uint8_t>(type), payload);
  if (!s.ok()) {
    // An append the writer cut off again left the log as it was: the write failed whole and the
    // collection goes on (a full disk may have room again). Otherwise the log's end is unknown.
    if (wal_->broken()) poisoned_ = s;
    return s;
  }
  {
    std::unique_lock lock(state_mutex_);
    apply();
  }
  // The write is durable and applied, so it is acknowledged whatever the housekeeping does.
  MaybeCompactAndCheckpoint();
  return Status::OK();
}

Status StoredCollection::EncodeUpsertBatch(const CollectionOptions& options,
                                           const std::string& owner,
                                           std::span<const RecordView> records,
                                           std::vector<EncodedRecord>* encoded,
                                           std::vector<nlohmann::json>* payloads) {
  // Within one batch the last record of an id wins; earlier ones are dropped before logging.
  std::unordered_map<uint64_t, size_t> last;
  for (size_t i = 0; i < records.size(); ++i) last[records[i].id] = i;
  encoded->clear();
  payloads->clear();
  encoded->reserve(last.size());
  payloads->reserve(last.size());
  for (size_t i = 0; i < records.size(); ++i) {
    const RecordView& r = records[i];
    if (last[r.id] != i) continue;
    EncodedRecord e{r.id, {}, {}};
    ALIKE_RETURN_IF_ERROR(EncodeVector(options, owner, r, &e.code));
    const std::string_view text = r.payload.empty() ? std::string_view("{}") : r.payload;
    if (text.size() > kMaxPayloadBytes) {
      return Status::InvalidArgument("record " + std::to_string(r.id) + ": payload exceeds 1 MiB");
    }
    if (FindJsonNestingOverflow(text, kMaxPayloadDepth) != 0) {
      return Status::InvalidArgument("record " + std::to_string(r.id) +
                                     ": payload nests deeper than " +
                                     std::to_string(kMaxPayloadDepth) + " levels");
    }
    auto json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded()) {
      return Status::InvalidArgument("record " + std::to_string(r.id) +
                                     ": payload is not valid JSON");
    }
    if (!json.is_object()) {
      return Status::InvalidArgument("record " + std::to_string(r.id) +
                                     ": payload must be a JSON object");
    }
    e.payload = json.dump();  // canonical, so replay and checkpoint store identical text
    encoded->push_back(std::move(e));
    payloads->push_back(std::move(json));
  }
  return Status::OK();
}

std::vector<RecordView> StoredCollection::ViewsOf(std::span<const Record> records) {
  std::vector<RecordView> views;
  views.reserve(records.size());
  for (const Record& r : records) views.push_back({r.id, r.vector, r.binary, r.payload});
  return views;
}

Status StoredCollection::Upsert(std::span<const Record> records) {
  return UpsertViews(ViewsOf(records));
}

Status StoredCollection::UpsertViews(std::span<const RecordView> records) {
  if (records.empty()) return Status::OK();
  std::vector<EncodedRecord> encoded;
  std::vector<nlohmann::json> payloads;
  ALIKE_RETURN_IF_ERROR(
      EncodeUpsertBatch(options_, "collection '" + name_ + "'", records, &encoded, &payloads));
  const std::string log = EncodeUpsert(encoded);
  std::lock_guard lock(write_mutex_);
  ALIKE_RETURN_IF_ERROR(CheckWritable());
  return LogAndApply(LogRecordType::kUpsert, log, [&] { ApplyUpsert(encoded, payloads); });
}

Status StoredCollection::LogReplicated(std::string_view log_record, uint64_t source_seq) {
  std::optional<DecodedWrite> write;
  std::string logged(sizeof(source_seq), '\0');
  std::memcpy(logged.data(), &source_seq, sizeof(source_seq));
  logged.append(log_record);
  // Decoded from exactly the bytes that will be logged, so what is applied now is what a replay
  // applies after a crash.
  uint64_t decoded_seq = 0;
  ALIKE_RETURN_IF_ERROR(DecodeReplicated(logged, &decoded_seq, &write)
                            .WithContext("replicated write at position " +
                                         std::to_string(source_seq) + " for collection '" + name_ +
                                         "'"));
  std::lock_guard lock(write_mutex_);
  ALIKE_RETURN_IF_ERROR(CheckWritable());
  if (source_seq <= replicated_seq_) {
    return Status::FailedPrecondition(
        "collection '" + name_ + "' already applied replicated position " +
        std::to_string(source_seq) + " (it is at " + std::to_string(replicated_seq_) + ")");
  }
  return LogAndApply(LogRecordType::kReplicated, logged, [&] {
    if (write) ApplyWrite(*write);
    replicated_seq_ = source_seq;
  });
}

Status StoredCollection::ApplyReplicated(std::string_view log_record, uint64_t source_seq) {
  if (log_record.empty()) {
    return Status::Corruption("replicated write at position " + std::to_string(source_seq) +
                              " is empty");
  }
  return LogReplicated(log_record, source_seq);
}

Status StoredCollection::SkipReplicated(uint64_t source_seq) {
  return LogReplicated({}, source_seq);
}

uint32_t StoredCollection::AllocateSlot() {
  if (!free_slots_.empty()) {
    uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  uint32_t slot = slot_count_++;
  if (slot_states_.size() < slot_count_) {
    size_t grown = std::max<size_t>(slot_count_, slot_states_.size() + slot_states_.size() / 8);
    slot_states_.resize(grown, SlotState::kFree);
    slot_ids_.resize(grown, 0);
    payloads_.resize(grown);
  }
  table_.Reserve(slot_count_);
  return slot;
}

void StoredCollection::ApplyUpsert(std::vector<EncodedRecord>& records,
                                   std::vector<nlohmann::json>& payloads) {
  std::vector<uint32_t> added;
  added.reserve(records.size());
  for (size_t i = 0; i < records.size(); ++i) {
    auto& r = records[i];
    auto it = id_to_slot_.find(r.id);
    if (it != id_to_slot_.end()) {
      // Replacing: the old slot becomes a tombstone so that concurrent graph structure stays
      // valid; the new vector gets a fresh slot.
      const uint32_t old = it->second;
      index_->Remove(old);
      slot_states_[old] = SlotState::kRemoved;
      payloads_[old] = nlohmann::json();
      ++removed_count_;
      --live_count_;
    }
    const uint32_t slot = AllocateSlot();
    table_.Set(slot, r.code.data());
    slot_ids_[slot] = r.id;
    slot_states_[slot] = SlotState::kLive;
    payloads_[slot] = std::move(payloads[i]);
    id_to_slot_[r.id] = slot;
    ++live_count_;
    added.push_back(slot);
  }
  index_->Reserve(slot_count_);
  const unsigned threads = added.size() >= kParallelAddMinimum ? WorkerCount(db_options_) : 1;
  ParallelFor(added.size(), threads, [&](size_t i) { index_->Add(added[i]); });
}

Result<uint64_t> StoredCollection::Delete(std::span<const uint64_t> ids) {
  std::lock_guard lock(write_mutex_);
  ALIKE_RETURN_IF_ERROR(CheckWritable());
  // Only ids that exist are logged: deleting nothing writes nothing. Reading id_to_slot_ without
  // state_mutex_ is safe here because only writers, which write_mutex_ excludes, change it.
  std::vector<uint64_t> present;
  std::unordered_set<uint64_t> seen;
  for (uint64_t id : ids) {
    if (id_to_slot_.count(id) && seen.insert(id).second) present.push_back(id);
  }
  if (present.empty()) return uint64_t{0};
  uint64_t deleted = 0;
  ALIKE_RETURN_IF_ERROR(LogAndApply(LogRecordType::kDelete, EncodeDelete(present),
                                    [&] { deleted = ApplyDelete(present); }));
  return deleted;
}

Result<uint64_t> StoredCollection::DeleteWhere(std::string_view filter_text) {
  auto filter = Filter::Parse(filter_text);
  if (!filter.ok()) return filter.status();
  std::vector<uint64_t> ids;
  {
    std::shared_lock lock(state_mutex_);
    ids = MatchingIds(*filter);
  }
  // A record that a concurrent writer replaced between the scan and the delete is deleted too:
  // the filter selected its id, and ids are what the caller addresses.
  return Delete(ids);
}

std::vector<uint64_t> StoredCollection::MatchingIds(const Filter& filter) const {
  std::vector<uint64_t> ids;
  for (uint32_t s = 0; s < slot_count_; ++s) {
    if (slot_states_[s] == SlotState::kLive && filter.Matches(payloads_[s])) {
      ids.push_back(slot_ids_[s]);
    }
  }
  return ids;
}

uint64_t StoredCollection::ApplyDelete(std::span<const uint64_t> ids) {
  uint64_t deleted = 0;
  for (uint64_t id : ids) {
    auto it = id_to_slot_.find(id);
    if (it == id_to_slot_.end()) continue;
    const uint32_t slot = it->second;
    index_->Remove(slot);
    slot_states_[slot] = SlotState::kRemoved;
    payloads_[slot] = nlohmann::json();
    id_to_slot_.erase(it);
    --live_count_;
    ++removed_count_;
    ++deleted;
  }
  return deleted;
}

void StoredCollection::PurgeLocked() {
  index_->Purge();
  for (uint32_t s = 0; s < slot_count_; ++s) {
    if (slot_states_[s] == SlotState::kRemoved) {
      slot_states_[s] = SlotState::kFree;
      free_slots_.push_back(s);  // the next checkpoint writes its code as zeros
    }
  }
  // Hand out low slots first, so the table stays dense.
  std::sort(free_slots_.begin(), free_slots_.end(), std::greater<>());
  removed_count_ = 0;
}

void StoredCollection::MaybeCompactAndCheckpoint() {
  bool purged = false;
  if (removed_count_ > 0 &&
      removed_count_ >= db_options_.compact_deleted_fraction * std::max<uint32_t>(slot_count_, 1)) {
    std::unique_lock lock(state_mutex_);
    PurgeLocked();
    purged = true;
  }
  // A failed checkpoint leaves the previous checkpoint and the logs, which hold every write, in
  // place (CheckpointLocked); it is tried again after the next write.
  if (purged || wal_->size() >= db_options_.checkpoint_log_bytes) CheckpointLocked();
}

Status StoredCollection::Compact() {
  std::lock_guard lock(write_mutex_);
  ALIKE_RETURN_IF_ERROR(CheckWritable());
  {
    std::unique_lock state_lock(state_mutex_);
    PurgeLocked();
  }
  return CheckpointLocked();
}

void StoredCollection::MarkDropped() {
  std::lock_guard lock(write_mutex_);
  dropped_ = true;
  wal_.reset();
}

Status StoredCollection::CopyFilesTo(const std::string& dest_dir) const {
  ALIKE_RETURN_IF_ERROR(CreateDir(dest_dir, fs_));
  for (const char* file : {"options.json", "checkpoint"}) {
    const std::string from = dir_ + "/" + file;
    if (FileExists(from)) ALIKE_RETURN_IF_ERROR(CopyFileDurably(from, dest_dir + "/" + file, fs_));
  }
  auto names = ListDir(dir_);
  if (!names.ok()) return names.status();
  for (const auto& n : *names) {
    uint64_t seq;
    if (ParseWalName(n, &seq)) {
      ALIKE_RETURN_IF_ERROR(CopyFileDurably(dir_ + "/" + n, dest_dir + "/" + n, fs_));
    }
  }
  return SyncDir(dest_dir, fs_);
}

// ---------------------------------------------------------------------------------------------
// Reads.

Record StoredCollection::RecordAt(uint32_t slot) const {
  Record r;
  r.id = slot_ids_[slot];
  const uint8_t* code = table_.code(slot);
  if (options_.metric == Metric::kHamming) {
    r.binary.assign(code, code + space_.code_size());
  } else {
    r.vector.resize(options_.dimension);
    std::memcpy(r.vector.data(), code, space_.code_size());
  }
  r.payload = payloads_[slot].dump();
  return r;
}

Result<Record> StoredCollection::Get(uint64_t id) const {
  std::shared_lock lock(state_mutex_);
  auto it = id_to_slot_.find(id);
  if (it == id_to_slot_.end()) {
    return Status::NotFound("id " + std::to_string(id) + " is not in collection '" + name_ + "'");
  }
  return RecordAt(it->second);
}

uint64_t StoredCollection::Count() const {
  std::shared_lock lock(state_mutex_);
  return live_count_;
}

Result<uint64_t> StoredCollection::CountWhere(std::string_view filter_text) const {
  auto filter = Filter::Parse(filter_text);
  if (!filter.ok()) return filter.status();
  std::shared_lock lock(state_mutex_);
  if (filter->MatchesAll()) return live_count_;
  uint64_t n = 0;
  for (uint32_t s = 0; s < slot_count_; ++s) {
    n += slot_states_[s] == SlotState::kLive && filter->Matches(payloads_[s]);
  }
  return n;
}

Result<std::string> StoredCollection::EncodeQuery(const Query& query) const {
  std::string code;
  Status s = EncodeVector(options_, "collection '" + name_ + "'",
                          {.vector = query.vector, .binary = query.binary}, &code);
  if (!s.ok()) {
    std::string msg = s.message();
    msg.replace(0, std::string("record 0").size(), "query");
    return Status::InvalidArgument(msg);
  }
  return code;
}

std::vector<index::Neighbor> StoredCollection::ExactScan(const std::string& code, size_t k,
                                                         const Filter* filter) const {
  std::priority_queue<index::Neighbor> best;  // max-heap: the worst kept result on top
  for (uint32_t s = 0; s < slot_count_; ++s) {
    if (slot_states_[s] != SlotState::kLive) continue;
    if (filter != nullptr && !filter->Matches(payloads_[s])) continue;
    index::Neighbor n{space_.Distance(code.data(), table_.code(s)), s};
    if (best.size() < k) {
      best.push(n);
    } else if (n < best.top()) {
      best.pop();
      best.push(n);
    }
  }
  std::vector<index::Neighbor> out(best.size());
  for (size_t i = out.size(); i-- > 0; best.pop()) out[i] = best.top();
  return out;
}

double StoredCollection::EstimateSelectivity(const Filter& filter) const {
  if (live_count_ == 0) return 0;
  if (live_count_ <= kExactCountLimit) {
    uint64_t n = 0;
    for (uint32_t s = 0; s < slot_count_; ++s) {
      n += slot_states_[s] == SlotState::kLive && filter.Matches(payloads_[s]);
    }
    return static_cast<double>(n) / live_count_;
  }
  // A fixed seed keeps a query's plan, and so its results, repeatable.
  std::mt19937_64 rng(0x5eed);
  std::uniform_int_distribution<uint32_t> pick(0, slot_count_ - 1);
  size_t live = 0, matched = 0;
  for (size_t i = 0; i < kSelectivitySamples * 4 && live < kSelectivitySamples; ++i) {
    uint32_t s = pick(rng);
    if (slot_states_[s] != SlotState::kLive) continue;
    ++live;
    matched += filter.Matches(payloads_[s]);
  }
  return live == 0 ? 0 : static_cast<double>(matched) / live;
}

std::vector<index::Neighbor> StoredCollection::SearchLocked(const std::string& code,
                                                            const SearchOptions& options,
                                                            const Filter& filter) const {
  const size_t k = options.k;
  if (k == 0 || live_count_ == 0) return {};
  const Filter* active = filter.MatchesAll() ? nullptr : &filter;
  index::IndexSearchParams params;
  params.k = k;
  PayloadFilter payload_filter(*this, filter);
  if (options_.index == IndexKind::kFlat || options_.index == IndexKind::kMultiHash) {
    // Exact indexes. The flat index is a scan of the live slots already, and a faster one than
    // ExactScan: its kernels are specialised for the code (popcounts inlined for binary codes).
    // The multi-index hash is exact within max_distance, which is what lets it skip the scan.
    if (active != nullptr) params.filter = &payload_filter;
    if (options.max_distance) params.max_distance = *options.max_distance;
    return index_->Search(code.data(), params);
  }
  if (options.exact) return ExactScan(code, k, active);

  params.ef = options.ef != 0 ? options.ef : options_.hnsw.ef_search;
  if (active != nullptr) {
    const FilteredPlan plan =
        PlanFilteredSearch(live_count_, EstimateSelectivity(filter), params.ef);
    if (plan.exact) return ExactScan(code, k, active);
    params.ef = plan.ef;
    params.filter = &payload_filter;
  }
  auto result = index_->Search(code.data(), params);
  // Never a silent shortfall: when the index found fewer than k but more may match, scan.
  if (result.size() < k && result.size() < live_count_) return ExactScan(code, k, active);
  return result;
}

std::vector<Hit> StoredCollection::ToHits(const std::vector<index::Neighbor>& neighbors,
                                          const SearchOptions& options) const {
  std::vector<Hit> hits;
  hits.reserve(neighbors.size());
  for (const auto& n : neighbors) {
    if (options.max_distance && n.distance > *options.max_distance) break;
    Hit h{slot_ids_[n.slot], n.distance, {}};
    if (options.with_payload) h.payload = payloads_[n.slot].dump();
    hits.push_back(std::move(h));
  }
  return hits;
}

Result<std::vector<Hit>> StoredCollection::Search(const Query& query,
                                                  const SearchOptions& options) const {
  auto code = EncodeQuery(query);
  if (!code.ok()) return code.status();
  auto filter = Filter::Parse(options.filter);
  if (!filter.ok()) return filter.status();
  std::shared_lock lock(state_mutex_);
  return ToHits(SearchLocked(*code, options, *filter), options);
}

Result<std::vector<std::vector<Hit>>> StoredCollection::SearchBatch(
    std::span<const Query> queries, const SearchOptions& options) const {
  std::vector<std::string> codes;
  codes.reserve(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    auto code = EncodeQuery(queries[i]);
    if (!code.ok()) return code.status().WithContext("query " + std::to_string(i));
    codes.push_back(std::move(*code));
  }
  auto filter = Filter::Parse(options.filter);
  if (!filter.ok()) return filter.status();
  std::vector<std::vector<Hit>> out(queries.size());
  std::shared_lock lock(state_mutex_);
  ParallelFor(queries.size(), queries.size() >= 8 ? WorkerCount(db_options_) : 1, [&](size_t i) {
    out[i] = ToHits(SearchLocked(codes[i], options, *filter), options);
  });
  return out;
}

Status StoredCollection::ForEach(const std::function<bool(const Record&)>& fn) const {
  std::shared_lock lock(state_mutex_);
  for (uint32_t s = 0; s < slot_count_; ++s) {
    if (slot_states_[s] == SlotState::kLive && !fn(RecordAt(s))) break;
  }
  return Status::OK();
}

CollectionInfo StoredCollection::Info() const {
  CollectionInfo info;
  info.name = name_;
  info.options = options_;
  {
    std::shared_lock lock(state_mutex_);
    info.count = live_count_;
    info.deleted = removed_count_;
    info.mapped_bytes = table_.MappedBytes();
    info.memory_bytes = table_.MemoryBytes() + index_->MemoryBytes() +
                        slot_states_.capacity() * (sizeof(SlotState) + sizeof(uint64_t)) +
                        payloads_.capacity() * sizeof(nlohmann::json) + id_to_slot_.size() * 32;
  }
  auto disk = DirectorySize(dir_);
  info.disk_bytes = disk.ok() ? *disk : 0;
  {
    std::lock_guard lock(write_mutex_);
    info.log_bytes = wal_ ? wal_->size() : 0;
  }
  return info;
}

}  // namespace alike::store
