#include "library/indexer.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "embed/embedder.h"
#include "image/image_file.h"
#include "library/copies.h"
#include "library/file_walker.h"
#include "library/image_facts.h"
#include "search/copy_verifier.h"
#include "util/blocking_queue.h"
#include "util/parallel_for.h"

namespace alike::library {
namespace {

using Clock = std::chrono::steady_clock;

// What a worker made of one file.
struct Outcome {
  FoundFile file;
  Status error;  // not ok: the file failed and nothing of it is stored
  ImageFacts facts;
  std::optional<uint64_t> stored;  // the content's image id (set by the writer for new content)
  bool stored_before = false;      // the content was catalogued before this run reached it
  // Per space index in IndexTarget::fill: the vectors made now (absent: already current).
  std::map<size_t, std::vector<embed::Embedding>> vectors;
  std::optional<PictureFeatures> features;  // copy features described now
  std::vector<uint8_t> thumbnail;
};

class IndexRun {
 public:
  IndexRun(const IndexTarget& target, const IndexOptions& options, const IndexObserver& observer)
      : target_(target), options_(options), observer_(observer) {}

  Result<IndexReport> Run(std::span<const std::string> roots) {
    const auto start = Clock::now();
    auto files = target_.catalog->Files();
    if (!files.ok()) return files.status();
    for (FileRow& row : *files) files_.emplace(row.path, std::move(row));
    auto embedded = target_.catalog->Embedded();
    if (!embedded.ok()) return embedded.status();
    embedded_ = std::move(*embedded);

    const unsigned jobs = ThreadCount(options_.jobs);
    std::vector<std::thread> workers;
    for (unsigned i = 0; i < jobs; ++i) workers.emplace_back([this] { WorkLoop(); });
    std::thread writer([this] { WriteLoop(); });

    std::vector<std::string> normal_roots;
    for (const std::string& root : roots) normal_roots.push_back(NormalPath(root));
    // The whole walk comes before any work is handed out, so that observers know how many files
    // there are (walk_finished) before the first is done. Stat-ing is quick beside decoding and
    // embedding, and the pending list costs about what seen_ already holds.
    std::vector<FoundFile> pending;
    const auto keep = [&](FoundFile f) {
      if (Consider(f)) pending.push_back(std::move(f));
    };
    for (const std::string& root : normal_roots) {
      WalkFiles(
          root, keep,
          [this](const std::string& path, const std::string& reason) { Fail(path, reason); },
          &stop_);
    }
    ScheduleStale(keep);
    {
      std::lock_guard lock(report_mu_);
      progress_.walk_finished = true;
      Notify(nullptr);
    }
    for (FoundFile& file : pending) {
      if (stop_ || Cancelled()) break;
      work_.Push(std::move(file));
    }
    work_.Close();
    for (std::thread& t : workers) t.join();
    outcomes_.Close();
    writer.join();
    if (!write_status_.ok()) return write_status_;

    report_.cancelled = Cancelled();
    if (options_.prune && !report_.cancelled) ALIKE_RETURN_IF_ERROR(Prune(normal_roots));
    report_.unchanged = progress_.unchanged;
    report_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return report_;
  }

 private:
  bool Cancelled() const { return options_.cancel && options_.cancel->load(); }

  // The spaces (indexes into target_.fill) where an image lacks vectors of the current version;
  // every space for content not yet catalogued.
  std::vector<size_t> MissingSpaces(std::optional<uint64_t> image_id) const {
    auto have = image_id ? embedded_.find(*image_id) : embedded_.end();
    std::vector<size_t> missing;
    for (size_t i = 0; i < target_.fill.size(); ++i) {
      const Space& space = target_.fill[i];
      bool current = false;
      if (have != embedded_.end()) {
        auto v = have->second.find(space.embedder);
        current = v != have->second.end() && v->second == space.model->version();
      }
      if (!current) missing.push_back(i);
    }
    return missing;
  }

  bool NeedsFeatures(std::optional<uint64_t> image_id) const {
    return target_.fill_features && !(image_id && target_.features->Contains(*image_id));
  }

  bool Current(uint64_t image_id) const {
    return MissingSpaces(image_id).empty() && !NeedsFeatures(image_id);
  }

