// What the benchmark measures: alike's index kinds and the baselines behind one interface.
//
// A target is built once from a data set, searched at several ef values from one or more
// threads, then saved and loaded again. Each implementation lives in its own file, so that
// hnswlib's header-only code is compiled in exactly one translation unit.
#ifndef ALIKE_BENCH_TARGETS_H_
#define ALIKE_BENCH_TARGETS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "alike/vector_db.h"
#include "dataset.h"

namespace alike::bench {

struct TargetConfig {
  uint32_t m = 16;
  uint32_t ef_construction = 100;
  unsigned build_threads = 2;
  std::string workdir;  // a directory the target may fill; removed by the caller afterwards
};

struct BuildReport {
  double build_seconds = 0;
  uint64_t memory_bytes = 0;  // what the structure holds, by its own account
  std::string memory_note;    // how memory_bytes was obtained
};

struct PersistReport {
  double save_seconds = 0;  // alike: Checkpoint(); baselines: their save call
  uint64_t disk_bytes = 0;
  double reopen_seconds = 0;  // until the first search answers
  uint64_t memory_bytes = 0;  // as BuildReport::memory_bytes, of the reopened structure
};

class AnnTarget {
 public:
  virtual ~AnnTarget() = default;

  virtual std::string name() const = 0;
  // Whether SetEf changes anything (graph indexes).
  virtual bool uses_ef() const = 0;

  virtual BuildReport Build(const Dataset& data) = 0;
  // Sets the search beam for the following searches; not concurrently with Search.
  virtual void SetEf(uint32_t ef) = 0;
  // Called once on every thread that will call Search.
  virtual void PrepareThread() const {}
  // Writes the ids of the k nearest base vectors to `query` into out[0, k), -1 for missing.
  // Safe to call from several threads at once.
  virtual void Search(const float* query, size_t k, int64_t* out) const = 0;
  // Saves to the workdir, drops the in-memory structure and loads it again; searches after
  // this use the loaded copy.
  virtual PersistReport SaveAndReopen() = 0;
};

std::unique_ptr<AnnTarget> NewAlikeTarget(IndexKind kind, const TargetConfig& config);
std::unique_ptr<AnnTarget> NewHnswlibTarget(const TargetConfig& config);
std::unique_ptr<AnnTarget> NewFaissHnswTarget(const TargetConfig& config);
// IndexHNSWFlat whose storage computes distances with ExactDistance's vectorised loop instead of
// Debian libfaiss's scalar one (see faiss_target.cc).
std::unique_ptr<AnnTarget> NewFaissSimdHnswTarget(const TargetConfig& config);
// Faiss IndexFlat: exact search, the "brute force" baseline.
std::unique_ptr<AnnTarget> NewFaissBruteTarget(const TargetConfig& config);

// Nanoseconds per distance of `dim` floats (in cache): Faiss's fvec_L2sqr / fvec_inner_product
// against ExactDistance, which shows whether the linked Faiss was built with SIMD.
struct KernelTiming {
  double faiss_ns = 0;
  double simd_ns = 0;
};
KernelTiming TimeDistanceKernels(DistanceKind kind, size_t dim);

}  // namespace alike::bench

#endif  // ALIKE_BENCH_TARGETS_H_
