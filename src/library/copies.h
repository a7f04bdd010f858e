// Copies in an image library. A query picture's candidates come from the spaces that survive
// edits in different ways: "pdq" (global, robust to resizing, recompression, colour shifts, blur;
// searched with the query turned through its eight rotations and mirror images), "dct64"
// (near-exact copies) and "cnn" (what a crop, a border or an overlay leaves of the picture's
// content). The candidates are then checked, most likely first, against their pictures with local
// features and a homography (search/copy_verifier.h), which also says where the copy lies, until
// as many as the caller asked for are copies beyond doubt; a candidate's features come from the
// library's feature store (feature_store.h) when it has them, else from decoding its file. When
// no candidate is a copy, a second look embeds views of the query (half windows, untilted;
// copy_views.h) and verifies their cnn neighbours, a window's against the window's own features:
// a photo pasted into another, or turned 15 degrees, is found there. The spaces and candidates
// are a library's, or a cluster's (CopySpace, CopyCandidates).
// Duplicate groups are the connected components of the PDQ match graph, each image's hash looked up
// in the index.
//
// Thread-safety: free functions over the thread-safe Catalog, Decoder and collections;
// LibraryCopyCandidates is as thread-safe as they are.
#ifndef ALIKE_LIBRARY_COPIES_H_
#define ALIKE_LIBRARY_COPIES_H_

#include <functional>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "alike/library.h"
#include "image/decoder.h"
#include "library/catalog.h"
#include "library/feature_store.h"
#include "library/space.h"
#include "search/copy_verifier.h"

namespace alike::library {

inline constexpr char kPdqEmbedder[] = "pdq";
inline constexpr char kDctHashEmbedder[] = "dct64";
inline constexpr char kCnnEmbedder[] = "cnn";

// Decoding size for copy queries and candidates: PDQ fits pictures into 512 x 512 and the
// verifier works at a 640-pixel longer side, so a 512-pixel shorter side serves both.
inline constexpr int kCopyShortSide = 512;

// PDQ's own match threshold (the reference's): at most 31 of 256 bits differ.
inline constexpr int kPdqMatchBits = 31;
// How far copy search looks for PDQ candidates (of the query's eight orientations). Edits that
// move the hash further (crops, rotations, overlays, borders) are found through the cnn
// candidates instead; `alike eval copies` loses no copy at this radius against 96 bits (README,
// "Copy detection at archive scale"). Within 31 bits the pdq space's multi-index hash looks up
// its tables instead of scanning (one substring flip; 32-47 bits need two, which costs about a
// scan), so a query's candidate search grows with the hashes near it, not the library's size.
inline constexpr int kPdqCandidateBits = kPdqMatchBits;
// Without a cnn space, PDQ is the only source of candidates, so a library of hashes alone looks
// as far as copy search always did (a scan): a bordered or mirrored-and-bordered copy lies 40-90
// bits away.
inline constexpr int kPdqOnlyCandidateBits = 96;

// A space copy search draws candidates from: its embedder, and how its vectors are searched (a
// library's collection, or a cluster collection through its router).
struct CopySpace {
  const embed::Embedder* model = nullptr;
  std::function<Result<std::vector<Hit>>(const Query&, const SearchOptions&)> search;
};

// A library space as a CopySpace.
CopySpace CopySpaceOf(const Space& space);

// Where copy search finds its candidates' pictures.
class CopyCandidates {
 public:
  virtual ~CopyCandidates() = default;
  // The image's paths, as a hit lists them; empty when the image is gone.
  virtual Result<std::vector<std::string>> Paths(uint64_t image_id) const = 0;
  // The image's features for the verifier; nullopt when its picture cannot be read (the
  // candidate then keeps its hash evidence only and is answered unverified).
  virtual Result<std::optional<PictureFeatures>> Features(
      uint64_t image_id, const search::CopyVerifier& verifier) const = 0;
};

// A decoded picture's features for the verifier.
Result<PictureFeatures> DescribeForCopies(const search::CopyVerifier& verifier,
                                          const image::Image& picture);

// A library's candidates: paths from the catalog; features from the feature store when it has
// them (or there is none), else described from the first of the image's files that decodes.
class LibraryCopyCandidates : public CopyCandidates {
 public:
  LibraryCopyCandidates(const Catalog& catalog, const image::Decoder& decoder,
                        const FeatureStore* features)
      : catalog_(catalog), decoder_(decoder), features_(features) {}

  Result<std::vector<std::string>> Paths(uint64_t image_id) const override;
  Result<std::optional<PictureFeatures>> Features(
      uint64_t image_id, const search::CopyVerifier& verifier) const override;

 private:
  const Catalog& catalog_;
  const image::Decoder& decoder_;
  const FeatureStore* const features_;  // may be null
};

struct CopySpaces {
  const CopyCandidates& candidates;
  std::optional<CopySpace> pdq, dct64, cnn;  // those the library holds; none is required
};

// Copies of `query` (upright BGR, decoded at kCopyShortSide), most confident first; `exclude` is
// left out (the query's own image when it is indexed).
Result<std::vector<CopyHit>> FindCopies(const CopySpaces& spaces, const cv::Mat& query,
                                        const CopySearchOptions& options,
                                        std::optional<uint64_t> exclude);

Result<std::vector<DuplicateGroup>> FindDuplicates(const Catalog& catalog, const Collection& pdq,
                                                   const DuplicateOptions& options);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_COPIES_H_
