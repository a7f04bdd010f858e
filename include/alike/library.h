// alike::Library: an image library on top of the vector database. It turns image files into
// vectors (one vector space per embedder: "cnn", "color", ...), keeps a catalog of the images
// (paths, content hash, size, EXIF facts, tags, a thumbnail) and answers "which images look like
// this one".
//
//   auto lib = alike::Library::Open("photos/.alike", {.create_if_missing = true});
//   std::vector<std::string> roots = {"photos"};
//   auto report = (*lib)->Index(roots, {}, nullptr);           // incremental: re-runs are cheap
//   auto hits = (*lib)->Search(alike::ImageSource::File("query.jpg"), {.by = "cnn", .k = 10});
//   auto more = (*lib)->Search(alike::ImageQuery::Indexed(hits->front().image_id), {});
//
// A library is a directory: the vector database (collections "image.<embedder>", plus any
// collections the user adds through database()) and catalog.sqlite. Identical files are stored
// once with all their paths. Each space records the version of the embedder that filled it; when
// the installed model differs, indexing re-embeds every image into a fresh space and searching
// refuses to mix the two.
//
// Faces are opt-in per library, because they are biometric data: only a library created with
// LibraryOptions::faces or indexed once with IndexOptions::faces (the choice is kept) detects
// faces. Each face is then one vector of the space "image.face" whose payload holds the image
// id, the face box, its landmarks and detection score. Faces are grouped into persons (Chinese
// whispers over the graph of faces closer than kSamePersonDistance); faces indexed later join
// the person of their nearest faces without re-clustering. ForgetPerson/ForgetAllFaces erase
// faces so that none of their bytes remain in the library's files.
//
// Thread-safety: every method may be called concurrently. Index() calls are serialised with
// each other and with Remove(); searches run alongside them and see each image either before or
// after its update.
#ifndef ALIKE_LIBRARY_H_
#define ALIKE_LIBRARY_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "alike/image_source.h"
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
  bool faces = false;  // a new library detects and indexes faces (kept in the library)
  DatabaseOptions database;
};

struct IndexOptions {
  std::vector<std::string> embedders;  // empty: the library's own list
  unsigned jobs = 0;                   // decoding/embedding threads; 0 = all cores
  bool prune = false;                  // forget catalogued files under the roots that are gone
  uint64_t max_pixels = 100'000'000;   // larger pictures are refused unread
  const std::atomic<bool>* cancel = nullptr;  // set it (e.g. on Ctrl-C) to stop cleanly
  bool faces = false;  // turn face indexing on for this library, from this run on (kept)
  // The face model for this library from this run on (kept): "face" (dlib's, the default) or a
  // face model spec's name (`alike models`). Changing it re-embeds every image's faces, and
  // persons are grouped anew (their names are lost). Empty: keep the library's.
  std::string face_model;
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

// "indexed", "duplicate", "failed", "removed", "note": the names the CLI's JSON output and the
// Python module give events.
const char* IndexEventKindName(IndexEvent::Kind kind);

struct IndexProgress {
  uint64_t found = 0;      // files found so far that need work
  uint64_t done = 0;       // of those, finished (indexed, duplicate or failed)
  uint64_t unchanged = 0;  // skipped: same size and mtime, vectors current
  // The walk is over and `found` is the total; reported before the first file is done.
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

// What a search starts from: a picture (a file, its bytes or decoded pixels; see
// image_source.h) or an image already in the library. One type for every search, so a form of
// query reaches every kind of search at once instead of each offering an overload per form.
// Like ImageSource, it views the caller's memory for the length of the call it is passed to.
// Thread-safety: an immutable value.
class ImageQuery {
 public:
  // Implicit, so that a picture is passed where a query is wanted as it is.
  ImageQuery(ImageSource picture) : query_(std::move(picture)) {}
  // An indexed image: its stored vector or its file stands for the query, and the image itself
  // is left out of the hits.
  static ImageQuery Indexed(uint64_t image_id) { return ImageQuery(image_id); }

  // The picture to decode; null for an indexed image.
  const ImageSource* picture() const { return std::get_if<ImageSource>(&query_); }
  // The indexed image's id; nullopt for a picture.
  std::optional<uint64_t> image_id() const {
    const uint64_t* id = std::get_if<uint64_t>(&query_);
    return id ? std::optional<uint64_t>(*id) : std::nullopt;
  }

 private:
  explicit ImageQuery(uint64_t image_id) : query_(image_id) {}

