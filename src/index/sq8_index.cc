#include "index/sq8_index.h"

// GCC 12's AVX-512 headers build lane extracts and conversions on _mm*_undefined_*(), which
// -W(maybe-)uninitialized flags inside the intrinsics themselves; the warnings say nothing about
// this file's code.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cassert>
#include <cmath>
#include <limits>
#include <mutex>
#include <string>

namespace alike::index {
namespace {

// "ALS8", then a format version; see FlatIndex for why.
constexpr uint32_t kSq8Magic = 0x38534C41;
constexpr uint32_t kSq8Version = 1;

// The approximate distance takes the float query against the uint8 codes (asymmetric: only the
// stored side is quantised). Everything query-dependent is folded into one weight per dimension,
// so that the scan is a dot product of weights and codes:
//   inner product: 1 - <q, min + scale*c>  = (1 - <q, min>) - <q*scale, c>
//   L2:            |q - min - scale*c|^2  = |q - min|^2 + |scale*c|^2 - 2 <(q - min)*scale, c>
// where |scale*c|^2 depends on the stored vector only and is kept per slot. The weights are then
// rounded to int16 (relative error 2^-15 of the largest, far below the codes' own error of half a
// step), which lets the kernel multiply 32 codes per instruction in integer lanes, without the
// widen-to-float conversions that would otherwise cost more than the arithmetic.

// Sum over i < n of w[i] * c[i]. `n` is the code stride, a multiple of 16, with zero weights in
// the padding. The caller bounds the weights (WeightLimit) so that no 32-bit lane overflows.
float DotCodes(const int16_t* w, const uint8_t* c, size_t n) {
#if defined(__AVX512BW__) && defined(__AVX512VL__)
  auto madd = [](__m512i acc, __m512i a, __m512i b) {
#if defined(__AVX512VNNI__)
    return _mm512_dpwssd_epi32(acc, a, b);
#else
    return _mm512_add_epi32(acc, _mm512_madd_epi16(a, b));
#endif
  };
  __m512i acc0 = _mm512_setzero_si512(), acc1 = _mm512_setzero_si512();
  size_t i = 0;
  for (; i + 64 <= n; i += 64) {
    __m512i c0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i)));
    __m512i c1 =
        _mm512_cvtepu8_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(c + i + 32)));
    acc0 = madd(acc0, c0, _mm512_loadu_si512(w + i));
    acc1 = madd(acc1, c1, _mm512_loadu_si512(w + i + 32));
  }
  if (i < n) {
    // 16, 32 or 48 left: masked loads, which never touch memory past the mask (the codes of the
    // last slot end the buffer).
    size_t left = std::min<size_t>(n - i, 32);
    __mmask32 mask = static_cast<__mmask32>((uint64_t{1} << left) - 1);
    acc0 = madd(acc0, _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask, c + i)),
                _mm512_maskz_loadu_epi16(mask, w + i));
    i += left;
    if (i < n) {
      acc1 = madd(acc1, _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(0xFFFF, c + i)),
                  _mm512_maskz_loadu_epi16(0xFFFF, w + i));
    }
  }
  // Lanes are bounded, their sum need not be: add them up as floats.
  return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_cvtepi32_ps(acc0), _mm512_cvtepi32_ps(acc1)));
#elif defined(__AVX2__)
  __m256i acc = _mm256_setzero_si256();
  for (size_t i = 0; i < n; i += 16) {
    __m256i c0 = _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(c + i)));
    acc = _mm256_add_epi32(
        acc, _mm256_madd_epi16(c0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + i))));
  }
  __m256 f = _mm256_cvtepi32_ps(acc);
  __m128 lo = _mm_add_ps(_mm256_castps256_ps128(f), _mm256_extractf128_ps(f, 1));
  lo = _mm_hadd_ps(lo, lo);
  return _mm_cvtss_f32(_mm_hadd_ps(lo, lo));
#else
  int64_t sum = 0;
  for (size_t i = 0; i < n; ++i) sum += int32_t{w[i]} * c[i];
  return static_cast<float>(sum);
#endif
}

