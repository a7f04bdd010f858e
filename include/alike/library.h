// alike::Library: an image library on top of the vector database. It turns image files into
// vectors (one vector space per embedder: "cnn", "color", ...), keeps a catalog of the images
// (paths, content hash, size, EXIF facts, tags, a thumbnail) and answers "which images look like
// this one".
//
//   auto lib = alike::Library::Open("photos/.alike", {.create_if_missing = true});
//   std::vector<std::string> roots = {"photos"};
//   auto report = (*lib)->Index(roots, {}, nullptr);           // incremental: re-runs are cheap
//   auto hits = (*lib)->SearchFile("query.jpg", {.by = "cnn", .k = 10});
//
// A library is a directory: the vector database (collections "image.<embedder>", plus any
// collections the user adds through database()) and catalog.sqlite. Identical files are stored
// once with all their paths. Each space records the version of the embedder that filled it; when
// the installed model differs, indexing re-embeds every image into a fresh space and searching
// refuses to mix the two.
//
// Thread-safety: every method may be called concurrently. Index() calls are serialised with
// each other and with Remove(); searches run alongside them and see each image either before or
// after its update.
#ifndef ALIKE_LIBRARY_H_
#define ALIKE_LIBRARY_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike {

struct LibraryOptions {
  bool create_if_missing = false;
  // Where model files and user model specs live; empty: $ALIKE_MODELS, else the directory
  // scripts/setup.sh installs into.
  std::string models_dir;
  // The embedders a new library indexes with (kept in the library; later runs may override).
  std::vector<std::string> embedders = {"cnn", "color"};
  DatabaseOptions database;
};

struct IndexOptions {
  std::vector<std::string> embedders;  // empty: the library's own list
  unsigned jobs = 0;                   // decoding/embedding threads; 0 = all cores
  bool prune = false;                  // forget catalogued files under the roots that are gone
  uint64_t max_pixels = 100'000'000;   // larger pictures are refused unread
  const std::atomic<bool>* cancel = nullptr;  // set it (e.g. on Ctrl-C) to stop cleanly
};

// One thing that happened to one file, reported as it happens.
struct IndexEvent {
  enum class Kind {
    kIndexed,    // decoded and embedded (new, changed, or re-embedded for a new model)
    kDuplicate,  // same content as an image already stored: only the path was added
    kFailed,     // refused or unreadable; `message` says why and starts with the path
    kRemoved,    // gone from disk and forgotten (--prune)
    kNote,       // anything else worth a line (a model change, a skipped directory)
  };
  Kind kind;
  std::string path;
  std::string message;
};

struct IndexProgress {
  uint64_t found = 0;      // files found so far that need work
  uint64_t done = 0;       // of those, finished (indexed, duplicate or failed)
  uint64_t unchanged = 0;  // skipped: same size and mtime, vectors current
  bool walk_finished = false;
};

struct IndexReport {
  uint64_t indexed = 0;
  uint64_t duplicates = 0;
  uint64_t unchanged = 0;
  uint64_t failed = 0;
  uint64_t removed = 0;
  bool cancelled = false;
  double seconds = 0;
};

using IndexObserver = std::function<void(const IndexEvent*, const IndexProgress&)>;

struct ImageSearchOptions {
  std::string by = "cnn";  // which embedder's space to search
  size_t k = 10;
  std::string filter;  // JSON filter on the image payload (docs/filters.md)
  // Drop hits whose similarity is below this (cosine similarity for cnn and color).
  std::optional<float> min_score;
  // Query pictures (SearchFile, SearchBytes) whose header claims more pixels are refused unread.
  uint64_t max_pixels = 100'000'000;
};

struct ImageHit {
  uint64_t image_id = 0;
  float score = 0;     // similarity, 1 = identical
  float distance = 0;  // the collection's own distance
  std::vector<std::string> paths;
  std::string payload;  // the image's JSON payload (format, width, height, taken, camera, tags)
};

struct SpaceInfo {
  std::string embedder;
  std::string version;            // of the stored vectors
  std::string installed_version;  // of the embedder alike would use now; empty if unavailable
  uint32_t dimension = 0;
  uint64_t vectors = 0;
  uint64_t disk_bytes = 0;
};

struct LibraryInfo {
  std::string path;
  uint64_t images = 0;
  uint64_t files = 0;
  uint64_t image_bytes = 0;  // total size of distinct indexed files
  uint64_t thumbnail_bytes = 0;
  uint64_t disk_bytes = 0;             // the library directory
  std::vector<std::string> embedders;  // indexed by default
  std::vector<SpaceInfo> spaces;
};

struct ImageDetails {
  uint64_t id = 0;
  std::string hash;
  uint64_t bytes = 0;
  int width = 0;
  int height = 0;
  std::string format;
  std::string taken;
  std::string camera;
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::vector<std::string> paths;
  std::vector<std::string> tags;
};

class Library {
 public:
  virtual ~Library() = default;

  static Result<std::unique_ptr<Library>> Open(const std::string& dir,
                                               const LibraryOptions& options);

  // Indexes image files and directories (recursively; hidden entries skipped, symlinked
  // directories followed once). Files whose size and mtime are unchanged since the last run are
  // skipped; failures are reported through `observer` and counted, never fatal to the batch.
  virtual Result<IndexReport> Index(std::span<const std::string> paths, const IndexOptions& options,
                                    const IndexObserver& observer) = 0;

  virtual Result<std::vector<ImageHit>> SearchFile(const std::string& path,
                                                   const ImageSearchOptions& options) = 0;
  virtual Result<std::vector<ImageHit>> SearchBytes(std::span<const uint8_t> data,
                                                    const std::string& name,
                                                    const ImageSearchOptions& options) = 0;
  // From an indexed image's stored vector; the image itself is not among the hits.
  virtual Result<std::vector<ImageHit>> SearchImage(uint64_t image_id,
                                                    const ImageSearchOptions& options) = 0;

  // Forgets files (a directory: every catalogued file under it); returns how many files.
  virtual Result<uint64_t> Remove(std::span<const std::string> paths) = 0;

  // Adds and removes user tags of an image (stored in the catalog and in its vectors' payloads,
  // so searches can filter on them); returns the tags it has afterwards.
  virtual Result<std::vector<std::string>> Tag(uint64_t image_id, std::span<const std::string> add,
                                               std::span<const std::string> remove) = 0;

  // A consistent copy of the whole library (vectors and catalog) in a new directory, taken
  // while searches go on; it waits for a running index or removal to finish.
  virtual Status Snapshot(const std::string& dest_dir) = 0;

  virtual Result<ImageDetails> GetImage(uint64_t image_id) const = 0;
  virtual Result<std::optional<uint64_t>> FindPath(const std::string& path) const = 0;
  virtual Result<std::vector<uint8_t>> Thumbnail(uint64_t image_id) const = 0;  // JPEG
  virtual Result<LibraryInfo> Info() const = 0;

  // The underlying database, for generic vector collections beside the image spaces.
  virtual Database& database() = 0;
};

}  // namespace alike

#endif  // ALIKE_LIBRARY_H_
