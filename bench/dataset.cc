#include "dataset.h"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <queue>
#include <random>
#include <utility>

#include "bench_util.h"

namespace alike::bench {
namespace {

constexpr size_t kFashionTrain = 60000;
constexpr size_t kFashionTest = 10000;
constexpr size_t kClusters = 1000;
constexpr size_t kClusterRank = 16;
constexpr float kClusterSpread = 0.6f;  // expected norm of a point's offset along its subspace
constexpr float kNoise = 0.2f;          // expected norm of the isotropic noise
constexpr size_t kSyntheticChunk = 1024;
constexpr size_t kTruthBlock = 16;  // queries scored together per pass over the base vectors

uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

uint32_t BigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Reads the first `count` images of an IDX3 file (gzip) as floats.
std::vector<float> ReadIdxImages(const std::string& path, size_t count, size_t* dim) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) Fail("cannot open " + path);
  gzbuffer(file, 1 << 20);
  unsigned char header[16];
  if (gzread(file, header, sizeof(header)) != static_cast<int>(sizeof(header)) ||
      BigEndian32(header) != 0x00000803) {
    gzclose(file);
    Fail(path + ": not an IDX3 image file");
  }
  const size_t images = BigEndian32(header + 4);
  *dim = size_t{BigEndian32(header + 8)} * BigEndian32(header + 12);
  count = std::min(count, images);
  std::vector<unsigned char> bytes(count * *dim);
  size_t done = 0;
  while (done < bytes.size()) {
    const unsigned want = static_cast<unsigned>(std::min<size_t>(bytes.size() - done, 1 << 30));
    const int got = gzread(file, bytes.data() + done, want);
    if (got <= 0) {
      gzclose(file);
      Fail(path + ": truncated");
    }
    done += static_cast<size_t>(got);
  }
  gzclose(file);
  return std::vector<float>(bytes.begin(), bytes.end());
}

void Normalize(float* v, size_t dim) {
  double norm = 0;
  for (size_t i = 0; i < dim; ++i) norm += double{v[i]} * v[i];
  const float scale = norm > 0 ? static_cast<float>(1.0 / std::sqrt(norm)) : 0.0f;
  for (size_t i = 0; i < dim; ++i) v[i] *= scale;
}

uint64_t HashWords(uint64_t h, const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i + 8 <= bytes; i += 8) {
    uint64_t word;
    std::memcpy(&word, p + i, 8);
    h = (h ^ word) * 0x100000001B3ull;
    h ^= h >> 29;
  }
  for (size_t i = bytes / 8 * 8; i < bytes; ++i) h = (h ^ p[i]) * 0x100000001B3ull;
  return h;
}

std::string CachePath(const Dataset& data, size_t k, const std::string& cache_dir) {
  uint64_t h = Mix(static_cast<uint64_t>(data.distance) * 1000003 + data.dim);
  h = HashWords(h, data.base.data(), data.base.size() * sizeof(float));
  h = HashWords(h, data.queries.data(), data.queries.size() * sizeof(float));
  char name[160];
  std::snprintf(name, sizeof(name), "gt-%s-n%zu-q%zu-k%zu-%016llx.bin", data.name.c_str(), data.n,
                data.num_queries, k, static_cast<unsigned long long>(h));
  return cache_dir + "/" + name;
}

bool ReadCache(const std::string& path, Dataset& data, size_t k) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  uint64_t header[2] = {0, 0};
  in.read(reinterpret_cast<char*>(header), sizeof(header));
  if (!in || header[0] != k || header[1] != data.num_queries) return false;
  std::vector<uint32_t> ids(k * data.num_queries);
  std::vector<float> distances(k * data.num_queries);
  in.read(reinterpret_cast<char*>(ids.data()), ids.size() * sizeof(uint32_t));
  in.read(reinterpret_cast<char*>(distances.data()), distances.size() * sizeof(float));
  if (!in) return false;
  data.k = k;
  data.truth = std::move(ids);
  data.truth_distance = std::move(distances);
  return true;
}