// The largest |weight| for which DotCodes cannot overflow: a 32-bit lane accumulates at most
// n/16 pairs of products, each product at most 255 * |weight|.
int32_t WeightLimit(size_t n) {
  const int64_t pairs = std::max<int64_t>(1, static_cast<int64_t>(n / 16));
  return static_cast<int32_t>(
      std::min<int64_t>(32767, std::numeric_limits<int32_t>::max() / (pairs * 2 * 255)));
}

// Rounds `w` to int16 weights (into `out`) and returns the factor they were multiplied by, 0 when
// every weight is 0.
float QuantiseWeights(const std::vector<float>& w, std::vector<int16_t>& out) {
  float max_abs = 0;
  for (float x : w) max_abs = std::max(max_abs, std::abs(x));
  out.assign(w.size(), 0);
  if (!(max_abs > 0) || !std::isfinite(max_abs)) return 0.0f;
  const float factor = static_cast<float>(WeightLimit(w.size())) / max_abs;
  for (size_t i = 0; i < w.size(); ++i) out[i] = static_cast<int16_t>(std::lrint(w[i] * factor));
  return factor;
}

}  // namespace

Sq8Index::Sq8Index(const Space& space, const VectorTable& table)
    : space_(space),
      table_(table),
      dim_(space.dimension()),
      stride_((size_t{space.dimension()} + 15) / 16 * 16),
      keep_norms_(space.metric() == Metric::kL2),
      min_(stride_, 0.0f),
      scale_(stride_, 0.0f),
      inv_scale_(stride_, 0.0f) {
  assert(space.metric() != Metric::kHamming && "Sq8Index quantises floats");
}

void Sq8Index::GrowLocked(size_t slots) {
  if (slots <= capacity_) return;
  // Adds beyond what Reserve() announced come one at a time; grow geometrically for them.
  size_t new_capacity = std::max({slots, capacity_ + capacity_ / 8, size_t{64}});
  codes_.resize(new_capacity * stride_, 0);
  if (keep_norms_) norms_.resize(new_capacity, 0.0f);
  live_.Reserve(new_capacity);
  capacity_ = new_capacity;
}

void Sq8Index::Reserve(size_t slots) {
  std::unique_lock lock(mu_);
  if (slots <= capacity_) return;
  codes_.resize(slots * stride_, 0);
  if (keep_norms_) norms_.resize(slots, 0.0f);
  live_.Reserve(slots);
  capacity_ = slots;
}

void Sq8Index::Encode(uint32_t slot) {
  const auto* x = reinterpret_cast<const float*>(table_.code(slot));
  uint8_t* out = codes_.data() + size_t{slot} * stride_;
  for (size_t i = 0; i < dim_; ++i) {
    float v = (x[i] - min_[i]) * inv_scale_[i];
    // Written so that NaN (inf * 0 on absurd inputs) lands on 0 rather than an undefined cast.
    v = v > 0.0f ? v : 0.0f;
    v = v < 255.0f ? v : 255.0f;
    out[i] = static_cast<uint8_t>(v + 0.5f);
  }
  if (keep_norms_) norms_[slot] = DecodedNorm(out);
}

float Sq8Index::DecodedNorm(const uint8_t* code) const {
  float norm = 0;
  for (size_t i = 0; i < dim_; ++i) {
    float x = scale_[i] * static_cast<float>(code[i]);
    norm += x * x;
  }
  return norm;
}

void Sq8Index::Add(uint32_t slot) {
  bool added = false;
  {
    std::shared_lock lock(mu_);
    if (slot < capacity_) {
      Encode(slot);
      live_.Insert(slot);  // below capacity_, so no growth: safe under the shared lock
      added = true;
    }
  }
  if (!added) {
    std::unique_lock lock(mu_);
    GrowLocked(size_t{slot} + 1);
    Encode(slot);
    live_.Insert(slot);
  }
  // The slot is live before the retrain check, so a retrain by any thread re-encodes it.
  size_t adds = adds_since_training_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (adds >= retrain_after_adds_.load(std::memory_order_relaxed)) {
    std::unique_lock lock(mu_);
    // Another thread may have retrained while this one waited.
    if (adds_since_training_.load(std::memory_order_relaxed) >=
        retrain_after_adds_.load(std::memory_order_relaxed)) {
      TrainLocked();
    }
  }
}

void Sq8Index::Remove(uint32_t slot) {
  if (live_.Erase(slot)) ++removed_count_;
}

