// The Faiss baselines: IndexHNSWFlat (same M and efConstruction as alike) and IndexFlat (exact
// search). Queries go one at a time with OpenMP limited to one thread per calling thread, so the
// numbers compare with the other targets' single-query calls, not with Faiss's batched search.
//
// Debian's libfaiss (1.7.3) is built without SIMD: fvec_L2sqr and fvec_inner_product are the
// scalar reference loops. "faiss-simd" is therefore also offered: the same IndexHNSWFlat whose
// flat storage hands out a distance computer with the benchmark's own vectorised loop, which
// shows what Faiss's HNSW code does with distances as fast as the other targets' ones.
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <faiss/utils/distances.h>
#include <omp.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench_util.h"
#include "targets.h"

namespace alike::bench {
namespace {

using FaissId = faiss::Index::idx_t;

DistanceKind KindOf(faiss::MetricType metric) {
  return metric == faiss::METRIC_L2 ? DistanceKind::kL2 : DistanceKind::kInnerProduct;
}

// Faiss's flat distance computers return the squared L2 distance, or the inner product itself
// (IndexHNSW negates it); this one does the same with ExactDistance's vectorised loop.
class SimdDistanceComputer : public faiss::FlatCodesDistanceComputer {
 public:
  explicit SimdDistanceComputer(const faiss::IndexFlat& storage)
      : FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
        kind_(KindOf(storage.metric_type)),
        dim_(static_cast<size_t>(storage.d)),
        base_(storage.get_xb()) {}

  void set_query(const float* x) override { query_ = x; }
  float distance_to_code(const uint8_t* code) override {
    return Score(query_, reinterpret_cast<const float*>(code));
  }
  float symmetric_dis(FaissId i, FaissId j) override {
    return Score(base_ + i * dim_, base_ + j * dim_);
  }

 private:
  float Score(const float* a, const float* b) const {
    const float d = ExactDistance(kind_, a, b, dim_);
    return kind_ == DistanceKind::kL2 ? d : 1.0f - d;
  }

  const DistanceKind kind_;
  const size_t dim_;
  const float* const base_;
  const float* query_ = nullptr;
};

class SimdFlat : public faiss::IndexFlat {
 public:
  SimdFlat(FaissId d, faiss::MetricType metric) : IndexFlat(d, metric) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return new SimdDistanceComputer(*this);
  }
};

enum class Flavor { kHnsw, kHnswSimd, kBrute };

class FaissTarget : public AnnTarget {
 public:
  FaissTarget(Flavor flavor, const TargetConfig& config)
      : flavor_(flavor), config_(config), path_(config.workdir + "/" + name() + ".index") {}