  std::variant<ImageSource, uint64_t> query_;
};

struct ImageSearchOptions {
  std::string by = "cnn";  // which embedder's space to search
  size_t k = 10;
  std::string filter;  // JSON filter on the image payload (docs/filters.md)
  // Drop hits whose similarity is below this (cosine similarity for cnn and color; for the
  // perceptual hashes pdq and dct64, 1 - differing bits / bits).
  std::optional<float> min_score;
  // Query pictures whose header claims more pixels (pixels: that are more) are refused unread.
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
  std::string version;  // of the stored vectors, whole (hundreds of characters for the cnn)
  // The same version in short: its model's name and revision ("mobilenet_v2+v1/1") and 8 hex
  // digits that tell variants of that name apart.
  std::string model;
  std::string fingerprint;
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
  uint64_t copy_feature_bytes = 0;     // the cached copy features (part of disk_bytes)
  std::vector<std::string> embedders;  // indexed by default
  std::vector<SpaceInfo> spaces;
  bool faces = false;  // face indexing is on
  uint64_t persons = 0;
};

// The JSON `alike index/info --json` and the Python module give for an index run's counts, and
// that the HTTP API (GET /v1/library) gives for library statistics: one definition for all. A
// LibraryInfo's path is left out, since the HTTP API does not reveal it.
std::string ToJson(const IndexReport& report);
std::string ToJson(const LibraryInfo& info);

// Two faces closer than this (squared L2 between the face embedder's unit vectors) show the
// same person: the threshold LFW cross-validation picks for alike's face pipeline.
inline constexpr float kSamePersonDistance = 0.17f;

struct FaceBox {
  int x = 0;  // in the upright picture's pixels
  int y = 0;
  int width = 0;
  int height = 0;
  float score = 0;  // detector confidence
  // Outer and inner corner of each eye, then the base of the nose (dlib's 5 landmarks).
  std::vector<std::array<float, 2>> landmarks;
};

struct FaceHit {
  uint64_t image_id = 0;
  uint64_t face_id = 0;  // the face's vector id
  float distance = 0;    // squared L2 to the query face (or the person's mean face)
  FaceBox box;
  std::optional<uint64_t> person;
  std::string person_name;
  std::vector<std::string> paths;
};

// One face found in a query picture and the images that show the same person, best first.
struct QueryFace {
  FaceBox box;
  std::vector<FaceHit> hits;
};

// Face search's defaults for a big library (the rule is in src/library/face_rule.h; measured in
// the README, "Face search in a big library"): the threshold lets through about this many faces
// of other people per query face, whatever the library's size...
inline constexpr double kStrangersPerQuery = 0.3;
// ...hits farther than the best hit's distance plus this margin are dropped...
inline constexpr float kFaceMargin = 0.06f;
// ...the query face averaged with its confident hits is searched again, at the threshold for
// this many strangers per query, and finds the person's other photos (0: off)...
inline constexpr double kExpansionStrangers = 0.003;
// ...and hits are not re-ranked by person: on LFW it did not help (README).
inline constexpr bool kFaceRankByPerson = false;

struct FaceSearchOptions {
  size_t k = 10;  // images per query face
  // Farther faces are somebody else. 0: chosen for the library's size, the distance at which the
  // share strangers_per_query / (faces in the library) of different-person pairs are closer, by
  // the face model's calibration table, never above kSamePersonDistance.
  float threshold = 0;
  double strangers_per_query = kStrangersPerQuery;
  float margin = kFaceMargin;                        // 0: no margin
  double expansion_strangers = kExpansionStrangers;  // query expansion; 0: off
  // A hit whose person holds several faces near the query outranks a lone look-alike: hits are
  // ordered by their person's mean distance over its three nearest hits (missing ones counted
  // at the threshold), then by distance.
  bool by_person = kFaceRankByPerson;
  // Query pictures whose header claims more pixels are refused unread.
  uint64_t max_pixels = 100'000'000;
};

// InvalidArgument unless the threshold lies in [0, 4] (squared distances between unit vectors;
// 0: automatic), strangers_per_query is above 0 and finite and the margin in [0, 4].
// SearchFaces checks it; callers may check earlier (the HTTP API does, before it reads an
// upload).
Status CheckFaceSearchOptions(const FaceSearchOptions& options);

struct Person {
  uint64_t id = 0;
  std::string name;  // empty until named
  uint64_t faces = 0;
  uint64_t images = 0;
  FaceHit representative;  // the face nearest the person's mean face
};

struct FaceForgetReport {
  uint64_t faces = 0;
  uint64_t persons = 0;
};

// Copy detection (see "Copy detection" in the README): candidates from the perceptual-hash spaces
// ("pdq" over the query's eight rotations and mirror images, "dct64") and from "cnn", each checked
// with local features and a homography against the candidate's file.
struct CopySearchOptions {
  // Hits wanted. Candidates are verified most likely first, and verification stops once k of
  // them are copies beyond doubt (confidence >= 0.99): k = 1 asks "is this a copy, and of
  // what?", which costs about one candidate's verification when the answer is yes.
  size_t k = 10;
  float min_confidence = 0.5f;  // hits below it are not copies
  size_t candidates = 20;       // nearest images taken from each space before verification
  unsigned jobs = 0;            // threads verifying candidates; 0 = all cores
  // Query pictures whose header claims more pixels are refused unread.
  uint64_t max_pixels = 100'000'000;
};

struct CopyHit {
  uint64_t image_id = 0;
  float confidence = 0;    // 0..1; see the README for what it means in precision
  int hash_distance = -1;  // fewest differing PDQ bits over the query's orientations; -1: none
  // Whether the candidate's picture was read and checked with local features; false when it
  // could not be (its file gone, or on a cluster not reachable from the router): the hit then
  // stands on its hash evidence alone.
  bool verified = false;
  int inliers = 0;  // local-feature matches one homography explains; 0: not verified or no match
  // Of the query's keypoints that fall inside the matched region, the share among the inliers:
  // high for copies, low for different photos of one face or place (0: not verified).
  float coverage = 0;
  bool mirrored = false;  // the hit holds the query's mirror image
  // Where the query's picture lies in the hit: the query's corners (clockwise from top-left) in
  // the hit's pixels; absent unless verified.
  std::optional<std::array<std::array<float, 2>, 4>> corners;
  std::vector<std::string> paths;
};

// Groups of copies among the library's own images: connected components of the match graph.
struct DuplicateOptions {
  int max_bits = 31;  // PDQ bits two images may differ by and still be one picture
};

struct DuplicateGroup {
  uint64_t keeper = 0;           // the one to keep: most pixels, then the oldest in the library
  std::vector<uint64_t> images;  // keeper first, then by id
  int max_bits = 0;              // the largest distance of an edge that joined the group
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

