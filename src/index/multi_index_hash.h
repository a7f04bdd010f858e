// MultiIndexHash: exact search of binary codes (kHamming) by multi-index hashing (Norouzi, Punjani
// and Fleet, "Fast Search in Hamming Space with Multi-Index Hashing", CVPR 2012), for perceptual
// hashes at archive scale, where the flat scan costs a pass over every code per query (about
// 0.28 ms per 100k 256-bit codes: 2.8 ms at 1M, 2.8 s at 1B).
//
// A code of b bits is cut into m = b / 16 substrings of 16 bits, and each substring position has
// its own table of 2^16 buckets listing the slots whose substring has that value. Pigeonhole: two
// codes within distance r differ by at most floor(r / m) bits in at least one substring. So a
// search walks substring radius s = 0, 1, 2, ...: at each s it looks up, in every table, the
// buckets of the values s bits away from the query's substring, and measures the full distance
// of each slot found. After radius s, every code not yet found differs by at least s + 1 bits in
// every substring, so by at least m * (s + 1) in all: the search stops once the k best found are
// nearer than that, or `max_distance` is below it. The answer is exact (the same as a flat
// scan's, ties by slot).
//
// Each code is measured once: a slot found in table j at radius s is measured only if s is its
// smallest substring distance and j the first table at that distance (computed from the full
// XOR, cheaper than a visited set).
//
// Lookups or a scan, by cost: a looked-up slot costs a cache miss (its code, at a random place),
// about kLookupCostInScannedCodes times a code the scan reads in order (measured at 1M codes:
// ~80 ns against ~2.3 ns). A search looks up buckets only when every radius it may need, up to
// floor(max_distance / m), is predicted to cost under half a scan; otherwise it scans at once.
// So PDQ's 31 bits take lookups from about 24k codes up, while a k nearest without a radius, or
// 96 bits at 1M codes, is a scan and costs what the flat index does.
//
// Size rule: the tables are built only once the index holds min_codes_for_tables codes (by
// default as many as a table has buckets, 65,536), until then every search scans. Below that a
// scan takes under 0.2 ms, and the tables' fixed 2^16 bucket headers each (25 MiB for 256 bits)
// would be most of the memory of a small library's hashes.
//
// 16-bit substrings suit collections of 65k to about 16M codes (a bucket then holds up to a few
// hundred slots); at 1B a 256-bit code wants 32-bit substrings in hashed tables (see README,
// "Copy detection at scale").
//
// Memory: 4 bytes per slot per substring (64 bytes per 256-bit code, twice the code) plus
// 2^16 bucket headers per table, once built; before, 4 bytes per slot.
//
// Thread-safety: as VectorIndex (index/vector_index.h); concurrent Add()s take a lock around the
// bucket lists they append to.
#ifndef ALIKE_INDEX_MULTI_INDEX_HASH_H_
#define ALIKE_INDEX_MULTI_INDEX_HASH_H_

#include <cstdint>
#include <mutex>
#include <vector>

#include "index/flat_index.h"
#include "index/space.h"
#include "index/vector_index.h"
#include "index/vector_table.h"

namespace alike::index {

class MultiIndexHash : public VectorIndex {
 public:
  static constexpr int kSubstringBits = 16;
  static constexpr size_t kBucketsPerTable = size_t{1} << kSubstringBits;
  // A slot looked up in a bucket against a slot scanned in order (measured, see above).
  static constexpr double kLookupCostInScannedCodes = 32;

  // `space` must be kHamming with a dimension that is a multiple of 64 bits. The tables are built
  // once the index holds `min_codes_for_tables` codes (tests lower it).
  MultiIndexHash(const Space& space, const VectorTable& table,
                 size_t min_codes_for_tables = kBucketsPerTable);

  void Add(uint32_t slot) override;
  void Remove(uint32_t slot) override;
  size_t Purge() override;
  size_t removed_count() const override { return removed_.size(); }

  // The k nearest live slots that pass the filter, none farther than params.max_distance bits.
  std::vector<Neighbor> Search(const void* query, const IndexSearchParams& params) const override;

  void Reserve(size_t slots) override { live_.Reserve(slots); }
  Status Save(ByteSink& sink) const override;
  Status Load(ByteSource& source) override;
  size_t MemoryBytes() const override;

  size_t size() const { return live_.size(); }
  int substrings() const { return substrings_; }
  bool has_tables() const { return !buckets_.empty(); }
  // Whether a search within `max_distance` bits looks up buckets (true) or scans.
  bool LooksUp(float max_distance) const;

 private:
  uint16_t Substring(const uint8_t* code, int j) const;
  // Both with add_mutex_ held (or no concurrent Add).
  void InsertIntoBuckets(uint32_t slot);
  void BuildTables();
  void EraseFromBuckets(uint32_t slot);
  std::vector<Neighbor> Scan(const void* query, const IndexSearchParams& params) const;

  const Space& space_;
  const VectorTable& table_;
  const int substrings_;
  const size_t words_;  // 64-bit words per code
  const size_t min_codes_for_tables_;
  // buckets_[j * 65536 + v]: the slots whose substring j has value v, in insertion order. Empty
  // until the tables are built; the slots added until then wait in untabled_.
  std::vector<std::vector<uint32_t>> buckets_;
  std::vector<uint32_t> untabled_;
  size_t bucketed_ = 0;   // slots added (live and removed), for the scan-or-look-up cost
  std::mutex add_mutex_;  // guards buckets_, untabled_ and bucketed_ during concurrent Add()s
  LiveSlots live_;
  std::vector<uint32_t> removed_;  // removed but still in the buckets until Purge()
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_MULTI_INDEX_HASH_H_
