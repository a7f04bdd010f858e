// `alike eval copies`: how well copy search finds edited copies of real photos.
//
//   alike eval copies [--photos DIR ...] [--distractors DIR ...] [--per-family N] [--seed N]
//
// It deals the photos into originals and held-out photos (cli/copy_edits.h), indexes the
// originals and the distractors into a temporary library on disk with the default embedders plus
// the perceptual hashes (cnn, color, pdq, dct64), makes per_family edited copies of originals for
// each edit family, and searches each copy with Library::SearchCopies (by bytes). The held-out
// photos are searched unedited: they are in no library, so every hit they get is a false alarm.
// Then it looks at the copies that come with the shared test data: imagededup's and imagehash's
// groups of one picture (found by Duplicates and by copy search) and OpenCV's box and graffiti
// pairs (the graffiti's matched region against its ground-truth homography).
//
// Measures (per family, and pooled over the mild, the hard and the other families):
//   recall    = copies whose most confident hit is their original / copies
//   precision = hits that are the query's original / every hit reported (min_confidence and up);
//               the pooled "all queries" row adds the held-out photos' hits, all false.
// Some photo sets hold copies of their own photos (deepface has crops and mirror images of one
// photo); a hit on an image that searching the original itself finds is counted as right, and
// reported apart as "related".
//
// Thread-safety: the command runs on the calling thread with its own search workers; the
// CopyTally helpers are plain values.
#ifndef ALIKE_CLI_EVAL_COPIES_H_
#define ALIKE_CLI_EVAL_COPIES_H_

#include <cstdint>
#include <optional>
#include <span>

#include "cli/cli_fwd.h"
#include "cli/command_context.h"
#include "cli/copy_edits.h"

namespace alike::cli {

// Adds `copies` under the `eval` command.
void AddEvalCopiesCommand(CLI::App& eval, CommandContext& ctx);

// The outcome of a set of copy searches.
struct CopyTally {
  size_t queries = 0;
  size_t found = 0;      // the most confident hit is the query's original (or a related copy)
  size_t wrong_top = 0;  // the most confident hit is some other image
  size_t hits = 0;       // every hit reported
  size_t correct_hits = 0;
  size_t related_hits = 0;  // of the correct hits, those on a related copy of the original

  // One search: `expected` is the query's original (none for a photo outside the library),
  // `related` the library's other copies of it (what searching the original itself finds: a
  // photo set can hold crops or mirror images of one photo), and `hits` the image ids reported,
  // most confident first. A hit on a related image counts as right.
  void Add(std::optional<uint64_t> expected, std::span<const uint64_t> hits,
           std::span<const uint64_t> related = {});
  void Merge(const CopyTally& other);
  size_t missed() const { return queries - found - wrong_top; }  // no hit at all
  std::optional<double> recall() const;                          // none without queries
  std::optional<double> precision() const;                       // none without hits
  // Recall >= 0.98 at precision >= 0.99 for mild edits, recall >= 0.90 at the same precision for
  // hard ones, recall >= 0.95 at precision 1 for the hard cases; always true for families
  // without a target.
  bool Meets(EditTarget target) const;
};

}  // namespace alike::cli

#endif  // ALIKE_CLI_EVAL_COPIES_H_