void WriteCache(const std::string& path, const Dataset& data) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    const uint64_t header[2] = {data.k, data.num_queries};
    out.write(reinterpret_cast<const char*>(header), sizeof(header));
    out.write(reinterpret_cast<const char*>(data.truth.data()),
              data.truth.size() * sizeof(uint32_t));
    out.write(reinterpret_cast<const char*>(data.truth_distance.data()),
              data.truth_distance.size() * sizeof(float));
    if (!out) return;  // a cache is optional
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
}

}  // namespace

const char* DistanceKindName(DistanceKind kind) { return kind == DistanceKind::kL2 ? "l2" : "ip"; }

Dataset LoadFashionMnist(const std::string& dir, size_t n, size_t num_queries) {
  Dataset data;
  data.name = "fashion-mnist";
  data.distance = DistanceKind::kL2;
  size_t dim = 0, query_dim = 0;
  data.base = ReadIdxImages(dir + "/train-images-idx3-ubyte.gz", std::min(n, kFashionTrain), &dim);
  data.queries = ReadIdxImages(dir + "/t10k-images-idx3-ubyte.gz",
                               std::min(num_queries, kFashionTest), &query_dim);
  if (dim != query_dim) Fail("fashion-mnist: train and test images differ in size");
  data.dim = dim;
  data.n = data.base.size() / dim;
  data.num_queries = data.queries.size() / dim;
  return data;
}

Dataset MakeSynthetic(size_t n, size_t dim, size_t num_queries, uint64_t seed, unsigned threads) {
  Dataset data;
  data.name = "synthetic";
  data.distance = DistanceKind::kInnerProduct;
  data.dim = dim;
  data.n = n;
  data.num_queries = num_queries;

  // Centres are unit vectors; basis vectors have entries N(0, 1/dim), hence norm about 1.
  std::vector<float> centres(kClusters * dim);
  std::vector<float> bases(kClusters * kClusterRank * dim);
  {
    std::mt19937_64 rng(Mix(seed));
    std::normal_distribution<float> normal;
    for (float& x : centres) x = normal(rng);
    for (size_t c = 0; c < kClusters; ++c) Normalize(centres.data() + c * dim, dim);
    const float basis_scale = 1.0f / std::sqrt(static_cast<float>(dim));
    for (float& x : bases) x = normal(rng) * basis_scale;
  }
  const float along = kClusterSpread / std::sqrt(static_cast<float>(kClusterRank));
  const float noise = kNoise / std::sqrt(static_cast<float>(dim));

  // Base points and queries come from separate streams, chunk by chunk, so the result does not
  // depend on how chunks are spread over threads.
  auto generate = [&](std::vector<float>& out, size_t count, uint64_t stream) {
    out.resize(count * dim);
    const size_t chunks = (count + kSyntheticChunk - 1) / kSyntheticChunk;
    ParallelFor(chunks, threads, [&](size_t chunk) {
      std::mt19937_64 rng(Mix(Mix(seed ^ stream) + chunk));
      std::normal_distribution<float> normal;
      std::uniform_int_distribution<size_t> pick(0, kClusters - 1);
      float z[kClusterRank];
      const size_t end = std::min(count, (chunk + 1) * kSyntheticChunk);
      for (size_t i = chunk * kSyntheticChunk; i < end; ++i) {
        float* v = out.data() + i * dim;
        const size_t c = pick(rng);
        std::copy_n(centres.data() + c * dim, dim, v);
        for (float& x : z) x = normal(rng) * along;
        for (size_t r = 0; r < kClusterRank; ++r) {
          const float* b = bases.data() + (c * kClusterRank + r) * dim;
          for (size_t j = 0; j < dim; ++j) v[j] += z[r] * b[j];
        }
        for (size_t j = 0; j < dim; ++j) v[j] += normal(rng) * noise;
        Normalize(v, dim);
      }
    });
  };
  generate(data.base, n, 0xBA5E);
  generate(data.queries, num_queries, 0x9E77);
  return data;
}

