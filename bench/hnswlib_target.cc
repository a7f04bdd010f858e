// The hnswlib baseline (Debian's header-only hnswlib). Its header defines non-inline functions,
// so this is the only file that includes it.
#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench_util.h"
#include "targets.h"

namespace alike::bench {
namespace {

class HnswlibTarget : public AnnTarget {
 public:
  explicit HnswlibTarget(const TargetConfig& config)
      : config_(config), path_(config.workdir + "/hnswlib.bin") {}

  ~HnswlibTarget() override {
    index_.reset();
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  std::string name() const override { return "hnswlib"; }
  bool uses_ef() const override { return true; }

  BuildReport Build(const Dataset& data) override {
    if (data.distance == DistanceKind::kL2) {
      space_ = std::make_unique<hnswlib::L2Space>(data.dim);
    } else {
      space_ = std::make_unique<hnswlib::InnerProductSpace>(data.dim);
    }
    BuildReport report;
    Stopwatch watch;
    index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), data.n, config_.m,
                                                               config_.ef_construction);
    ParallelFor(data.n, config_.build_threads,
                [&](size_t i) { index_->addPoint(data.vector(i), static_cast<size_t>(i)); });
    report.build_seconds = watch.Seconds();
    report.memory_bytes = MemoryBytes();
    report.memory_note = "level-0 block + upper lists + per-node locks, levels, label map";
    first_vector_.assign(data.vector(0), data.vector(0) + data.dim);
    return report;
  }

  void SetEf(uint32_t ef) override {
    ef_ = ef;
    index_->setEf(ef);
  }

  void Search(const float* query, size_t k, int64_t* out) const override {
    auto result = index_->searchKnn(query, k);
    std::fill(out, out + k, -1);
    // The queue has the farthest on top.
    for (size_t i = result.size(); i-- > 0;) {
      if (i < k) out[i] = static_cast<int64_t>(result.top().second);
      result.pop();
    }
  }

  PersistReport SaveAndReopen() override {
    PersistReport report;
    Stopwatch watch;
    index_->saveIndex(path_);
    report.save_seconds = watch.Seconds();
    report.disk_bytes = std::filesystem::file_size(path_);
    index_.reset();

    watch.Restart();
    index_ = std::make_unique<hnswlib::HierarchicalNSW<float>>(space_.get(), path_);
    index_->setEf(ef_);
    int64_t ids[1];
    Search(first_vector_.data(), 1, ids);
    report.reopen_seconds = watch.Seconds();
    report.memory_bytes = MemoryBytes();
    return report;
  }

 private:
  // What the index allocates for n elements (the visited-list pool, which grows with the number
  // of searching threads, is left out, as it is for alike).
  uint64_t MemoryBytes() const {
    const auto& h = *index_;
    uint64_t bytes = h.max_elements_ * h.size_data_per_element_;  // vectors, layer 0, labels
    bytes += h.max_elements_ * (sizeof(char*) + sizeof(int));     // upper-list pointers, levels
    for (size_t i = 0; i < h.cur_element_count; ++i) {
      if (h.element_levels_[i] > 0) bytes += h.size_links_per_element_ * h.element_levels_[i];
    }
    bytes += (h.link_list_locks_.size() + h.link_list_update_locks_.size()) * sizeof(std::mutex);
    // unordered_map: a node (key, value, next pointer) per element and a pointer per bucket.
    bytes += h.label_lookup_.size() * (sizeof(std::pair<const size_t, uint32_t>) + sizeof(void*));
    bytes += h.label_lookup_.bucket_count() * sizeof(void*);
    return bytes;
  }

  const TargetConfig config_;
  const std::string path_;
  uint32_t ef_ = 10;
  std::vector<float> first_vector_;
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  std::unique_ptr<hnswlib::HierarchicalNSW<float>> index_;
};

}  // namespace

std::unique_ptr<AnnTarget> NewHnswlibTarget(const TargetConfig& config) {
  return std::make_unique<HnswlibTarget>(config);
}

}  // namespace alike::bench
