// Benchmark data sets: base vectors, held-out queries and their exact nearest neighbours.
//
//   fashion-mnist: the 60,000 training images of Fashion-MNIST as 784 floats (pixel values 0..255),
//     queried with the first test images; squared L2 distance, as ann-benchmarks'
//     fashion-mnist-784-euclidean.
//   synthetic: clustered unit vectors shaped like CNN embeddings (see MakeSynthetic); inner
//     product distance 1 - <a, b>, which equals the cosine distance for unit vectors.
#ifndef ALIKE_BENCH_DATASET_H_
#define ALIKE_BENCH_DATASET_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace alike::bench {

enum class DistanceKind { kL2, kInnerProduct };

const char* DistanceKindName(DistanceKind kind);  // "l2", "ip"

struct Dataset {
  std::string name;
  DistanceKind distance = DistanceKind::kL2;
  size_t dim = 0;
  size_t n = 0;
  size_t num_queries = 0;
  std::vector<float> base;     // n * dim
  std::vector<float> queries;  // num_queries * dim

  // Exact k nearest base vectors of every query, nearest first (filled by ComputeGroundTruth).
  size_t k = 0;
  std::vector<uint32_t> truth;        // num_queries * k ids (base vector indices)
  std::vector<float> truth_distance;  // num_queries * k distances

  const float* vector(size_t i) const { return base.data() + i * dim; }
  const float* query(size_t i) const { return queries.data() + i * dim; }
};

// Where Debian's dataset-fashion-mnist puts the files.
inline constexpr char kFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

// Fashion-MNIST from `dir` ({train,t10k}-images-idx3-ubyte.gz): the first `n` training images
// (at most 60,000) and the first `num_queries` test images (at most 10,000).
Dataset LoadFashionMnist(const std::string& dir, size_t n, size_t num_queries);

// n base vectors and num_queries query vectors, all drawn from one distribution: 1000 random unit
// centres, each with its own 16-dimensional subspace along which its points spread, plus a
// little isotropic noise, normalised to unit length. The low-rank spread gives the data a low
// intrinsic dimension, like real embeddings, instead of the uniform noise no index can exploit.
// Deterministic for a given seed whatever the number of threads.
Dataset MakeSynthetic(size_t n, size_t dim, size_t num_queries, uint64_t seed, unsigned threads);

// The distance used by the data set; the same kernel scores ground truth and recall.
float ExactDistance(DistanceKind kind, const float* a, const float* b, size_t dim);

// Fills data.truth for k by brute force on `threads` threads, or reads it from a cache file in
// `cache_dir` (empty: no cache) keyed by a hash of the vectors. Returns seconds spent computing
// (0 when cached).
double ComputeGroundTruth(Dataset& data, size_t k, unsigned threads, const std::string& cache_dir);

// Recall@k of `ids` (num_queries * k, -1 for missing) against the ground truth. A returned id
// counts if it is distinct and its exact distance is within the k-th true distance (plus a
// rounding allowance), so that ties at the k-th place do not count as misses.
double RecallAtK(const Dataset& data, const std::vector<int64_t>& ids, size_t num_queries);

}  // namespace alike::bench

#endif  // ALIKE_BENCH_DATASET_H_
