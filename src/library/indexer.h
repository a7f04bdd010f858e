// One `alike index` run: a pipeline of three stages.
//
//   walker (caller's thread) --files--> workers (jobs threads) --outcomes--> writer (1 thread)
//
// The walker finds candidate files and skips those whose size and mtime match the catalog and
// whose image already has current vectors in every space (and copy features, when the run fills
// a copy space: a library indexed before it had them gets them without new vectors). It walks
// everything before handing out the first file, so progress reports the total
// (IndexProgress::walk_finished) before any file is done; the list it keeps costs about what its
// set of seen paths already does. Workers read each remaining file, hash it, look the content up,
// and decode and embed only what is missing. The writer commits in batches, in the order that keeps
// the catalog truthful: image rows, then vectors (durable in the collections' logs), then file
// rows. Bounded queues between workers and writer keep decoded pictures few; a cancel flag stops
// the walker and workers, and the writer still commits what is finished, so the next run resumes
// where this one stopped.
//
// Thread-safety: RunIndex runs one whole index run; the library serialises runs.
#ifndef ALIKE_LIBRARY_INDEXER_H_
#define ALIKE_LIBRARY_INDEXER_H_

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "alike/library.h"
#include "image/decoder.h"
#include "library/catalog.h"
#include "library/feature_store.h"
#include "library/space.h"

namespace alike::library {

struct IndexTarget {
  Catalog* catalog = nullptr;
  const image::Decoder* decoder = nullptr;
  std::vector<Space> fill;        // the spaces this run fills (model set)
  std::vector<Space> all_spaces;  // every space, for deleting images that lost their files
  // The library's copy features, if it has them: erased with images, and described for every
  // image that lacks them when fill_features (the run fills a copy space).
  FeatureStore* features = nullptr;
  bool fill_features = false;
  // Called after each durable step of a commit ("images", "vectors", "features", "files",
  // "orphan-vectors", "orphans"): crash tests stop the process exactly there.
  std::function<void(std::string_view step)> after_step;
};

Result<IndexReport> RunIndex(const IndexTarget& target, std::span<const std::string> roots,
                             const IndexOptions& options, const IndexObserver& observer);

// Forgets images that have no file left: their vectors in every space and their copy features,
// then their rows.
Status DeleteOrphans(const IndexTarget& target, std::span<const uint64_t> image_ids);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_INDEXER_H_
