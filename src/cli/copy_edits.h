// The edits `alike eval copies` makes of real photos to test copy detection: the ways a picture
// changes when it is re-posted (resized, recompressed, recoloured, mirrored, cropped, turned,
// written over, framed by a screenshot, blurred), each family with a range of strengths drawn
// from a seeded generator, so that a seed names one evaluation set exactly.
//
//   std::mt19937_64 rng(seed);
//   Edit edit = DrawEdit(EditFamily::kCrop, rng);   // e.g. "crop 14% of the area"
//   cv::Mat copy = ApplyEdit(photo_bgr, edit);       // then saved at edit.jpeg_quality
//
// Thread-safety: pure functions; ApplyEdit draws its own randomness from the edit's seed.
#ifndef ALIKE_CLI_COPY_EDITS_H_
#define ALIKE_CLI_COPY_EDITS_H_

#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::cli {

enum class EditFamily {
  kResize,            // scale 0.25-2x
  kJpeg,              // recompression at quality 10-95
  kColour,            // brightness, contrast and saturation shifts
  kFlip,              // mirror image, left-right or upside down
  kCrop,              // 10-20% of the area cut away
  kCropLarge,         // 40-50% of the area cut away
  kRotate,            // 5-10 degrees, canvas grown to hold the turned picture
  kRotateMore,        // 10-15 degrees
  kRotate90,          // a quarter, half or three-quarter turn
  kOverlay,           // a line of text and a drawn logo on top
  kBorder,            // bars and margins around the picture, as a screenshot has
  kBlur,              // Gaussian blur, sigma 1-4
  kPictureInPicture,  // pasted at about half size into another photo
  kCropThird,         // about a third of the area kept
  kRotate15,          // 14-16 degrees
  kThumbnail,         // shrunk to under 100 pixels a side
};

// What the targets expect of a family: recall >= 0.98 at precision >= 0.99 for mild
// edits, recall >= 0.90 for hard ones, recall >= 0.95 at precision 1 for the hard cases that
// defeated the first candidate search (pasted, a third kept, 15 degrees, thumbnails); the others
// are measured without a target.
enum class EditTarget { kMild, kHard, kHardCase, kNone };

struct EditFamilyInfo {
  EditFamily family;
  const char* name;   // as --families takes it
  const char* range;  // the strengths drawn, for the report
  EditTarget target;
  // Edit::amount is drawn uniformly from [low, high]: a whole number when `whole`, turned
  // either way (negated half the time) when `either_sign`.
  double low, high;
  bool whole = false;
  bool either_sign = false;
};

// Every family, in report order.
const std::vector<EditFamilyInfo>& EditFamilies();
const EditFamilyInfo& FamilyInfo(EditFamily family);
Result<EditFamily> ParseEditFamily(const std::string& name);
const char* TargetName(EditTarget target);  // "mild", "hard", "-"

struct Edit {
  EditFamily family = EditFamily::kJpeg;
  // The strength: the scale (resize), quality (jpeg), share of the area cut (crops), degrees
  // (rotations, counter-clockwise; quarter turns for rotate90), sigma (blur), the share of the
  // height the bars take (border), the pasted picture's share of its host's width or height
  // (picture-in-picture), or the longer side in pixels (thumbnail).
  double amount = 0;
  int jpeg_quality = 95;  // the copy is saved as a JPEG of this quality
  uint64_t seed = 0;      // where a crop sits, what an overlay says, which way a flip goes, ...
};

// One edit of `family` with its strength drawn from `rng`.
Edit DrawEdit(EditFamily family, std::mt19937_64& rng);
// "crop 14% of the area", for reports.
std::string DescribeEdit(const Edit& edit);
// The edited picture (8-bit BGR in, 8-bit BGR out); recompression happens when it is saved.
// Picture-in-picture pastes `bgr` into `host` (another photo; a grey canvas of bgr's size when
// empty); the other families ignore it.
cv::Mat ApplyEdit(const cv::Mat& bgr, const Edit& edit, const cv::Mat& host = cv::Mat());

// One copy to search for: an edit of one of the originals.
struct CopyQuery {
  size_t original = 0;  // index into CopySet::originals
  Edit edit;
};

// Originals go into the library; held-out photos never do and are searched unedited, so that
// every hit they get is a false alarm; copies are edits of the originals.
struct CopySet {
  std::vector<std::string> originals;
  std::vector<std::string> held_out;
  std::vector<CopyQuery> copies;
};

struct CopySetOptions {
  uint64_t seed = 1;
  size_t per_family = 6;  // copies per family (fewer when there are fewer originals)
  size_t held_out = 8;    // photos kept out of the library
  std::vector<EditFamily> families;
};

// Copies are made from the original shrunk to this longer side (about 0.8 MP for a 4:3 photo),
// the size a re-posted photo usually has; the resize family then scales from there.
inline constexpr int kCopySourceSide = 1024;

// The copy `query` asks for, as the JPEG bytes a re-poster would upload: its original decoded,
// shrunk to kCopySourceSide, edited and saved at the edit's quality. A picture-in-picture copy's
// host is one of the held-out photos (drawn by the edit's seed), also shrunk to kCopySourceSide:
// in no library, so it can lend the query no other right answer.
Result<std::vector<uint8_t>> EncodeCopy(const CopySet& set, const CopyQuery& query);

// Image files under `roots` (files named directly are taken as they are), sorted, each once: the
// photos to deal.
std::vector<std::string> ImageFiles(const std::vector<std::string>& roots);

// Deals `photos` (their order does not matter: they are sorted first) into held-out photos and
// originals, and draws per_family copies of each family from distinct originals, spreading the
// families over the originals. The same photos, options and seed give the same set.
CopySet BuildCopySet(std::vector<std::string> photos, const CopySetOptions& options);

}  // namespace alike::cli

#endif  // ALIKE_CLI_COPY_EDITS_H_