  // The images most like the query, best first. An indexed image is searched with its stored
  // vector (its file is not read) and is not among the hits.
  virtual Result<std::vector<ImageHit>> Search(const ImageQuery& query,
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

  // --- Faces (see the top of this file).
  // For each face in the query's picture, the images showing the same person, best first (one
  // hit per image, its closest face). A picture without a face is an InvalidArgument error. An
  // indexed image is read from its file and is not among the hits.
  virtual Result<std::vector<QueryFace>> SearchFaces(const ImageQuery& query,
                                                     const FaceSearchOptions& options) = 0;
  // The images a person (by name) appears in, the most typical face first; k = 0: all.
  virtual Result<std::vector<FaceHit>> SearchPerson(const std::string& name, size_t k) = 0;
  // Every person, most faces first, grouping any faces not yet grouped.
  virtual Result<std::vector<Person>> People() = 0;
  // Names a person; a name another person has merges the two. Returns the named person's id.
  virtual Result<uint64_t> NamePerson(uint64_t person_id, const std::string& name) = 0;
  // Erase faces: their vectors, payloads and person rows, then compact the face space and
  // vacuum the catalog so that nothing of them is left in the files. A forgotten face is not
  // detected again unless the face model changes; ForgetAllFaces also turns face indexing off.
  virtual Result<FaceForgetReport> ForgetPerson(const std::string& name) = 0;
  virtual Result<FaceForgetReport> ForgetAllFaces() = 0;

  // --- Copies. Copies of the query's picture among the indexed images, most confident first.
  // The library needs the "pdq" or "cnn" space (index with --embedders ...,pdq); a flat picture,
  // which has no perceptual hash, is found through "cnn" alone. An indexed image is read from its
  // file and is not among the hits.
  virtual Result<std::vector<CopyHit>> SearchCopies(const ImageQuery& query,
                                                    const CopySearchOptions& options) = 0;
  // Every group of two or more images that are copies of one another by their PDQ hashes,
  // largest group first. Each image's hash is looked up in the index: no all-pairs pass. A
  // library without the "pdq" space is a FailedPrecondition error saying how to add it.
  virtual Result<std::vector<DuplicateGroup>> Duplicates(const DuplicateOptions& options) = 0;

  // The underlying database, for generic vector collections beside the image spaces.
  virtual Database& database() = 0;
};

}  // namespace alike

#endif  // ALIKE_LIBRARY_H_