  // Walker: whether a found file needs work (counted in `found`) or is unchanged.
  bool Consider(const FoundFile& file) {
    if (Cancelled()) stop_ = true;
    if (!seen_.insert(file.path).second) return false;  // named twice
    auto it = files_.find(file.path);
    if (it != files_.end() && it->second.size == file.size &&
        it->second.mtime_ns == file.mtime_ns) {
      const uint64_t image = it->second.image_id;
      if (Current(image) || !scheduled_images_.insert(image).second) {
        std::lock_guard lock(report_mu_);
        ++progress_.unchanged;
        Notify(nullptr);
        return false;
      }
    }
    std::lock_guard lock(report_mu_);
    ++progress_.found;
    return true;
  }

  // After a model change (or a newly added embedder) every catalogued image needs new vectors,
  // not only those under this run's roots: schedule one existing file of each stale image.
  void ScheduleStale(const std::function<void(FoundFile)>& keep) {
    for (const auto& [path, row] : files_) {
      if (stop_) return;
      if (seen_.count(path) || Current(row.image_id) || scheduled_images_.count(row.image_id)) {
        continue;
      }
      if (auto file = StatFile(path)) keep(std::move(*file));  // else try another path
    }
  }

  void WorkLoop() {
    while (auto file = work_.Pop()) {
      if (stop_ || Cancelled()) continue;  // drain without working
      outcomes_.Push(Process(std::move(*file)));
    }
  }

  Outcome Process(FoundFile file) {
    Outcome out;
    out.file = std::move(file);
    const std::string& path = out.file.path;
    auto bytes = image::ReadImageFile(path, image::DecodeOptions{}.max_bytes);
    if (!bytes.ok()) {
      out.error = bytes.status();
      return out;
    }
    out.facts.hash = ContentHash(bytes->bytes);
    out.facts.bytes = static_cast<int64_t>(bytes->file_size);
    auto stored = target_.catalog->FindImage(out.facts.hash);
    if (!stored.ok()) {
      out.error = stored.status();
      return out;
    }
    out.stored = *stored;
    out.stored_before = out.stored.has_value();
    const std::vector<size_t> missing = MissingSpaces(out.stored);
    const bool needs_features = NeedsFeatures(out.stored);
    if (missing.empty() && !needs_features) return out;  // known content: only the path is new

    std::vector<const embed::Embedder*> models;
    for (size_t i : missing) models.push_back(target_.fill[i].model);
    image::DecodeOptions decode{
        .max_pixels = options_.max_pixels,
        .min_short_side = missing.empty() ? kCopyShortSide : embed::IndexShortSide(models)};
    auto img = target_.decoder->Decode(bytes->bytes, decode, path);
    if (!img.ok()) {
      out.error = img.status();
      return out;
    }
    out.facts = FactsOf(*img, std::move(out.facts.hash), out.facts.bytes);
    if (needs_features) {
      auto features = DescribeForCopies(bytes->bytes, *img, decode, path);
      if (!features.ok()) {
        out.error = features.status();
        return out;
      }
      out.features = std::move(*features);
    }
    if (missing.empty()) return out;
    for (size_t i : missing) {
      const Space& space = target_.fill[i];
      auto embeddings = space.model->Embed(img->bgr);
      if (!embeddings.ok()) {
        out.error =
            Status::Internal(path + ": " + space.embedder + ": " + embeddings.status().message());
        return out;
      }
      if (embeddings->size() > kMaxVectorsPerImage) embeddings->resize(kMaxVectorsPerImage);
      out.vectors[i] = std::move(*embeddings);
    }
    out.thumbnail = MakeThumbnail(img->bgr);
    return out;
  }

  // The copy features of a picture, described as copy search would describe it from its file
  // (decoded at kCopyShortSide), so that cached and fresh features give the same decisions.
  Result<PictureFeatures> DescribeForCopies(const std::vector<uint8_t>& bytes,
                                            const image::Image& decoded,
                                            const image::DecodeOptions& decode,
                                            const std::string& path) const {
    std::optional<image::Image> redecoded;
    if (decode.min_short_side != kCopyShortSide) {
      auto img = target_.decoder->Decode(bytes, {.min_short_side = kCopyShortSide}, path);
      if (!img.ok()) return img.status();
      redecoded = std::move(*img);
    }
    const image::Image& img = redecoded ? *redecoded : decoded;
    auto features = verifier_.Describe(img.bgr);
    if (!features.ok()) return Status(features.status()).WithContext(path);
    return PictureFeatures{.original_width = img.original_width,
                           .original_height = img.original_height,
                           .features = std::move(*features)};
  }