float ExactDistance(DistanceKind kind, const float* a, const float* b, size_t dim) {
  // Sixteen independent partial sums: the compiler turns them into SIMD lanes without needing
  // to reassociate one sum, and every caller gets the same bits for the same pair.
  constexpr size_t kLanes = 16;
  float sums[kLanes] = {};
  size_t i = 0;
  if (kind == DistanceKind::kL2) {
    for (; i + kLanes <= dim; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) {
        const float d = a[i + l] - b[i + l];
        sums[l] += d * d;
      }
    }
    for (; i < dim; ++i) sums[0] += (a[i] - b[i]) * (a[i] - b[i]);
  } else {
    for (; i + kLanes <= dim; i += kLanes) {
      for (size_t l = 0; l < kLanes; ++l) sums[l] += a[i + l] * b[i + l];
    }
    for (; i < dim; ++i) sums[0] += a[i] * b[i];
  }
  float total = 0;
  for (float s : sums) total += s;
  return kind == DistanceKind::kL2 ? total : 1.0f - total;
}

double ComputeGroundTruth(Dataset& data, size_t k, unsigned threads, const std::string& cache_dir) {
  k = std::min(k, data.n);
  std::string cache;
  if (!cache_dir.empty()) {
    cache = CachePath(data, k, cache_dir);
    if (ReadCache(cache, data, k)) return 0;
  }
  Stopwatch watch;
  data.k = k;
  data.truth.assign(data.num_queries * k, 0);
  data.truth_distance.assign(data.num_queries * k, 0);
  const size_t blocks = (data.num_queries + kTruthBlock - 1) / kTruthBlock;
  ParallelFor(blocks, threads, [&](size_t block) {
    const size_t first = block * kTruthBlock;
    const size_t last = std::min(data.num_queries, first + kTruthBlock);
    // One max-heap of the k best (distance, id) per query; ties broken by id.
    std::vector<std::priority_queue<std::pair<float, uint32_t>>> best(last - first);
    for (size_t i = 0; i < data.n; ++i) {
      const float* v = data.vector(i);
      for (size_t q = first; q < last; ++q) {
        const float d = ExactDistance(data.distance, data.query(q), v, data.dim);
        auto& heap = best[q - first];
        if (heap.size() < k) {
          heap.emplace(d, static_cast<uint32_t>(i));
        } else if (d < heap.top().first) {
          heap.pop();
          heap.emplace(d, static_cast<uint32_t>(i));
        }
      }
    }
    for (size_t q = first; q < last; ++q) {
      auto& heap = best[q - first];
      for (size_t j = heap.size(); j-- > 0;) {
        data.truth[q * k + j] = heap.top().second;
        data.truth_distance[q * k + j] = heap.top().first;
        heap.pop();
      }
    }
  });
  const double seconds = watch.Seconds();
  if (!cache.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(cache_dir, ec);
    WriteCache(cache, data);
  }
  return seconds;
}

double RecallAtK(const Dataset& data, const std::vector<int64_t>& ids, size_t num_queries) {
  const size_t k = data.k;
  if (k == 0 || num_queries == 0) return 0;
  size_t found = 0;
  for (size_t q = 0; q < num_queries; ++q) {
    const float kth = data.truth_distance[q * k + k - 1];
    const float allowance = 1e-6f * std::fabs(kth) + 1e-6f;
    const int64_t* row = ids.data() + q * k;
    for (size_t j = 0; j < k; ++j) {
      const int64_t id = row[j];
      if (id < 0 || static_cast<size_t>(id) >= data.n) continue;
      if (std::find(row, row + j, id) != row + j) continue;
      const float d = ExactDistance(data.distance, data.query(q), data.vector(id), data.dim);
      if (d <= kth + allowance) ++found;
    }
  }
  return static_cast<double>(found) / static_cast<double>(num_queries * k);
}

}  // namespace alike::bench