  ~FaissTarget() override {
    index_.reset();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  std::string name() const override {
    switch (flavor_) {
      case Flavor::kHnsw:
        return "faiss-hnsw";
      case Flavor::kHnswSimd:
        return "faiss-simd";
      case Flavor::kBrute:
        break;
    }
    return "faiss-brute";
  }
  bool uses_ef() const override { return flavor_ != Flavor::kBrute; }

  BuildReport Build(const Dataset& data) override {
    const faiss::MetricType metric =
        data.distance == DistanceKind::kL2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
    BuildReport report;
    omp_set_num_threads(static_cast<int>(config_.build_threads));
    Stopwatch watch;
    if (flavor_ == Flavor::kBrute) {
      index_ = std::make_unique<faiss::IndexFlat>(static_cast<FaissId>(data.dim), metric);
      index_->add(static_cast<FaissId>(data.n), data.base.data());
      report.memory_note = "flat codes";
    } else {
      auto index = std::make_unique<faiss::IndexHNSWFlat>(static_cast<int>(data.dim),
                                                          static_cast<int>(config_.m), metric);
      if (flavor_ == Flavor::kHnswSimd) {
        delete index->storage;  // owned: own_fields is set by IndexHNSWFlat
        index->storage = new SimdFlat(static_cast<FaissId>(data.dim), metric);
      }
      index->hnsw.efConstruction = static_cast<int>(config_.ef_construction);
      index->add(static_cast<FaissId>(data.n), data.base.data());
      index_ = std::move(index);
      report.memory_note = "flat storage + neighbors, offsets, levels";
    }
    report.build_seconds = watch.Seconds();
    report.memory_bytes = MemoryBytes();
    omp_set_num_threads(1);
    first_vector_.assign(data.vector(0), data.vector(0) + data.dim);
    return report;
  }

  // Faiss 1.7.3 takes efSearch from the index even when SearchParametersHNSW are passed, so both
  // are set.
  void SetEf(uint32_t ef) override {
    params_.efSearch = static_cast<int>(ef);
    if (flavor_ != Flavor::kBrute) Hnsw().hnsw.efSearch = static_cast<int>(ef);
  }

  void PrepareThread() const override { omp_set_num_threads(1); }

  void Search(const float* query, size_t k, int64_t* out) const override {
    // k is small (recall@10); a fixed buffer keeps allocation out of the measured call.
    constexpr size_t kMaxK = 1024;
    FaissId labels[kMaxK];
    float distances[kMaxK];
    k = std::min(k, kMaxK);
    index_->search(1, query, static_cast<FaissId>(k), distances, labels,
                   flavor_ == Flavor::kBrute ? nullptr : &params_);
    for (size_t i = 0; i < k; ++i) out[i] = labels[i];
  }

  PersistReport SaveAndReopen() override {
    PersistReport report;
    Stopwatch watch;
    faiss::write_index(index_.get(), path_.c_str());
    report.save_seconds = watch.Seconds();
    report.disk_bytes = std::filesystem::file_size(path_);
    index_.reset();

    watch.Restart();
    index_.reset(faiss::read_index(path_.c_str()));
    if (flavor_ == Flavor::kHnswSimd) {
      // The file holds a plain IndexFlat; put its codes back behind the vectorised computer.
      faiss::IndexHNSW& hnsw = Hnsw();
      auto* loaded = static_cast<faiss::IndexFlat*>(hnsw.storage);
      auto* simd = new SimdFlat(loaded->d, loaded->metric_type);
      simd->codes = std::move(loaded->codes);
      simd->ntotal = loaded->ntotal;
      delete loaded;
      hnsw.storage = simd;
    }
    SetEf(static_cast<uint32_t>(params_.efSearch));
    int64_t ids[1];
    Search(first_vector_.data(), 1, ids);
    report.reopen_seconds = watch.Seconds();
    report.memory_bytes = MemoryBytes();
    return report;
  }

 private:
  faiss::IndexHNSW& Hnsw() const { return static_cast<faiss::IndexHNSW&>(*index_); }

  uint64_t MemoryBytes() const {
    if (flavor_ == Flavor::kBrute)
      return static_cast<const faiss::IndexFlat&>(*index_).codes.size();
    const faiss::IndexHNSW& index = Hnsw();
    const auto& storage = static_cast<const faiss::IndexFlat&>(*index.storage);
    const faiss::HNSW& graph = index.hnsw;
    return storage.codes.size() + graph.neighbors.size() * sizeof(graph.neighbors[0]) +
           graph.offsets.size() * sizeof(graph.offsets[0]) +
           graph.levels.size() * sizeof(graph.levels[0]);
  }

  const Flavor flavor_;
  const TargetConfig config_;
  const std::string path_;
  faiss::SearchParametersHNSW params_;
  std::vector<float> first_vector_;
  std::unique_ptr<faiss::Index> index_;
};

}  // namespace

std::unique_ptr<AnnTarget> NewFaissHnswTarget(const TargetConfig& config) {
  return std::make_unique<FaissTarget>(Flavor::kHnsw, config);
}

std::unique_ptr<AnnTarget> NewFaissSimdHnswTarget(const TargetConfig& config) {
  return std::make_unique<FaissTarget>(Flavor::kHnswSimd, config);
}

std::unique_ptr<AnnTarget> NewFaissBruteTarget(const TargetConfig& config) {
  return std::make_unique<FaissTarget>(Flavor::kBrute, config);
}

KernelTiming TimeDistanceKernels(DistanceKind kind, size_t dim) {
  constexpr size_t kVectors = 256;  // 256 x dim floats: stays in cache, so compute is timed
  constexpr size_t kRounds = 200;
  std::vector<float> v(kVectors * dim);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> uniform(-1, 1);
  for (float& x : v) x = uniform(rng);
  volatile float sink = 0;
  auto time = [&](auto&& fn) {
    Stopwatch watch;
    float acc = 0;
    for (size_t r = 0; r < kRounds; ++r) {
      for (size_t i = 1; i < kVectors; ++i) acc += fn(v.data(), v.data() + i * dim);
    }
    sink = sink + acc;
    return watch.Seconds() * 1e9 / (kRounds * (kVectors - 1));
  };
  KernelTiming t;
  t.faiss_ns = time([&](const float* a, const float* b) {
    return kind == DistanceKind::kL2 ? faiss::fvec_L2sqr(a, b, dim)
                                     : faiss::fvec_inner_product(a, b, dim);
  });
  t.simd_ns = time([&](const float* a, const float* b) { return ExactDistance(kind, a, b, dim); });
  return t;
}

}  // namespace alike::bench