  // Writer: commits batches of outcomes. Waiting briefly for more outcomes turns many small
  // commits (each an fsync per collection and two for the catalog) into a few larger ones.
  void WriteLoop() {
    constexpr size_t kMaxBatch = 256;
    constexpr auto kMaxWait = std::chrono::milliseconds(300);
    while (auto first = outcomes_.Pop()) {
      std::vector<Outcome> batch;
      batch.push_back(std::move(*first));
      const auto deadline = Clock::now() + kMaxWait;
      while (batch.size() < kMaxBatch) {
        auto next = outcomes_.PopUntil(deadline);
        if (!next) break;
        batch.push_back(std::move(*next));
      }
      if (!write_status_.ok()) continue;  // drain so that workers never block
      write_status_ = Commit(batch);
      if (!write_status_.ok()) stop_ = true;
    }
  }

  Status Commit(std::vector<Outcome>& batch) {
    // 1. Image rows for new content.
    std::vector<ImageFacts> new_facts;
    std::vector<Outcome*> new_images;
    for (Outcome& o : batch) {
      if (o.error.ok() && !o.stored) {
        new_facts.push_back(o.facts);
        new_images.push_back(&o);
      }
    }
    auto ids = target_.catalog->AddImages(new_facts);
    if (!ids.ok()) return ids.status();
    for (size_t i = 0; i < new_images.size(); ++i) new_images[i]->stored = (*ids)[i];
    // Identical files that reached workers before the first one's vectors were committed were
    // embedded twice: the first stores its vectors, the others are duplicates of it. That window
    // spans this whole method (a worker finds the content catalogued but not yet embedded), so
    // the check covers images catalogued before this batch too.
    for (Outcome& o : batch) {
      if (o.error.ok() && !o.vectors.empty() && !images_embedded_.insert(*o.stored).second) {
        o.vectors.clear();
      }
    }
    AfterStep("images");

    // Each image's payload, the same in every space; tags only exist on images catalogued before.
    std::map<const Outcome*, std::string> payloads;
    for (const Outcome& o : batch) {
      if (!o.error.ok() || o.vectors.empty()) continue;
      std::vector<std::string> tags;
      if (o.stored_before) {
        auto image = target_.catalog->GetImage(*o.stored);
        if (!image.ok()) return image.status();
        if (*image) tags = (*image)->tags;
      }
      payloads[&o] = ImagePayload(*o.stored, o.facts, tags);
    }

    // 2. Vectors, durable in each space's log before any file row points at them.
    for (size_t s = 0; s < target_.fill.size(); ++s) {
      std::vector<Record> records;
      std::vector<std::pair<uint64_t, uint32_t>> counts;  // image -> vectors now
      for (const Outcome& o : batch) {
        auto v = o.vectors.find(s);
        if (!o.error.ok() || v == o.vectors.end()) continue;
        const std::string& payload = payloads.at(&o);
        for (uint32_t i = 0; i < v->second.size(); ++i) {
          const embed::Embedding& e = v->second[i];
          records.push_back({.id = VectorId(*o.stored, i),
                             .vector = e.vector,
                             .binary = e.binary,
                             .payload = VectorPayload(payload, e)});
        }
        counts.emplace_back(*o.stored, static_cast<uint32_t>(v->second.size()));
      }
      if (records.empty()) continue;
      Collection& collection = *target_.fill[s].collection;
      ALIKE_RETURN_IF_ERROR(collection.Upsert(records));
      // A re-embedded image may have fewer vectors than before (fewer faces found).
      for (const auto& [image, count] : counts) {
        if (collection.Get(VectorId(image, count)).ok()) {
          ALIKE_RETURN_IF_ERROR(DeleteVectorsFrom(collection, image, count));
        }
      }
    }

    AfterStep("vectors");

    // 3. Copy features, durable before the file rows too: a picture acknowledged as indexed
    // has them.
    std::vector<std::pair<uint64_t, PictureFeatures>> features;
    for (Outcome& o : batch) {
      if (o.error.ok() && o.features) features.emplace_back(*o.stored, std::move(*o.features));
    }
    if (!features.empty()) {
      ALIKE_RETURN_IF_ERROR(target_.features->Put(features));
      AfterStep("features");
    }

    // 4. File rows: from now on these files count as indexed.
    std::vector<IndexedFile> indexed;
    for (const Outcome& o : batch) {
      if (!o.error.ok()) continue;
      IndexedFile f{.file = {o.file.path, o.file.size, o.file.mtime_ns, *o.stored},
                    .thumbnail = o.thumbnail};
      for (const auto& [s, embeddings] : o.vectors) {
        f.embedded[target_.fill[s].embedder] = target_.fill[s].model->version();
      }
      indexed.push_back(std::move(f));
    }
    auto orphans = target_.catalog->CommitIndexed(indexed);
    if (!orphans.ok()) return orphans.status();
    AfterStep("files");
    ALIKE_RETURN_IF_ERROR(DeleteOrphans(target_, *orphans));

    std::lock_guard lock(report_mu_);
    for (const Outcome& o : batch) {
      ++progress_.done;
      IndexEvent event;
      event.path = o.file.path;
      if (!o.error.ok()) {
        event.kind = IndexEvent::Kind::kFailed;
        event.message = o.error.message();
        ++report_.failed;
      } else if (o.vectors.empty()) {
        auto known = files_.find(o.file.path);
        if (known != files_.end() && known->second.image_id == *o.stored) {
          ++progress_.unchanged;  // touched, same bytes
          continue;
        }
        event.kind = IndexEvent::Kind::kDuplicate;
        ++report_.duplicates;
      } else {
        event.kind = IndexEvent::Kind::kIndexed;
        ++report_.indexed;
      }
      Notify(&event);
    }
    return Status::OK();
  }

