#include "index/hnsw_index.h"

#include <immintrin.h>

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <thread>

#include "util/parallel_for.h"

namespace alike::index {
namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();
constexpr uint32_t kMagic = 0x57534E48;  // "HNSW"
constexpr uint32_t kFormatVersion = 1;

// Candidates are a min-heap (nearest on top: expanded next), results a max-heap (farthest on
// top: evicted next).
bool Farther(const Neighbor& a, const Neighbor& b) { return b < a; }

inline void PrefetchLine(const void* p) { _mm_prefetch(static_cast<const char*>(p), _MM_HINT_T0); }

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

// The table's codes by slot. The table is resized only between Add()s and never during a Search,
// so one call can read its base pointer once instead of at every distance.
class HnswIndex::CodeView {
 public:
  explicit CodeView(const VectorTable& table) : base_(table.code(0)), size_(table.code_size()) {}
  const uint8_t* operator()(uint32_t slot) const { return base_ + size_t{slot} * size_; }
  size_t code_size() const { return size_; }
  // Asks for every cache line of a code.
  void Prefetch(uint32_t slot) const {
    const auto begin = reinterpret_cast<uintptr_t>((*this)(slot));
    for (uintptr_t line = begin & ~uintptr_t{63}; line < begin + size_; line += 64) {
      PrefetchLine(reinterpret_cast<const void*>(line));
    }
  }

 private:
  const uint8_t* base_;
  size_t size_;
};

// What an insert searches for. Exact copies of its own code are capped among its candidates: a
// large group of identical vectors would otherwise fill every candidate list, and the node would
// link to copies only, a closed island that searches enter and cannot leave.
struct HnswIndex::BuildTarget {
  const uint8_t* code;
  size_t code_size;
  float self_distance;
  size_t max_duplicates;
  size_t duplicates = 0;

  // Identical codes have identical distances, so the compare runs only on an exact tie.
  bool IsDuplicate(float distance, const uint8_t* other) const {
    return distance == self_distance && std::memcmp(code, other, code_size) == 0;
  }
};

// Per-walk scratch space, pooled so that a search allocates nothing in the steady state.
struct HnswIndex::SearchContext {
  // visited[slot] == epoch marks the slots seen by the current walk; a new walk bumps the epoch
  // instead of clearing the array, which is as large as the index.
  std::vector<uint16_t> visited;
  uint16_t epoch = 0;
  std::vector<Neighbor> candidates;
  std::vector<Neighbor> results;
  std::vector<uint32_t> links;    // a list copied under its lock
  std::vector<uint32_t> fresh;    // the unvisited neighbours of the node being expanded
  std::vector<uint32_t> hidden;   // removed nodes met by Relink()
  std::vector<Neighbor> scratch;  // Connect()'s candidates

  void NewWalk() {
    if (++epoch == 0) {
      std::fill(visited.begin(), visited.end(), 0);
      epoch = 1;
    }
  }
  // Marks `slot` visited; false if it already was.
  bool Visit(uint32_t slot) {
    if (visited[slot] == epoch) return false;
    visited[slot] = epoch;
    return true;
  }
};

class HnswIndex::ContextLease {
 public:
  explicit ContextLease(const HnswIndex& index) : index_(index) {
    {
      std::lock_guard lock(index.pool_mutex_);
      if (!index.pool_.empty()) {
        ctx_ = std::move(index.pool_.back());
        index.pool_.pop_back();
      }
    }
    if (ctx_ == nullptr) ctx_ = std::make_unique<SearchContext>();
    // Zeros never equal the (non-zero) epoch of a walk, so growing needs no reset.
    if (ctx_->visited.size() < index.capacity_) ctx_->visited.resize(index.capacity_, 0);
    ctx_->links.resize(index.m0_ + 1);
    ctx_->fresh.resize(index.m0_);
  }
  ~ContextLease() {
    std::lock_guard lock(index_.pool_mutex_);
    index_.pool_.push_back(std::move(ctx_));
  }
  ContextLease(const ContextLease&) = delete;
  ContextLease& operator=(const ContextLease&) = delete;

  SearchContext& operator*() { return *ctx_; }
  SearchContext* operator->() { return ctx_.get(); }