size_t Sq8Index::Purge() {
  size_t purged = std::exchange(removed_count_, 0);
  if (purged > 0) {
    std::unique_lock lock(mu_);
    TrainLocked();
  }
  return purged;
}

void Sq8Index::TrainLocked() {
  const size_t n = live_.size();
  adds_since_training_.store(0, std::memory_order_relaxed);
  retrain_after_adds_.store(std::max<size_t>(1, 3 * n), std::memory_order_relaxed);
  if (n == 0) return;

  // Every step-th live slot: an even spread over the slots, which roughly follow insertion order,
  // so the sample sees old and new data alike.
  const size_t step = (n + kTrainSample - 1) / kTrainSample;
  std::vector<float> lo(dim_, std::numeric_limits<float>::infinity());
  std::vector<float> hi(dim_, -std::numeric_limits<float>::infinity());
  size_t seen = 0;
  live_.ForEach([&](uint32_t slot) {
    if (seen++ % step != 0) return;
    const auto* x = reinterpret_cast<const float*>(table_.code(slot));
    for (size_t i = 0; i < dim_; ++i) {
      lo[i] = std::min(lo[i], x[i]);
      hi[i] = std::max(hi[i], x[i]);
    }
  });
  for (size_t i = 0; i < dim_; ++i) {
    // In double: hi - lo can overflow float for extreme (but finite) inputs.
    double range = static_cast<double>(hi[i]) - static_cast<double>(lo[i]);
    float scale = static_cast<float>(range / 255.0);
    float inv = scale > 0.0f ? static_cast<float>(255.0 / range) : 0.0f;
    if (!std::isfinite(scale) || !std::isfinite(inv) || inv == 0.0f) scale = 0.0f, inv = 0.0f;
    min_[i] = lo[i];
    scale_[i] = scale;
    inv_scale_[i] = inv;
  }
  live_.ForEach([&](uint32_t slot) { Encode(slot); });
}

std::vector<Neighbor> Sq8Index::Search(const void* query, const IndexSearchParams& params) const {
  if (params.k == 0) return {};
  const auto* q = static_cast<const float*>(query);
  const size_t n_candidates = params.k > std::numeric_limits<size_t>::max() / kRerankFactor
                                  ? std::numeric_limits<size_t>::max()
                                  : std::max(kRerankFactor * params.k, kMinRerank);
  TopK candidates(n_candidates);
  const SlotFilter* filter = params.filter;
  const uint8_t* codes = codes_.data();
  const size_t stride = stride_;

  auto scan = [&](auto approx_distance) {
    live_.ForEach([&](uint32_t slot) {
      if (filter != nullptr && !filter->Allows(slot)) return;
      float d = approx_distance(slot, codes + size_t{slot} * stride);
      if (d < candidates.threshold() || candidates.size() < n_candidates) candidates.Push(d, slot);
    });
  };

  // One weight per dimension (see DotCodes), padded with zeros like the codes.
  std::vector<float> weights(stride_, 0.0f);
  std::vector<int16_t> int_weights;
  if (keep_norms_) {
    // L2: |q - min|^2 + |scale*c|^2 - 2 <(q - min)*scale, c>.
    double r_norm = 0;
    for (size_t i = 0; i < dim_; ++i) {
      float r = q[i] - min_[i];
      r_norm += double{r} * r;
      weights[i] = r * scale_[i];
    }
    const float factor = QuantiseWeights(weights, int_weights);
    const float base = static_cast<float>(r_norm);
    const float dot_scale = factor > 0 ? -2.0f / factor : 0.0f;
    const float* norms = norms_.data();
    const int16_t* w = int_weights.data();
    scan([&](uint32_t slot, const uint8_t* code) {
      return base + norms[slot] + dot_scale * DotCodes(w, code, stride);
    });
  } else {
    // Inner product and cosine: (1 - <q, min>) - <q*scale, c>.
    double q_dot_min = 0;
    for (size_t i = 0; i < dim_; ++i) {
      weights[i] = q[i] * scale_[i];
      q_dot_min += static_cast<double>(q[i]) * min_[i];
    }
    const float factor = QuantiseWeights(weights, int_weights);
    const float offset = static_cast<float>(1.0 - q_dot_min);
    const float dot_scale = factor > 0 ? -1.0f / factor : 0.0f;
    const int16_t* w = int_weights.data();
    scan([&](uint32_t, const uint8_t* code) {
      return offset + dot_scale * DotCodes(w, code, stride);
    });
  }

  TopK top(params.k);
  for (const Neighbor& candidate : candidates.TakeSorted()) {
    top.Push(space_.Distance(query, table_.code(candidate.slot)), candidate.slot);
  }
  return top.TakeSorted();
}

