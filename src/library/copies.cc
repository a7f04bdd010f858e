#include "library/copies.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <numeric>
#include <opencv2/core.hpp>

#include "library/copy_views.h"
#include "library/image_facts.h"
#include "search/copy_verifier.h"
#include "util/parallel_for.h"

namespace alike::library {
namespace {

// dct64 is for near-exact copies: at most this many of 64 bits (edits measured 0-2, unrelated
// photos 20 and more).
constexpr int kDctMatchBits = 4;

// A verified match this sure is a copy (CopyMatch::is_copy); below it copy search looks again.
constexpr float kCopyConfidence = 0.5f;
// Half windows are described at the verifier's side, where the candidates' features were.
constexpr int kDescribedWindowSide = search::CopyVerifier::Options{}.max_side;
// Nearest images taken from each view's cnn neighbours for the second look.
constexpr size_t kViewCandidates = 4;

struct Evidence {
  int pdq_bits = -1;  // fewest over the query's orientations; -1: not a PDQ candidate
  bool pdq_mirrored = false;
  int dct_bits = -1;
  size_t cnn_rank = SIZE_MAX;
};

// The query turned through the dihedral group: four rotations, each also mirrored.
std::vector<std::pair<cv::Mat, bool>> Orientations(const cv::Mat& query) {
  std::vector<std::pair<cv::Mat, bool>> out;
  cv::Mat turned = query;
  for (int quarter = 0; quarter < 4; ++quarter) {
    if (quarter > 0) cv::rotate(turned, turned, cv::ROTATE_90_CLOCKWISE);
    cv::Mat mirrored;
    cv::flip(turned, mirrored, 1);
    out.emplace_back(turned.clone(), false);
    out.emplace_back(std::move(mirrored), true);
  }
  return out;
}

Status AddPdqCandidates(const CopySpace& space, const cv::Mat& query, size_t k, int radius,
                        std::map<uint64_t, Evidence>& found) {
  for (const auto& [picture, mirrored] : Orientations(query)) {
    auto embedded = space.model->Embed(picture);
    if (!embedded.ok()) return embedded.status();
    if (embedded->empty()) return Status::OK();  // flat: no orientation has a hash either
    auto hits = space.search({.binary = (*embedded)[0].binary},
                             {.k = k, .max_distance = float(radius), .with_payload = false});
    if (!hits.ok()) return hits.status();
    for (const Hit& hit : *hits) {
      Evidence& e = found[ImageOfVector(hit.id)];
      const int bits = static_cast<int>(hit.distance);
      if (e.pdq_bits < 0 || bits < e.pdq_bits) {
        e.pdq_bits = bits;
        e.pdq_mirrored = mirrored;
      }
    }
  }
  return Status::OK();
}

Status AddDctCandidates(const CopySpace& space, const cv::Mat& query, size_t k,
                        std::map<uint64_t, Evidence>& found) {
  auto embedded = space.model->Embed(query);
  if (!embedded.ok()) return embedded.status();
  if (embedded->empty()) return Status::OK();
  auto hits = space.search({.binary = (*embedded)[0].binary},
                           {.k = k, .max_distance = float(kDctMatchBits), .with_payload = false});
  if (!hits.ok()) return hits.status();
  for (const Hit& hit : *hits) found[ImageOfVector(hit.id)].dct_bits = int(hit.distance);
  return Status::OK();
}

Status AddCnnCandidates(const CopySpace& space, const cv::Mat& query, size_t k,
                        std::map<uint64_t, Evidence>& found) {
  cv::Mat mirrored;
  cv::flip(query, mirrored, 1);
  for (const cv::Mat& picture : {query, mirrored}) {
    auto embedded = space.model->Embed(picture);
    if (!embedded.ok()) return embedded.status();
    if (embedded->empty()) continue;
    auto hits = space.search({.vector = (*embedded)[0].vector}, {.k = k, .with_payload = false});
    if (!hits.ok()) return hits.status();
    for (size_t rank = 0; rank < hits->size(); ++rank) {
      Evidence& e = found[ImageOfVector((*hits)[rank].id)];
      e.cnn_rank = std::min(e.cnn_rank, rank);
    }
  }
  return Status::OK();
}

// A second look's candidate: the image and the view that proposed it.
struct ViewCandidate {
  uint64_t image = 0;
  size_t view = 0;
};

// The second look's candidates: each view's `per_view` nearest cnn neighbours, by their best
// rank over the views (ties: the earlier view), at most `limit`. The first `windows` views are
// matched to features of their own, so their neighbours are taken even when the first look
// verified them (against the whole query); the other views' are not taken again.
Result<std::vector<ViewCandidate>> ViewCandidates(const CopySpace& space,
                                                  const std::vector<cv::Mat>& views, size_t windows,
                                                  size_t per_view, size_t limit,
                                                  const std::vector<uint64_t>& verified,
                                                  std::optional<uint64_t> exclude) {
  std::vector<std::pair<size_t, ViewCandidate>> ranked;  // (rank, candidate), in view order
  for (size_t v = 0; v < views.size(); ++v) {
    auto embedded = space.model->Embed(views[v]);
    if (!embedded.ok()) return embedded.status();
    if (embedded->empty()) continue;
    auto hits =
        space.search({.vector = (*embedded)[0].vector}, {.k = per_view, .with_payload = false});
    if (!hits.ok()) return hits.status();
    for (size_t rank = 0; rank < hits->size(); ++rank) {
      ranked.push_back({rank, {ImageOfVector((*hits)[rank].id), v}});
    }
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<ViewCandidate> out;
  auto taken = [&](const ViewCandidate& candidate) {
    if (candidate.view >= windows &&
        std::count(verified.begin(), verified.end(), candidate.image) > 0) {
      return true;
    }
    return std::any_of(out.begin(), out.end(), [&](const ViewCandidate& c) {
      return c.image == candidate.image && (c.view >= windows) == (candidate.view >= windows);
    });
  };
  for (const auto& [rank, candidate] : ranked) {
    if (out.size() >= limit) break;
    if (candidate.image != exclude && !taken(candidate)) out.push_back(candidate);
  }
  return out;
}

// Which candidates the verifier looks at, at most `limit`: the PDQ ones by distance and the cnn
// ones by rank, taken in turn, so that neither source crowds out the other.
std::vector<uint64_t> VerificationOrder(const std::map<uint64_t, Evidence>& found, size_t limit) {
  std::vector<uint64_t> by_pdq, by_cnn;
  for (const auto& [image, e] : found) {
    if (e.pdq_bits >= 0 || e.dct_bits >= 0) by_pdq.push_back(image);
    if (e.cnn_rank != SIZE_MAX) by_cnn.push_back(image);
  }
  auto pdq_key = [&](uint64_t image) {
    const Evidence& e = found.at(image);
    return e.dct_bits >= 0 ? -1 : e.pdq_bits;
  };
  std::stable_sort(by_pdq.begin(), by_pdq.end(),
                   [&](uint64_t a, uint64_t b) { return pdq_key(a) < pdq_key(b); });
  std::stable_sort(by_cnn.begin(), by_cnn.end(), [&](uint64_t a, uint64_t b) {
    return found.at(a).cnn_rank < found.at(b).cnn_rank;
  });
  std::vector<uint64_t> order;
  for (size_t i = 0; order.size() < limit && (i < by_pdq.size() || i < by_cnn.size()); ++i) {
    for (const std::vector<uint64_t>* list : {&by_pdq, &by_cnn}) {
      if (i < list->size() && order.size() < limit &&
          std::find(order.begin(), order.end(), (*list)[i]) == order.end()) {
        order.push_back((*list)[i]);
      }
    }
  }
  return order;
}

// How sure a hash distance alone makes us: PDQ at its threshold 0.5, identical 1; dct64, whose
// matches are near-exact, 0.75 at its threshold.
float HashConfidence(const Evidence& e) {
  float c = 0;
  if (e.pdq_bits >= 0 && e.pdq_bits <= kPdqMatchBits) c = 1 - e.pdq_bits / 64.0f;
  if (e.dct_bits >= 0) c = std::max(c, 1 - e.dct_bits / 16.0f);
  return c;
}

// The query's corners in the hit's full-resolution pixels. A match of the mirrored query maps the
// mirror image's corners: its top-left is the query's top-right, and so on.
std::array<std::array<float, 2>, 4> HitCorners(const search::CopyMatch& m, bool mirrored,
                                               const PictureFeatures& hit) {
  static constexpr int kUnmirror[4] = {1, 0, 3, 2};
  const float sx = float(hit.original_width) / float(hit.features.size.width);
  const float sy = float(hit.original_height) / float(hit.features.size.height);
  std::array<std::array<float, 2>, 4> out{};
  for (int i = 0; i < 4; ++i) {
    const cv::Point2f& p = m.corners[mirrored ? kUnmirror[i] : i];
    out[i] = {p.x * sx, p.y * sy};
  }
  return out;
}

// A verified candidate at this confidence is a copy beyond doubt: in the calibration run every
// hit from 0.9 up was a copy (README, "Evaluation"). Verification stops once the caller's k
// candidates have it, and a candidate the upright query matches so well is not matched mirrored.
constexpr float kBeyondDoubt = 0.99f;

// The query's local features, described once per search: upright at once, mirrored only when a
// candidate first needs it (a copy verified upright beyond doubt never does). Thread-safe: the
// mirrored features are described under a once-flag.
class QueryFeatures {
 public:
  QueryFeatures(const search::CopyVerifier& verifier, const cv::Mat& query)
      : verifier_(verifier), query_(query), upright_(verifier.Describe(query)) {}

  const Result<search::LocalFeatures>& Upright() const { return upright_; }

  const Result<search::LocalFeatures>& Mirrored() const {
    std::call_once(mirrored_once_, [&] {
      cv::Mat flipped;
      cv::flip(query_, flipped, 1);
      mirrored_ = verifier_.Describe(flipped);
    });
    return mirrored_;
  }

 private:
  const search::CopyVerifier& verifier_;
  const cv::Mat query_;
  const Result<search::LocalFeatures> upright_;
  mutable std::once_flag mirrored_once_;
  mutable Result<search::LocalFeatures> mirrored_ = Status::Internal("not described");
};

// What the verifier made of one candidate.
struct Verification {
  Status error;             // a failure of the verifier itself (an unreadable candidate is not one)
  bool described = false;   // the candidate's features were read: it was verified
  search::CopyMatch match;  // confidence 0: no copy by local features
  bool mirrored = false;    // the mirrored query matched better
  std::array<std::array<float, 2>, 4> corners{};
};

Verification WithCorners(Verification v, const PictureFeatures& candidate) {
  if (v.match.confidence > 0) v.corners = HitCorners(v.match, v.mirrored, candidate);
  return v;
}

Verification VerifyCandidate(const CopySpaces& spaces, const search::CopyVerifier& verifier,
                             const QueryFeatures& query, uint64_t image_id) {
  Verification v;
  auto candidate = spaces.candidates.Features(image_id, verifier);
  if (!candidate.ok()) {
    v.error = candidate.status();
    return v;
  }
  if (!*candidate) return v;
  v.described = true;
  const search::LocalFeatures& features = (*candidate)->features;
  // Both ways round, keeping the better: a picture's mirror image can scrape past the verifier
  // with a few chance matches where the true orientation has hundreds. Upright beyond doubt is
  // as good as it gets.
  v.match = verifier.Verify(*query.Upright(), features);
  if (v.match.confidence >= kBeyondDoubt) return WithCorners(std::move(v), **candidate);
  const Result<search::LocalFeatures>& mirrored = query.Mirrored();
  if (!mirrored.ok()) {
    v.error = mirrored.status();
    return v;
  }
  search::CopyMatch flipped = verifier.Verify(*mirrored, features);
  v.mirrored = flipped.confidence > v.match.confidence;
  if (v.mirrored) v.match = std::move(flipped);
  return WithCorners(std::move(v), **candidate);
}

// Verifies the candidates in `order` from the first not in `verified` on, in waves of `threads`
// (each costs a copy out of the feature store and one or two matchings, or, without cached
// features, a decode and an ORB pass), each against the query features `seen_as` gives it, until
// `enough` of all verified are copies beyond doubt: the candidates come most likely first, so a
// copy's original is usually the first, and the rest are verified only for a caller who asked
// for more hits. Appends to `verified`, a prefix of `order`.
void VerifyInOrder(const CopySpaces& spaces, const search::CopyVerifier& verifier,
                   const std::vector<uint64_t>& order,
                   const std::vector<const QueryFeatures*>& seen_as, size_t enough,
                   unsigned threads, std::vector<Verification>& verified) {
  size_t beyond_doubt = std::count_if(verified.begin(), verified.end(), [](const Verification& v) {
    return v.match.confidence >= kBeyondDoubt;
  });
  while (verified.size() < order.size() && beyond_doubt < enough) {
    const size_t first = verified.size();
    const size_t wave = std::min<size_t>(threads, order.size() - first);
    verified.resize(first + wave);
    ParallelFor(wave, threads, [&](size_t i) {
      verified[first + i] =
          VerifyCandidate(spaces, verifier, *seen_as[first + i], order[first + i]);
    });
    for (size_t i = first; i < verified.size(); ++i) {
      if (verified[i].match.confidence >= kBeyondDoubt) ++beyond_doubt;
    }
  }
}

}  // namespace

CopySpace CopySpaceOf(const Space& space) {
  return {
      .model = space.model,
      .search = [collection = space.collection](const Query& query, const SearchOptions& options) {
        return collection->Search(query, options);
      }};
}

Result<PictureFeatures> DescribeForCopies(const search::CopyVerifier& verifier,
                                          const image::Image& picture) {
  auto features = verifier.Describe(picture.bgr);
  if (!features.ok()) return features.status();
  return PictureFeatures{.original_width = picture.original_width,
                         .original_height = picture.original_height,
                         .features = std::move(*features)};
}

Result<std::vector<std::string>> LibraryCopyCandidates::Paths(uint64_t image_id) const {
  auto record = catalog_.GetImage(image_id);
  if (!record.ok()) return record.status();
  if (!*record) return std::vector<std::string>();
  return std::move((*record)->paths);
}

Result<std::optional<PictureFeatures>> LibraryCopyCandidates::Features(
    uint64_t image_id, const search::CopyVerifier& verifier) const {
  if (features_) {
    auto cached = features_->Get(image_id);
    if (cached.ok() && *cached) return cached;
  }
  auto paths = Paths(image_id);
  if (!paths.ok()) return paths.status();
  for (const std::string& path : *paths) {
    auto decoded = decoder_.DecodeFile(path, {.min_short_side = kCopyShortSide});
    if (!decoded.ok()) continue;
    auto described = DescribeForCopies(verifier, *decoded);
    if (!described.ok()) return described.status();
    return std::optional<PictureFeatures>(std::move(*described));
  }
  return std::optional<PictureFeatures>();
}

Result<std::vector<CopyHit>> FindCopies(const CopySpaces& spaces, const cv::Mat& query,
                                        const CopySearchOptions& options,
                                        std::optional<uint64_t> exclude) {
  if (!spaces.pdq && !spaces.cnn) {
    return Status::FailedPrecondition(
        "copy search needs the pdq or cnn space: index with --embedders cnn,pdq");
  }
  std::map<uint64_t, Evidence> found;
  const size_t k = options.candidates + (exclude ? 1 : 0);
  if (spaces.pdq) {
    const int radius = spaces.cnn ? kPdqCandidateBits : kPdqOnlyCandidateBits;
    ALIKE_RETURN_IF_ERROR(AddPdqCandidates(*spaces.pdq, query, k, radius, found));
  }
  if (spaces.dct64) ALIKE_RETURN_IF_ERROR(AddDctCandidates(*spaces.dct64, query, k, found));
  if (spaces.cnn) ALIKE_RETURN_IF_ERROR(AddCnnCandidates(*spaces.cnn, query, k, found));
  if (exclude) found.erase(*exclude);

  const search::CopyVerifier verifier;
  const QueryFeatures whole(verifier, EnlargeIfSmall(query));
  if (!whole.Upright().ok()) return whole.Upright().status();
  std::vector<uint64_t> order = VerificationOrder(found, options.candidates);
  std::vector<const QueryFeatures*> seen_as(order.size(),
                                            &whole);  // the features each is matched to
  std::vector<Verification> verified;
  const unsigned threads = ThreadCount(options.jobs);
  VerifyInOrder(spaces, verifier, order, seen_as, options.k, threads, verified);
  // A second look when nothing was found: the cnn neighbours of views of the query (half windows,
  // untilted), which find a photo pasted into another or turned past what cnn sees through. A
  // window's candidates are matched to the window's own features (its full share of keypoints
  // at its own scale), the untilted views' to the whole query's (ORB turns with the picture).
  // Only queries without a copy pay for it, and what it proposes is verified like the rest.
  const bool confident = std::any_of(verified.begin(), verified.end(), [](const Verification& v) {
    return v.match.confidence >= kCopyConfidence;
  });
  std::vector<std::unique_ptr<QueryFeatures>> window_features;
  if (!confident && spaces.cnn) {
    std::vector<cv::Mat> views = HalfWindows(query);
    const size_t windows = views.size();
    for (cv::Mat& turned : Untilted(query)) views.push_back(std::move(turned));
    auto more = ViewCandidates(*spaces.cnn, views, windows, kViewCandidates, options.candidates,
                               order, exclude);
    if (!more.ok()) return more.status();
    window_features.resize(windows);
    const size_t first_look = order.size();
    for (const ViewCandidate& c : *more) {
      order.push_back(c.image);
      if (c.view >= windows) {
        seen_as.push_back(&whole);
        continue;
      }
      if (!window_features[c.view]) {
        window_features[c.view] = std::make_unique<QueryFeatures>(
            verifier, EnlargeTo(views[c.view], kDescribedWindowSide));
        if (!window_features[c.view]->Upright().ok()) {
          return window_features[c.view]->Upright().status();
        }
      }
      seen_as.push_back(window_features[c.view].get());
    }
    VerifyInOrder(spaces, verifier, order, seen_as, options.k, threads, verified);
    order.resize(verified.size());
    // An image seen twice (the whole query's candidate matched again by a window, or by a window
    // and an untilted view) keeps its more confident verification, once.
    for (size_t i = first_look; i < order.size();) {
      const size_t j = std::find(order.begin(), order.end(), order[i]) - order.begin();
      if (j == i) {
        ++i;
        continue;
      }
      if (!verified[i].error.ok() || verified[i].match.confidence > verified[j].match.confidence) {
        verified[j] = std::move(verified[i]);
      }
      order.erase(order.begin() + i);
      verified.erase(verified.begin() + i);
    }
  }

  std::vector<CopyHit> out;
  for (size_t i = 0; i < verified.size(); ++i) {
    const uint64_t image_id = order[i];
    const Evidence& e = found[image_id];  // a view's candidate: no hash or whole-query evidence
    CopyHit hit{.image_id = image_id,
                .confidence = HashConfidence(e),
                .hash_distance = e.pdq_bits,
                .mirrored = e.pdq_mirrored};
    if (!verified[i].error.ok()) return verified[i].error;
    // Weak verified evidence is kept too (below 0.5, for callers who lower min_confidence). A
    // candidate whose file is gone or unreadable keeps its hash evidence only.
    const search::CopyMatch& m = verified[i].match;
    hit.verified = verified[i].described;
    if (m.confidence > 0) {
      hit.inliers = m.inliers;
      hit.coverage = m.coverage;
      hit.mirrored = verified[i].mirrored;
      hit.corners = verified[i].corners;
      hit.confidence = std::max(hit.confidence, m.confidence);
    }
    if (hit.confidence < options.min_confidence) continue;
    auto paths = spaces.candidates.Paths(image_id);
    if (!paths.ok()) return paths.status();
    if (paths->empty()) continue;  // removed meanwhile
    hit.paths = std::move(*paths);
    out.push_back(std::move(hit));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const CopyHit& a, const CopyHit& b) { return a.confidence > b.confidence; });
  if (out.size() > options.k) out.resize(options.k);
  return out;
}

Result<std::vector<DuplicateGroup>> FindDuplicates(const Catalog& catalog, const Collection& pdq,
                                                   const DuplicateOptions& options) {
  // Read every hash first: searching from inside ForEach would nest the collection's locks.
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> hashes;
  ALIKE_RETURN_IF_ERROR(pdq.ForEach([&](const Record& r) {
    hashes.emplace_back(ImageOfVector(r.id), r.binary);
    return true;
  }));
  std::map<uint64_t, uint64_t> parent;  // union-find over image ids
  std::function<uint64_t(uint64_t)> root = [&](uint64_t x) {
    auto it = parent.find(x);
    if (it == parent.end() || it->second == x) return x;
    return it->second = root(it->second);
  };
  std::map<uint64_t, int> widest;  // per root: the largest edge distance inside
  for (const auto& [image, bits] : hashes) {
    auto hits =
        pdq.Search({.binary = bits},
                   {.k = 64, .max_distance = float(options.max_bits), .with_payload = false});
    if (!hits.ok()) return hits.status();
    for (const Hit& hit : *hits) {
      const uint64_t other = ImageOfVector(hit.id);
      if (other == image) continue;
      const uint64_t a = root(image), b = root(other);
      parent.try_emplace(image, image);
      parent.try_emplace(other, other);
      const int edge = std::max({int(hit.distance), widest[a], widest[b]});
      if (a != b) parent[std::max(a, b)] = std::min(a, b);
      widest[std::min(a, b)] = edge;
    }
  }
  std::map<uint64_t, std::vector<uint64_t>> members;
  for (const auto& [image, unused] : parent) members[root(image)].push_back(image);

  std::vector<DuplicateGroup> groups;
  for (auto& [group_root, images] : members) {
    if (images.size() < 2) continue;
    // Keeper: the most pixels, then the earliest added (ids grow with time).
    int64_t best_pixels = -1;
    uint64_t keeper = images.front();
    for (const uint64_t image : images) {
      auto record = catalog.GetImage(image);
      if (!record.ok()) return record.status();
      if (!*record) continue;
      const int64_t pixels = int64_t((*record)->facts.width) * (*record)->facts.height;
      if (pixels > best_pixels) {
        best_pixels = pixels;
        keeper = image;
      }
    }
    std::sort(images.begin(), images.end());
    std::stable_partition(images.begin(), images.end(), [&](uint64_t i) { return i == keeper; });
    groups.push_back({.keeper = keeper, .images = images, .max_bits = widest[group_root]});
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const auto& a, const auto& b) { return a.images.size() > b.images.size(); });
  return groups;
}

}  // namespace alike::library