 private:
  const HnswIndex& index_;
  std::unique_ptr<SearchContext> ctx_;
};

void HnswIndex::SpinLock::lock() {
  while (flag_.test_and_set(std::memory_order_acquire)) {
    // Wait on a plain read, and give the core away: with more inserting threads than cores the
    // holder may be the one waiting for it.
    while (flag_.test(std::memory_order_relaxed)) std::this_thread::yield();
  }
}

HnswIndex::HnswIndex(const Space& space, const VectorTable& table, const HnswParams& params)
    : table_(table),
      distance_(space.distance_fn()),
      distance_dim_(space.distance_dim()),
      params_(params) {
  params_.m = std::max<uint32_t>(params_.m, 2);
  params_.ef_construction = std::max(params_.ef_construction, params_.m);
  m_ = params_.m;
  m0_ = 2 * m_;
  level_mult_ = 1.0 / std::log(static_cast<double>(m_));
}

HnswIndex::~HnswIndex() = default;

// Levels come from a hash of the slot rather than a shared generator: concurrent inserts need no
// lock for it, and a build is reproducible whatever the thread interleaving.
int HnswIndex::RandomLevel(uint32_t slot) const {
  const double unit = static_cast<double>(SplitMix64(slot) >> 11) * 0x1.0p-53;  // [0, 1)
  const double level = -std::log1p(-unit) * level_mult_;
  return level >= kMaxLevel ? kMaxLevel : static_cast<int>(level);
}

void HnswIndex::Reserve(size_t slots) {
  if (slots <= capacity_) return;
  // Geometric growth keeps one-at-a-time Add()s beyond the reservation amortised O(1).
  const size_t capacity =
      std::min<size_t>(std::max({slots, capacity_ + capacity_ / 8, size_t{64}}), size_t{kNone});
  links0_.Grow(capacity * (m0_ + 1) * sizeof(uint32_t));  // zeroed: empty lists
  upper_.resize(capacity);
  levels_.resize(capacity, -1);
  removed_.resize(capacity, 0);
  locks_ = std::make_unique<SpinLock[]>(capacity);
  capacity_ = capacity;
}

void HnswIndex::PrefetchList(uint32_t slot) const {
  const auto begin = reinterpret_cast<uintptr_t>(Links(slot, 0));
  const uintptr_t end = begin + (m0_ + 1) * sizeof(uint32_t);
  for (uintptr_t line = begin & ~uintptr_t{63}; line < end; line += 64) {
    PrefetchLine(reinterpret_cast<const void*>(line));
  }
}

template <HnswIndex::Walk kWalk>
Neighbor HnswIndex::GreedyClosest(const void* query, Neighbor nearest, int layer,
                                  const CodeView& codes, SearchContext& ctx) const {
  for (bool moved = true; moved;) {
    moved = false;
    const uint32_t* list = Links(nearest.slot, layer);
    if constexpr (kWalk == Walk::kBuild) {
      // Another insert may be rewriting this list.
      std::lock_guard lock(locks_[nearest.slot]);
      std::copy_n(list, list[0] + 1, ctx.links.data());
      list = ctx.links.data();
    }
    const uint32_t count = list[0];
    if (count > 0) codes.Prefetch(list[1]);
    for (uint32_t i = 1; i <= count; ++i) {
      if (i < count) codes.Prefetch(list[i + 1]);
      const float d = Distance(query, codes(list[i]));
      if (d < nearest.distance) {
        nearest = {d, list[i]};
        moved = true;
      }
    }
  }
  return nearest;
}

template <HnswIndex::Walk kWalk>
void HnswIndex::SearchLayer(const void* query, int layer, size_t ef, const SlotFilter* filter,
                            BuildTarget* target, const CodeView& codes, SearchContext& ctx) const {
  std::vector<Neighbor>& candidates = ctx.candidates;
  std::vector<Neighbor>& results = ctx.results;
  ctx.NewWalk();
  candidates = results;
  for (const Neighbor& entry : results) ctx.Visit(entry.slot);
  std::make_heap(candidates.begin(), candidates.end(), Farther);
  if constexpr (kWalk == Walk::kQueryFiltered) {
    // Entry points guide the walk whether or not they may be returned.
    std::erase_if(results, [&](const Neighbor& n) { return !Accepts(n.slot, filter); });
  }
  if constexpr (kWalk == Walk::kBuild) {
    target->duplicates = std::count_if(results.begin(), results.end(), [&](const Neighbor& n) {
      return target->IsDuplicate(n.distance, codes(n.slot));
    });
  }
  std::make_heap(results.begin(), results.end());
  while (results.size() > ef) {
    std::pop_heap(results.begin(), results.end());
    results.pop_back();
  }

  // Nothing farther than `bound` can enter the results; it stays infinite until ef *accepted*
  // nodes are found, so that under a filter the walk goes on through rejected nodes.
  float bound = results.size() < ef ? kInfinity : results.front().distance;
  while (!candidates.empty() && !(candidates.front().distance > bound)) {
    const uint32_t current = candidates.front().slot;
    std::pop_heap(candidates.begin(), candidates.end(), Farther);
    candidates.pop_back();
    // The next node to expand is likely the new top: its list is fetched while this one's
    // neighbours are measured. (Layer 0 only: an upper list's address is itself a load.)
    if (layer == 0 && !candidates.empty()) PrefetchList(candidates.front().slot);

    const uint32_t* list = Links(current, layer);
    if constexpr (kWalk == Walk::kBuild) {
      std::lock_guard lock(locks_[current]);
      std::copy_n(list, list[0] + 1, ctx.links.data());
      list = ctx.links.data();
    }
    // Sift out the visited neighbours first, so that the first lines of all the others' codes are
    // on their way before the first distance needs one; each distance then fetches the whole of
    // the next code (the hardware prefetcher alone stalls on the first lines of every vector).
    uint32_t* fresh = ctx.fresh.data();
    size_t fresh_count = 0;
    for (uint32_t i = 1, count = list[0]; i <= count; ++i) {
      const uint32_t id = list[i];
      if (!ctx.Visit(id)) continue;
      PrefetchLine(codes(id));
      fresh[fresh_count++] = id;
    }
    for (size_t i = 0; i < fresh_count; ++i) {
      const uint32_t id = fresh[i];
      if (i + 1 < fresh_count) codes.Prefetch(fresh[i + 1]);
      const float d = Distance(query, codes(id));
      if (!(d < bound)) continue;
      if constexpr (kWalk == Walk::kBuild) {
        if (target->IsDuplicate(d, codes(id)) && target->duplicates++ >= target->max_duplicates) {
          continue;
        }
      }
      candidates.push_back({d, id});
      std::push_heap(candidates.begin(), candidates.end(), Farther);
      if (layer == 0 && candidates.front().slot == id) PrefetchList(id);
      if constexpr (kWalk == Walk::kQueryFiltered) {
        if (!Accepts(id, filter)) continue;
      }
      results.push_back({d, id});
      std::push_heap(results.begin(), results.end());
      if (results.size() > ef) {
        std::pop_heap(results.begin(), results.end());
        results.pop_back();
      }
      if (results.size() == ef) bound = results.front().distance;
    }
  }
}

void HnswIndex::SelectNeighbors(const uint8_t* base, std::vector<Neighbor>& candidates, size_t max,
                                const CodeView& codes, size_t keep) const {
  const float self_distance = Distance(base, base);
  assert(keep <= max && keep <= candidates.size());
  size_t kept = keep;
  size_t duplicates = 0;
  for (size_t i = kept; i < candidates.size() && kept < max; ++i) {
    const Neighbor candidate = candidates[i];
    const uint8_t* code = codes(candidate.slot);
    // A candidate closer to a kept neighbour than to the base is reachable through that
    // neighbour; a link to it would add no new direction. Ties are kept, so that equidistant
    // points (Hamming distances tie all the time) are not all dropped.
    bool diverse = true;
    for (size_t j = 0; j < kept && diverse; ++j) {
      diverse = !(Distance(code, codes(candidates[j].slot)) < candidate.distance);
    }
    if (!diverse) continue;
    // Copies of the base tie with each other and would all pass; half the links at most may go
    // to them, so that the node keeps routes out of its group of copies.
    if (candidate.distance == self_distance && std::memcmp(code, base, codes.code_size()) == 0 &&
        ++duplicates > max / 2) {
      continue;
    }
    candidates[kept++] = candidate;
  }
  candidates.resize(kept);
}

void HnswIndex::Connect(uint32_t from, uint32_t to, int layer, const CodeView& codes,
                        std::vector<Neighbor>& scratch) {
  std::lock_guard lock(locks_[from]);
  uint32_t* list = MutableLinks(from, layer);
  // Only Purge() can ask for a link that exists (a repaired node links back to a node that
  // already linked to it).
  if (std::find(list + 1, list + 1 + list[0], to) != list + 1 + list[0]) return;
  const size_t capacity = Capacity(layer);
  if (list[0] < capacity) {
    list[1 + list[0]] = to;
    ++list[0];
    return;
  }
  // Full: choose again among the old links and the new one, as for a new node.
  const uint8_t* base = codes(from);
  scratch.clear();
  scratch.push_back({Distance(base, codes(to)), to});
  for (uint32_t i = 1; i <= list[0]; ++i) {
    scratch.push_back({Distance(base, codes(list[i])), list[i]});
  }
  std::sort(scratch.begin(), scratch.end());
  SelectNeighbors(base, scratch, capacity, codes);
  list[0] = static_cast<uint32_t>(scratch.size());
  for (size_t i = 0; i < scratch.size(); ++i) list[1 + i] = scratch[i].slot;
}

void HnswIndex::Add(uint32_t slot) {
  if (slot >= capacity_) Reserve(size_t{slot} + 1);
  assert(levels_[slot] < 0 && "slot is already in the index");
  const int level = RandomLevel(slot);
  {
    // The node becomes visible to other inserts only through links added below, after this.
    std::lock_guard lock(locks_[slot]);
    levels_[slot] = static_cast<int8_t>(level);
    MutableLinks(slot, 0)[0] = 0;
    if (level > 0) {
      const size_t words = static_cast<size_t>(level) * (m_ + 1);
      upper_[slot] = std::make_unique<uint32_t[]>(words);
      upper_words_.fetch_add(words, std::memory_order_relaxed);
    }
  }
  size_.fetch_add(1, std::memory_order_relaxed);

  std::unique_lock entry_lock(entry_mutex_);
  if (entry_point_ == kNone) {
    entry_point_ = slot;
    max_level_ = level;
    return;
  }
  const uint32_t entry = entry_point_;
  const int top = max_level_;
  // A node that will become the new entry point keeps the lock until it is linked, so that no
  // other insert starts from it half-built. That happens about log_m(n) times per index.
  if (level <= top) entry_lock.unlock();

  const CodeView codes(table_);
  const uint8_t* code = codes(slot);
  ContextLease ctx(*this);
  Neighbor nearest{Distance(code, codes(entry)), entry};
  for (int layer = top; layer > level; --layer) {
    nearest = GreedyClosest<Walk::kBuild>(code, nearest, layer, codes, *ctx);
  }
  BuildTarget target{code, codes.code_size(), Distance(code, code), m_ / 2};
  std::vector<Neighbor> selected;
  ctx->results.assign(1, nearest);
  for (int layer = std::min(level, top); layer >= 0; --layer) {
    // Each layer's search starts from all of the layer above's results (the paper's ep <- W).
    SearchLayer<Walk::kBuild>(code, layer, params_.ef_construction, nullptr, &target, codes, *ctx);
    selected = ctx->results;
    // Removed nodes still route the walk but make poor neighbours, since Purge() will cut them
    // out; they are kept only if nothing else was found.
    if (removed_count_ > 0) {
      auto removed = [&](const Neighbor& n) { return removed_[n.slot] != 0; };
      if (!std::all_of(selected.begin(), selected.end(), removed)) std::erase_if(selected, removed);
    }
    std::sort(selected.begin(), selected.end());
    SelectNeighbors(code, selected, m_, codes);
    {
      std::lock_guard lock(locks_[slot]);
      uint32_t* list = MutableLinks(slot, layer);
      list[0] = static_cast<uint32_t>(selected.size());
      for (size_t i = 0; i < selected.size(); ++i) list[1 + i] = selected[i].slot;
    }
    for (const Neighbor& n : selected) Connect(n.slot, slot, layer, codes, ctx->scratch);
  }
  if (level > top) {
    entry_point_ = slot;
    max_level_ = level;
  }
}

void HnswIndex::Remove(uint32_t slot) {
  if (slot >= capacity_ || levels_[slot] < 0 || removed_[slot]) return;
  removed_[slot] = 1;
  ++removed_count_;
}

std::vector<Neighbor> HnswIndex::Search(const void* query, const IndexSearchParams& params) const {
  if (entry_point_ == kNone || params.k == 0) return {};
  const size_t ef = std::max<size_t>(params.ef > 0 ? params.ef : params_.ef_search, params.k);
  const CodeView codes(table_);
  ContextLease ctx(*this);
  Neighbor nearest{Distance(query, codes(entry_point_)), entry_point_};
  for (int layer = max_level_; layer > 0; --layer) {
    nearest = GreedyClosest<Walk::kQuery>(query, nearest, layer, codes, *ctx);
  }
  ctx->results.assign(1, nearest);
  if (params.filter != nullptr || removed_count_ > 0) {
    SearchLayer<Walk::kQueryFiltered>(query, 0, ef, params.filter, nullptr, codes, *ctx);
  } else {
    SearchLayer<Walk::kQuery>(query, 0, ef, nullptr, nullptr, codes, *ctx);
  }
  std::vector<Neighbor> hits = ctx->results;
  std::sort(hits.begin(), hits.end());
  if (hits.size() > params.k) hits.resize(params.k);
  return hits;
}

void HnswIndex::Relink(uint32_t slot, int layer, const CodeView& codes, SearchContext& ctx,
                       std::vector<Link>& added) {
  const uint8_t* base = codes(slot);
  std::vector<Neighbor>& candidates = ctx.results;
  std::vector<uint32_t>& hidden = ctx.hidden;
  candidates.clear();
  hidden.clear();
  ctx.NewWalk();
  ctx.Visit(slot);
  auto consider = [&](uint32_t id) {
    if (!ctx.Visit(id)) return;
    if (removed_[id]) {
      hidden.push_back(id);
    } else {
      candidates.push_back({Distance(base, codes(id)), id});
    }
  };
  const uint32_t* list = Links(slot, layer);
  for (uint32_t i = 1; i <= list[0]; ++i) consider(list[i]);
  // The live links stay: they were chosen against a denser graph and still hold. Re-selecting
  // them with the heuristic would thin the list (an insert's reverse links fill it beyond what
  // the heuristic keeps) and cost recall.
  const size_t kept = candidates.size();
  // The removed neighbours were the node's routes into parts of the graph; their live neighbours
  // are the natural replacements. Chains of removed nodes are followed further only while few
  // live candidates have turned up, and not far, so that a large deleted region cannot make one
  // repair expensive.
  const size_t capacity = Capacity(layer);
  const size_t direct = hidden.size();
  for (size_t i = 0; i < hidden.size() && i < direct + capacity; ++i) {
    if (i >= direct && candidates.size() >= capacity) break;
    const uint32_t* hidden_list = Links(hidden[i], layer);
    for (uint32_t j = 1; j <= hidden_list[0]; ++j) consider(hidden_list[j]);
  }
  // The heuristic is quadratic in its input: like an insert, give it the ef_construction nearest.
  const size_t pool = kept + params_.ef_construction;
  if (candidates.size() > pool) {
    std::nth_element(candidates.begin() + kept, candidates.begin() + pool, candidates.end());
    candidates.resize(pool);
  }
  std::sort(candidates.begin(), candidates.begin() + kept);
  std::sort(candidates.begin() + kept, candidates.end());
  SelectNeighbors(base, candidates, capacity, codes, kept);

  uint32_t* out = MutableLinks(slot, layer);
  out[0] = static_cast<uint32_t>(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    out[1 + i] = candidates[i].slot;
    if (i >= kept) added.push_back({slot, candidates[i].slot, layer});
  }
}

size_t HnswIndex::Purge() {
  if (removed_count_ == 0) return 0;
  const CodeView codes(table_);
  auto links_removed = [&](uint32_t slot, int layer) {
    const uint32_t* list = Links(slot, layer);
    return std::any_of(list + 1, list + 1 + list[0], [&](uint32_t id) { return removed_[id]; });
  };
  // A repair rewrites one live node's list and reads only that list and removed nodes' lists,
  // which stay as they are until the end; so nodes are repaired in parallel without locks. Each
  // chunk of slots records the links it added, in slot order.
  constexpr size_t kChunk = 256;
  std::vector<std::vector<Link>> added((capacity_ + kChunk - 1) / kChunk);
  ParallelFor(added.size(), ThreadCount(0), [&](size_t chunk) {
    ContextLease ctx(*this);  // pooled: one per chunk costs a lock
    for (size_t s = chunk * kChunk; s < std::min((chunk + 1) * kChunk, capacity_); ++s) {
      const auto slot = static_cast<uint32_t>(s);
      if (levels_[slot] < 0 || removed_[slot]) continue;
      for (int layer = 0; layer <= levels_[slot]; ++layer) {
        if (links_removed(slot, layer)) Relink(slot, layer, codes, *ctx, added[chunk]);
      }
    }
  });

  // New links get their reverse, as an insert's do: it restores the in-links that nodes lost
  // with their removed neighbours. In slot order, so that the result does not depend on timing.
  {
    ContextLease ctx(*this);
    for (const std::vector<Link>& links : added) {
      for (const Link& link : links) Connect(link.to, link.from, link.layer, codes, ctx->scratch);
    }
  }

  if (entry_point_ != kNone && removed_[entry_point_]) {
    entry_point_ = kNone;
    max_level_ = -1;
    for (uint32_t slot = 0; slot < capacity_; ++slot) {
      if (levels_[slot] > max_level_ && !removed_[slot]) {
        entry_point_ = slot;
        max_level_ = levels_[slot];
      }
    }
  }

  size_t purged = 0;
  for (uint32_t slot = 0; slot < capacity_; ++slot) {
    if (!removed_[slot]) continue;
    upper_words_.fetch_sub(static_cast<size_t>(levels_[slot]) * (m_ + 1),
                           std::memory_order_relaxed);
    upper_[slot].reset();
    MutableLinks(slot, 0)[0] = 0;
    levels_[slot] = -1;
    removed_[slot] = 0;
    ++purged;
  }
  size_.fetch_sub(purged, std::memory_order_relaxed);
  removed_count_ = 0;
  return purged;
}

size_t HnswIndex::MemoryBytes() const {
  const size_t per_slot = (m0_ + 1) * sizeof(uint32_t) + sizeof(std::unique_ptr<uint32_t[]>) +
                          sizeof(int8_t) + sizeof(uint8_t) + sizeof(SpinLock);
  return sizeof(*this) + capacity_ * per_slot +
         upper_words_.load(std::memory_order_relaxed) * sizeof(uint32_t);
}

// Format (host byte order): magic, version, m, ef_construction, ef_search (u32); code size and
// slot count n (u64); entry point (u32); max level (i32); removed count (u64); n levels (i8);
// n tombstones (u8); the layer-0 array for n slots; then, slot by slot, the upper-layer lists of
// nodes above layer 0.
Status HnswIndex::Save(ByteSink& sink) const {
  // Slots past the last node are left out, so the data does not grow with reserved capacity.
  size_t n = capacity_;
  while (n > 0 && levels_[n - 1] < 0) --n;
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kMagic));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(kFormatVersion));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(static_cast<uint32_t>(m_)));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(params_.ef_construction));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(params_.ef_search));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(static_cast<uint64_t>(table_.code_size())));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(static_cast<uint64_t>(n)));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(entry_point_));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(static_cast<int32_t>(max_level_)));
  ALIKE_RETURN_IF_ERROR(sink.WritePod(static_cast<uint64_t>(removed_count_)));
  if (n == 0) return Status::OK();
  ALIKE_RETURN_IF_ERROR(sink.Write(levels_.data(), n));
  ALIKE_RETURN_IF_ERROR(sink.Write(removed_.data(), n));
  ALIKE_RETURN_IF_ERROR(sink.Write(links0(), n * (m0_ + 1) * sizeof(uint32_t)));
  for (size_t slot = 0; slot < n; ++slot) {
    if (levels_[slot] <= 0) continue;
    ALIKE_RETURN_IF_ERROR(sink.Write(
        upper_[slot].get(), static_cast<size_t>(levels_[slot]) * (m_ + 1) * sizeof(uint32_t)));
  }
  return Status::OK();
}

