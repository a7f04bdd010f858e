#include "index/flat_index.h"

#include <cstring>
#include <string>

namespace alike::index {
namespace {

// "ALFL", then a format version, so that a checkpoint written for another index kind or by a
// future format is refused rather than misread.
constexpr uint32_t kFlatMagic = 0x4C464C41;
constexpr uint32_t kFlatVersion = 1;

// How many slots ahead of the one being measured the scan prefetches, and how much of that code.
// The hardware prefetcher streams long runs of the table by itself; the software prefetch covers
// the start of each code and the jumps over dead slots. Beyond a few lines it only adds µops.
constexpr size_t kPrefetchSlotsAhead = 4;
constexpr size_t kPrefetchMaxBytes = 256;

inline void PrefetchCode(const uint8_t* code, size_t size) {
  size_t bytes = std::min(size, kPrefetchMaxBytes);
  for (size_t off = 0; off < bytes; off += 64) __builtin_prefetch(code + off, 0, 3);
}

}  // namespace

size_t LiveSlots::size() const {
  size_t n = 0;
  for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
  return n;
}

size_t LiveSlots::end_slot() const {
  for (size_t w = words_.size(); w-- > 0;) {
    if (words_[w] != 0) return w * 64 + 64 - static_cast<size_t>(std::countl_zero(words_[w]));
  }
  return 0;
}

Status LiveSlots::Save(ByteSink& sink) const {
  std::vector<uint32_t> slots;
  slots.reserve(size());
  ForEach([&](uint32_t slot) { slots.push_back(slot); });
  ALIKE_RETURN_IF_ERROR(sink.WritePod<uint64_t>(slots.size()));
  return sink.Write(slots.data(), slots.size() * sizeof(uint32_t));
}

Status LiveSlots::Load(ByteSource& source, size_t slot_limit) {
  uint64_t count = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&count));
  // Slots are distinct and below the limit, so a larger count can only be corrupt; checking it
  // first also bounds the allocation below.
  if (count > slot_limit) {
    return Status::Corruption("live slot count " + std::to_string(count) + " exceeds " +
                              std::to_string(slot_limit) + " slots");
  }
  std::vector<uint32_t> slots(count);
  ALIKE_RETURN_IF_ERROR(source.Read(slots.data(), slots.size() * sizeof(uint32_t)));
  LiveSlots loaded;
  if (!slots.empty()) loaded.Reserve(size_t{slots.back()} + 1);
  for (size_t i = 0; i < slots.size(); ++i) {
    if (slots[i] >= slot_limit) {
      return Status::Corruption("live slot " + std::to_string(slots[i]) + " out of range");
    }
    // Save() writes ascending slots; anything else (a duplicate included) is damage.
    if (i > 0 && slots[i] <= slots[i - 1]) {
      return Status::Corruption("live slots not strictly ascending at " + std::to_string(i));
    }
    loaded.Insert(slots[i]);
  }
  *this = std::move(loaded);
  return Status::OK();
}

namespace {

// The exact scan over every live slot, with `distance(code)` measuring one code from the query.
template <typename Distance>
std::vector<Neighbor> Scan(const LiveSlots& live, const VectorTable& table,
                           const IndexSearchParams& params, Distance distance) {
  if (params.k == 0) return {};
  TopK top(params.k);
  const size_t code_size = table.code_size();
  // Codes of a cache line or less (binary codes) lie several to a line, and the hardware
  // prefetcher follows the scan by itself.
  const size_t prefetch_limit = code_size > 64 ? table.capacity() : 0;
  const SlotFilter* filter = params.filter;
  live.ForEach([&](uint32_t slot) {
    if (slot + kPrefetchSlotsAhead < prefetch_limit) {
      PrefetchCode(table.code(slot + kPrefetchSlotsAhead), code_size);
    }
    if (filter != nullptr && !filter->Allows(slot)) return;
    float d = distance(table.code(slot));
    // Slots arrive in ascending order, so an equal distance never displaces an earlier slot.
    if (d < top.threshold() || top.size() < params.k) top.Push(d, slot);
  });
  return top.TakeSorted();
}

// Hamming distance to a binary code of `Words` 64-bit words, the query's words loaded once.
// Perceptual hashes are 1 or 4 words: inlined into the scan, the popcounts run at about twice
// the speed of a call through the space's distance pointer per code (alike-bench hamming).
template <size_t Words>
class HammingTo {
 public:
  explicit HammingTo(const void* query) { std::memcpy(query_, query, sizeof(query_)); }
  float operator()(const uint8_t* code) const {
    uint64_t words[Words];
    std::memcpy(words, code, sizeof(words));
    int bits = 0;
    for (size_t i = 0; i < Words; ++i) bits += std::popcount(query_[i] ^ words[i]);
    return static_cast<float>(bits);
  }

 private:
  uint64_t query_[Words];
};

}  // namespace

std::vector<Neighbor> ScanLiveSlots(const Space& space, const VectorTable& table,
                                    const LiveSlots& live, const void* query,
                                    const IndexSearchParams& params) {
  if (space.metric() == Metric::kHamming) {
    switch (space.code_size()) {
      case 8:
        return Scan(live, table, params, HammingTo<1>(query));
      case 32:
        return Scan(live, table, params, HammingTo<4>(query));
      default:
        break;
    }
  }
  const DistanceFn distance = space.distance_fn();
  const size_t dim = space.distance_dim();
  return Scan(live, table, params, [&](const uint8_t* code) { return distance(query, code, dim); });
}

std::vector<Neighbor> FlatIndex::Search(const void* query, const IndexSearchParams& params) const {
  return ScanLiveSlots(space_, table_, live_, query, params);
}

Status FlatIndex::Save(ByteSink& sink) const {
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kFlatMagic));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kFlatVersion));
  return live_.Save(sink);
}

Status FlatIndex::Load(ByteSource& source) {
  uint32_t magic = 0, version = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&magic));
  if (magic != kFlatMagic) return Status::Corruption("not a flat index (bad magic)");
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&version));
  if (version != kFlatVersion) {
    return Status::Corruption("unsupported flat index version " + std::to_string(version));
  }
  ALIKE_RETURN_IF_ERROR(live_.Load(source, table_.capacity()).WithContext("flat index"));
  removed_count_ = 0;
  return Status::OK();
}

}  // namespace alike::index
