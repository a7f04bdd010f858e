// alike through its public API only, as an application would use it: a database directory, one
// collection, Upserts of 10,000 records (with the default SyncPolicy::kAlways) and one Search
// call per query.
#include <algorithm>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "bench_util.h"
#include "targets.h"

namespace alike::bench {
namespace {

constexpr size_t kUpsertBatch = 10000;
constexpr char kCollection[] = "bench";

class AlikeTarget : public AnnTarget {
 public:
  AlikeTarget(IndexKind kind, const TargetConfig& config)
      : kind_(kind),
        config_(config),
        dir_(config.workdir + "/alike-" + IndexKindName(kind) + ".db") {}

  ~AlikeTarget() override {
    collection_.reset();
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string name() const override { return std::string("alike-") + IndexKindName(kind_); }
  bool uses_ef() const override { return kind_ == IndexKind::kHnsw; }

  BuildReport Build(const Dataset& data) override {
    dim_ = data.dim;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    OpenDatabase();
    CollectionOptions options;
    options.dimension = static_cast<uint32_t>(data.dim);
    // Unit vectors: cosine, the metric alike's image search uses, ranks as inner product does.
    options.metric = data.distance == DistanceKind::kL2 ? Metric::kL2 : Metric::kCosine;
    options.index = kind_;
    options.hnsw.m = config_.m;
    options.hnsw.ef_construction = config_.ef_construction;
    auto collection = db_->CreateCollection(kCollection, options);
    CheckOk(collection.status(), "create collection");
    collection_ = std::move(*collection);

    BuildReport report;
    std::vector<Record> batch;
    for (size_t first = 0; first < data.n; first += kUpsertBatch) {
      const size_t last = std::min(data.n, first + kUpsertBatch);
      batch.resize(last - first);
      for (size_t i = first; i < last; ++i) {
        Record& r = batch[i - first];
        r.id = i;
        r.vector.assign(data.vector(i), data.vector(i) + data.dim);
      }
      // Only the call is timed: filling records is the application's work.
      Stopwatch watch;
      CheckOk(collection_->Upsert(batch), "upsert");
      report.build_seconds += watch.Seconds();
    }
    // Untimed, as a long-lived collection would have one: searches then run on the state a
    // reopened collection has (for sq8, float vectors read from the checkpoint's memory map).
    CheckOk(collection_->Checkpoint(), "checkpoint");
    report.memory_bytes = collection_->Info().memory_bytes;
    report.memory_note = "CollectionInfo.memory_bytes (sq8: without its mapped float vectors)";
    first_vector_.assign(data.vector(0), data.vector(0) + data.dim);
    return report;
  }

  void SetEf(uint32_t ef) override { ef_ = ef; }

  void Search(const float* query, size_t k, int64_t* out) const override {
    SearchOptions options;
    options.k = k;
    options.ef = ef_;
    options.with_payload = false;
    Query q;
    q.vector = std::span<const float>(query, dim_);
    auto hits = collection_->Search(q, options);
    CheckOk(hits.status(), "search");
    std::fill(out, out + k, -1);
    for (size_t i = 0; i < hits->size() && i < k; ++i) out[i] = static_cast<int64_t>((*hits)[i].id);
  }

  PersistReport SaveAndReopen() override {
    PersistReport report;
    Stopwatch watch;
    CheckOk(collection_->Checkpoint(), "checkpoint");
    report.save_seconds = watch.Seconds();
    report.disk_bytes = collection_->Info().disk_bytes;
    collection_.reset();
    db_.reset();

    watch.Restart();
    OpenDatabase();
    auto collection = db_->GetCollection(kCollection);
    CheckOk(collection.status(), "reopen collection");
    collection_ = std::move(*collection);
    int64_t ids[1];
    Search(first_vector_.data(), 1, ids);
    report.reopen_seconds = watch.Seconds();
    report.memory_bytes = collection_->Info().memory_bytes;
    return report;
  }

 private:
  void OpenDatabase() {
    DatabaseOptions options;
    options.threads = config_.build_threads;
    auto db = Database::Open(dir_, options);
    CheckOk(db.status(), "open " + dir_);
    db_ = std::move(*db);
  }

  const IndexKind kind_;
  const TargetConfig config_;
  const std::string dir_;
  size_t dim_ = 0;
  uint32_t ef_ = 0;
  std::vector<float> first_vector_;
  std::unique_ptr<Database> db_;
  std::shared_ptr<Collection> collection_;
};

}  // namespace

std::unique_ptr<AnnTarget> NewAlikeTarget(IndexKind kind, const TargetConfig& config) {
  return std::make_unique<AlikeTarget>(kind, config);
}

}  // namespace alike::bench