Status HnswIndex::Load(ByteSource& source) {
  auto corrupt = [](const std::string& what) { return Status::Corruption("hnsw index: " + what); };
  uint32_t magic = 0, version = 0, m = 0, ef_construction = 0, ef_search = 0, entry = 0;
  uint64_t code_size = 0, n = 0, removed_count = 0;
  int32_t max_level = 0;
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&magic));
  if (magic != kMagic) return corrupt("bad magic number");
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&version));
  if (version != kFormatVersion)
    return corrupt("unknown format version " + std::to_string(version));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&m));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&ef_construction));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&ef_search));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&code_size));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&n));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&entry));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&max_level));
  ALIKE_RETURN_IF_ERROR(source.ReadPod(&removed_count));
  if (m != m_) {
    return corrupt("saved with m=" + std::to_string(m) + ", index has m=" + std::to_string(m_));
  }
  if (code_size != table_.code_size()) return corrupt("code size does not match the table");
  // The table holds every indexed code, so it bounds the slot count (and what a corrupt count
  // could make us allocate).
  if (n > table_.capacity()) return corrupt("more slots than the vector table");

  std::vector<int8_t> levels(n);
  std::vector<uint8_t> removed(n);
  if (n > 0) {
    ALIKE_RETURN_IF_ERROR(source.Read(levels.data(), n));
    ALIKE_RETURN_IF_ERROR(source.Read(removed.data(), n));
  }
  size_t nodes = 0, removed_nodes = 0;
  int top = -1;
  for (size_t slot = 0; slot < n; ++slot) {
    if (levels[slot] < -1 || levels[slot] > kMaxLevel) return corrupt("bad node level");
    if (removed[slot] > 1 || (removed[slot] && levels[slot] < 0)) return corrupt("bad tombstone");
    nodes += levels[slot] >= 0;
    removed_nodes += removed[slot];
    top = std::max<int>(top, levels[slot]);
  }
  if (removed_nodes != removed_count) return corrupt("tombstone count mismatch");
  if (nodes == 0 ? (entry != kNone || max_level != -1)
                 : (entry >= n || max_level != top || levels[entry] != top)) {
    return corrupt("bad entry point");
  }

  // A list is sound if it fits its capacity and links only nodes present on its layer; searches
  // then cannot index out of bounds whatever the ids are.
  auto sound = [&](const uint32_t* list, size_t capacity, int layer) {
    if (list[0] > capacity) return false;
    return std::all_of(list + 1, list + 1 + list[0],
                       [&](uint32_t id) { return id < n && levels[id] >= layer; });
  };
  const size_t capacity = std::max<size_t>(n, capacity_);
  GrowableRegion links0;  // zeroed beyond the n lists read
  links0.Grow(capacity * (m0_ + 1) * sizeof(uint32_t));
  const auto* lists = reinterpret_cast<uint32_t*>(links0.data());
  if (n > 0) ALIKE_RETURN_IF_ERROR(source.Read(links0.data(), n * (m0_ + 1) * sizeof(uint32_t)));
  for (size_t slot = 0; slot < n; ++slot) {
    const uint32_t* list = lists + slot * (m0_ + 1);
    if (levels[slot] < 0 ? list[0] != 0 : !sound(list, m0_, 0)) return corrupt("bad layer-0 list");
  }
  std::vector<std::unique_ptr<uint32_t[]>> upper(capacity);
  size_t upper_words = 0;
  for (size_t slot = 0; slot < n; ++slot) {
    if (levels[slot] <= 0) continue;
    const size_t words = static_cast<size_t>(levels[slot]) * (m_ + 1);
    upper[slot] = std::make_unique_for_overwrite<uint32_t[]>(words);
    ALIKE_RETURN_IF_ERROR(source.Read(upper[slot].get(), words * sizeof(uint32_t)));
    for (int layer = 1; layer <= levels[slot]; ++layer) {
      if (!sound(upper[slot].get() + static_cast<size_t>(layer - 1) * (m_ + 1), m_, layer)) {
        return corrupt("bad upper-layer list");
      }
    }
    upper_words += words;
  }

  levels.resize(capacity, -1);
  removed.resize(capacity, 0);
  capacity_ = capacity;
  links0_ = std::move(links0);
  upper_ = std::move(upper);
  levels_ = std::move(levels);
  removed_ = std::move(removed);
  locks_ = std::make_unique<SpinLock[]>(capacity);
  entry_point_ = entry;
  max_level_ = max_level;
  size_.store(nodes, std::memory_order_relaxed);
  upper_words_.store(upper_words, std::memory_order_relaxed);
  removed_count_ = removed_nodes;
  return Status::OK();
}

}  // namespace alike::index