Status Sq8Index::Save(ByteSink& sink) const {
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kSq8Magic));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kSq8Version));
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint32_t>(static_cast<uint32_t>(dim_)));
  ALIKE_RETURN_IF_ERROR(sink.Write(min_.data(), dim_ * sizeof(float)));
  ALIKE_RETURN_IF_ERROR(sink.Write(scale_.data(), dim_ * sizeof(float)));
  ALIKE_RETURN_IF_ERROR(live_.Save(sink));
  // Codes of live slots in ascending slot order, without the stride padding.
  Status status;
  live_.ForEach([&](uint32_t slot) {
    if (status.ok()) status = sink.Write(codes_.data() + size_t{slot} * stride_, dim_);
  });
  return status;
}

Status Sq8Index::Load(ByteSource& source) {
  uint32_t magic = 0, version = 0, dim = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&magic));
  if (magic != kSq8Magic) return Status::Corruption("not an sq8 index (bad magic)");
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&version));
  if (version != kSq8Version) {
    return Status::Corruption("unsupported sq8 index version " + std::to_string(version));
  }
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&dim));
  if (dim != dim_) {
    return Status::Corruption("sq8 index has dimension " + std::to_string(dim) + ", expected " +
                              std::to_string(dim_));
  }
  std::vector<float> min(stride_, 0.0f), scale(stride_, 0.0f), inv_scale(stride_, 0.0f);
  ALIKE_RETURN_IF_ERROR(source.Read(min.data(), dim_ * sizeof(float)));
  ALIKE_RETURN_IF_ERROR(source.Read(scale.data(), dim_ * sizeof(float)));
  for (size_t i = 0; i < dim_; ++i) {
    if (!std::isfinite(min[i]) || !std::isfinite(scale[i]) || scale[i] < 0.0f) {
      return Status::Corruption("sq8 index: bad quantisation range for dimension " +
                                std::to_string(i));
    }
    float inv = scale[i] > 0.0f ? 1.0f / scale[i] : 0.0f;
    inv_scale[i] = std::isfinite(inv) ? inv : 0.0f;
  }
  LiveSlots live;
  ALIKE_RETURN_IF_ERROR(live.Load(source, table_.capacity()).WithContext("sq8 index"));
  const size_t capacity = live.end_slot();
  std::vector<uint8_t> codes(capacity * stride_, 0);
  Status status;
  live.ForEach([&](uint32_t slot) {
    if (status.ok()) status = source.Read(codes.data() + size_t{slot} * stride_, dim_);
  });
  ALIKE_RETURN_IF_ERROR(status.WithContext("sq8 index codes"));

  std::unique_lock lock(mu_);
  const size_t n = live.size();
  min_ = std::move(min);
  scale_ = std::move(scale);
  inv_scale_ = std::move(inv_scale);
  codes_ = std::move(codes);
  capacity_ = capacity;
  live_ = std::move(live);
  live_.Reserve(capacity_);
  // Derived from the codes and ranges, so not stored.
  if (keep_norms_) {
    norms_.assign(capacity_, 0.0f);
    live_.ForEach(
        [&](uint32_t slot) { norms_[slot] = DecodedNorm(codes_.data() + size_t{slot} * stride_); });
  }
  removed_count_ = 0;
  // The growth count restarts from the loaded size.
  adds_since_training_.store(0, std::memory_order_relaxed);
  retrain_after_adds_.store(std::max<size_t>(1, 3 * n), std::memory_order_relaxed);
  return Status::OK();
}

size_t Sq8Index::MemoryBytes() const {
  return sizeof(*this) + codes_.capacity() + norms_.capacity() * sizeof(float) +
         (min_.capacity() + scale_.capacity() + inv_scale_.capacity()) * sizeof(float) +
         live_.MemoryBytes();
}

}  // namespace alike::index