  // Forgets catalogued files under the roots that no longer exist. A file that cannot be
  // checked (permission denied, a disk not mounted) is kept: only a definite ENOENT removes.
  Status Prune(const std::vector<std::string>& roots) {
    std::vector<std::string> gone;
    for (const auto& [path, row] : files_) {
      if (seen_.count(path)) continue;
      if (std::none_of(roots.begin(), roots.end(),
                       [&](const std::string& r) { return IsUnder(path, r); })) {
        continue;
      }
      struct stat st;
      if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) gone.push_back(path);
    }
    if (gone.empty()) return Status::OK();
    auto orphans = target_.catalog->RemoveFiles(gone);
    if (!orphans.ok()) return orphans.status();
    ALIKE_RETURN_IF_ERROR(DeleteOrphans(target_, *orphans));
    std::lock_guard lock(report_mu_);
    for (const std::string& path : gone) {
      IndexEvent event{IndexEvent::Kind::kRemoved, path, "gone from disk"};
      ++report_.removed;
      Notify(&event);
    }
    return Status::OK();
  }

  void AfterStep(std::string_view step) const {
    if (target_.after_step) target_.after_step(step);
  }

  void Fail(const std::string& path, const std::string& reason) {
    std::lock_guard lock(report_mu_);
    IndexEvent event{IndexEvent::Kind::kFailed, path, path + ": " + reason};
    ++report_.failed;
    Notify(&event);
  }

  // Caller holds report_mu_, so observers see events one at a time and in order.
  void Notify(const IndexEvent* event) {
    if (observer_) observer_(event, progress_);
  }

  const IndexTarget& target_;
  const IndexOptions& options_;
  const IndexObserver& observer_;
  const search::CopyVerifier verifier_;

  // Walker state (caller's thread only); files_ and embedded_ are read by workers too, but only
  // after they are filled and never changed afterwards.
  std::unordered_map<std::string, FileRow> files_;
  std::map<uint64_t, std::map<std::string, std::string>> embedded_;
  std::unordered_set<std::string> seen_;
  std::set<uint64_t> scheduled_images_;

  BlockingQueue<FoundFile> work_{64};
  BlockingQueue<Outcome> outcomes_{64};
  std::atomic<bool> stop_{false};                 // set on cancel or a write failure
  Status write_status_;                           // writer thread only until joined
  std::unordered_set<uint64_t> images_embedded_;  // writer thread: vectors written this run

  std::mutex report_mu_;
  IndexProgress progress_;  // guarded by report_mu_
  IndexReport report_;      // guarded by report_mu_
};

}  // namespace

Status DeleteOrphans(const IndexTarget& target, std::span<const uint64_t> image_ids) {
  if (image_ids.empty()) return Status::OK();
  ALIKE_RETURN_IF_ERROR(DeleteImageVectors(target.all_spaces, image_ids));
  if (target.features) ALIKE_RETURN_IF_ERROR(target.features->Erase(image_ids));
  if (target.after_step) target.after_step("orphan-vectors");
  ALIKE_RETURN_IF_ERROR(target.catalog->DeleteImages(image_ids));
  if (target.after_step) target.after_step("orphans");
  return Status::OK();
}

Result<IndexReport> RunIndex(const IndexTarget& target, std::span<const std::string> roots,
                             const IndexOptions& options, const IndexObserver& observer) {
  IndexRun run(target, options, observer);
  return run.Run(roots);
}

}  // namespace alike::library
