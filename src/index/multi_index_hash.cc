#include "index/multi_index_hash.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

namespace alike::index {
namespace {

// "ALMH", then a format version (see flat_index.cc).
constexpr uint32_t kMihMagic = 0x484D4C41;
constexpr uint32_t kMihVersion = 1;
constexpr size_t kBuckets = MultiIndexHash::kBucketsPerTable;

// Bucket values at exactly `s` bits from a substring: masks of popcount s, in increasing order
// (Gosper's hack); calls fn(mask) for each.
template <typename Fn>
void ForEachMask(int s, Fn&& fn) {
  if (s == 0) {
    fn(uint32_t{0});
    return;
  }
  for (uint32_t mask = (uint32_t{1} << s) - 1; mask < kBuckets;) {
    fn(mask);
    const uint32_t lowest = mask & -mask;
    const uint32_t ripple = mask + lowest;
    mask = (((ripple ^ mask) >> 2) / lowest) | ripple;
  }
}

double Binomial(int n, int k) {
  double c = 1;
  for (int i = 1; i <= k; ++i) c = c * (n - k + i) / i;
  return c;
}

}  // namespace

MultiIndexHash::MultiIndexHash(const Space& space, const VectorTable& table,
                               size_t min_codes_for_tables)
    : space_(space),
      table_(table),
      substrings_(static_cast<int>(space.dimension()) / kSubstringBits),
      words_(space.code_size() / sizeof(uint64_t)),
      min_codes_for_tables_(min_codes_for_tables) {}

uint16_t MultiIndexHash::Substring(const uint8_t* code, int j) const {
  uint16_t v;
  std::memcpy(&v, code + size_t(j) * sizeof(uint16_t), sizeof(v));
  return v;
}

void MultiIndexHash::InsertIntoBuckets(uint32_t slot) {
  const uint8_t* code = table_.code(slot);
  for (int j = 0; j < substrings_; ++j) {
    buckets_[size_t(j) * kBuckets + Substring(code, j)].push_back(slot);
  }
}

void MultiIndexHash::BuildTables() {
  buckets_.resize(static_cast<size_t>(substrings_) * kBuckets);
  for (uint32_t slot : untabled_) InsertIntoBuckets(slot);
  untabled_ = {};
}

void MultiIndexHash::EraseFromBuckets(uint32_t slot) {
  const uint8_t* code = table_.code(slot);
  for (int j = 0; j < substrings_; ++j) {
    std::vector<uint32_t>& bucket = buckets_[size_t(j) * kBuckets + Substring(code, j)];
    // Order within a bucket does not matter: swap with the last and drop it.
    const auto it = std::find(bucket.begin(), bucket.end(), slot);
    if (it != bucket.end()) {
      *it = bucket.back();
      bucket.pop_back();
    }
  }
}

void MultiIndexHash::Add(uint32_t slot) {
  {
    std::lock_guard lock(add_mutex_);
    if (has_tables()) {
      InsertIntoBuckets(slot);
    } else {
      untabled_.push_back(slot);
      if (untabled_.size() >= min_codes_for_tables_) BuildTables();
    }
    ++bucketed_;
  }
  live_.Insert(slot);
}

void MultiIndexHash::Remove(uint32_t slot) {
  if (live_.Erase(slot)) removed_.push_back(slot);
}

size_t MultiIndexHash::Purge() {
  // The table still holds a removed slot's code until the slot is reused, which Purge() comes
  // before: so its buckets can be found from it.
  if (has_tables()) {
    for (uint32_t slot : removed_) EraseFromBuckets(slot);
  } else {
    std::erase_if(untabled_, [&](uint32_t slot) { return !live_.Contains(slot); });
  }
  bucketed_ -= removed_.size();
  return std::exchange(removed_, {}).size();
}

bool MultiIndexHash::LooksUp(float max_distance) const {
  if (!has_tables()) return false;
  // Beyond this radius no substring bound ever stops the search: it would visit every bucket.
  if (!(max_distance < float(substrings_ * (kSubstringBits + 1)))) return false;
  const int deepest = static_cast<int>(max_distance) / substrings_;
  double buckets = 0;
  for (int s = 0; s <= deepest; ++s) buckets += substrings_ * Binomial(kSubstringBits, s);
  // An empty bucket costs a miss too, hence the + 1.
  const double lookup_cost =
      buckets * (double(bucketed_) / kBuckets + 1) * kLookupCostInScannedCodes;
  return lookup_cost < double(bucketed_) / 2;
}

std::vector<Neighbor> MultiIndexHash::Scan(const void* query,
                                           const IndexSearchParams& params) const {
  // The k nearest, nearest first, so those within the radius are a prefix.
  std::vector<Neighbor> nearest = ScanLiveSlots(space_, table_, live_, query, params);
  std::erase_if(nearest, [&](const Neighbor& n) { return n.distance > params.max_distance; });
  return nearest;
}

std::vector<Neighbor> MultiIndexHash::Search(const void* query,
                                             const IndexSearchParams& params) const {
  if (params.k == 0) return {};
  if (!LooksUp(params.max_distance)) return Scan(query, params);
  const float max_distance = params.max_distance;
  const auto* q = static_cast<const uint8_t*>(query);
  std::vector<uint64_t> query_words(words_);
  std::memcpy(query_words.data(), q, words_ * sizeof(uint64_t));
  TopK top(params.k);
  for (int s = 0; s <= kSubstringBits; ++s) {
    for (int j = 0; j < substrings_; ++j) {
      const uint16_t value = Substring(q, j);
      ForEachMask(s, [&](uint32_t mask) {
        for (uint32_t slot : buckets_[size_t(j) * kBuckets + (value ^ mask)]) {
          if (!live_.Contains(slot)) continue;  // removed, not purged yet
          const uint8_t* code = table_.code(slot);
          int total = 0, nearest = kSubstringBits + 1, first = 0;
          for (size_t w = 0; w < words_; ++w) {
            uint64_t word;
            std::memcpy(&word, code + w * sizeof(uint64_t), sizeof(word));
            const uint64_t diff = word ^ query_words[w];
            total += std::popcount(diff);
            for (int t = 0; t < 4; ++t) {
              const int d = std::popcount((diff >> (16 * t)) & 0xFFFF);
              if (d < nearest) nearest = d, first = int(w) * 4 + t;
            }
          }
          // Measured once: at its nearest substring's radius, by the first such table.
          if (nearest != s || first != j) continue;
          if (float(total) > max_distance) continue;
          if (params.filter != nullptr && !params.filter->Allows(slot)) continue;
          if (top.size() < params.k || float(total) <= top.threshold())
            top.Push(float(total), slot);
        }
      });
    }
    // Every code not found yet differs by more than s bits in each substring.
    const float unseen = float(substrings_) * float(s + 1);
    if (max_distance < unseen) break;
    // Strictly: an unseen code at the k-th distance with a smaller slot would rank before it.
    if (top.size() == params.k && top.threshold() < unseen) break;
  }
  return top.TakeSorted();
}

Status MultiIndexHash::Save(ByteSink& sink) const {
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kMihMagic));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kMihVersion));
  // The buckets are rebuilt from the codes on load: they are derived, and 2x the codes' size.
  return live_.Save(sink);
}

Status MultiIndexHash::Load(ByteSource& source) {
  uint32_t magic = 0, version = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&magic));
  if (magic != kMihMagic) return Status::Corruption("not a multi-index hash (bad magic)");
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&version));
  if (version != kMihVersion) {
    return Status::Corruption("unsupported multi-index hash version " + std::to_string(version));
  }
  LiveSlots loaded;
  ALIKE_RETURN_IF_ERROR(loaded.Load(source, table_.capacity()).WithContext("multi-index hash"));
  buckets_ = {};
  untabled_.clear();
  removed_.clear();
  live_ = std::move(loaded);
  live_.ForEach([&](uint32_t slot) { untabled_.push_back(slot); });
  bucketed_ = untabled_.size();
  if (bucketed_ >= min_codes_for_tables_) BuildTables();
  return Status::OK();
}

size_t MultiIndexHash::MemoryBytes() const {
  size_t bytes = buckets_.capacity() * sizeof(std::vector<uint32_t>) +
                 (untabled_.capacity() + removed_.capacity()) * sizeof(uint32_t) +
                 live_.capacity() / 8;
  for (const auto& bucket : buckets_) bytes += bucket.capacity() * sizeof(uint32_t);
  return bytes;
}

}  // namespace alike::index
