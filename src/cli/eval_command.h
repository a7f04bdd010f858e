// `alike eval`: measures the face embedder on labelled face pairs (and, through
// cli/eval_copies.h, copy search on edited copies).
//
//   alike eval lfw PAIRS IMAGES [--folds 10]   Labeled Faces in the Wild, verification protocol
//   alike eval deepface DIR                    deepface's master.csv pairs over full-size photos
//   alike eval copies [--photos DIR ...]       copy search, per edit family (eval_copies.h)
//
// Verification accuracy follows the LFW protocol: the pairs are split into folds; for each fold
// the distance threshold that best separates same from different people on the other folds is
// applied to it; the result is the mean (and standard deviation) of the folds' accuracies.
//
// Thread-safety: the command functions run on the calling thread and use their own workers; the
// helpers below are pure functions.
#ifndef ALIKE_CLI_EVAL_COMMAND_H_
#define ALIKE_CLI_EVAL_COMMAND_H_

#include <string>
#include <vector>

#include "alike/status.h"
#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddEvalCommand(CLI::App& app, CommandContext& ctx);

// One labelled pair of pictures.
struct FacePair {
  std::string a, b;  // image paths
  bool same = false;
  int fold = 0;  // 0-based
};

// LFW's pairs.txt: a first line "SETS N", then per set N same-person lines "name i j" and N
// different-person lines "name1 i name2 j"; images are IMAGES/name/name_0001.jpg. With `folds`
// equal to SETS, each set is a fold; otherwise all pairs are dealt into `folds` folds, same and
// different pairs separately, in consecutive runs, so every fold holds both kinds equally.
Result<std::vector<FacePair>> ReadLfwPairs(const std::string& pairs_file,
                                           const std::string& images_dir, int folds);

// deepface's master.csv ("file_x,file_y,Decision" with Yes/No) in DIR, dealt into `folds` folds
// as ReadLfwPairs does.
Result<std::vector<FacePair>> ReadDeepfacePairs(const std::string& dir, int folds);

struct FoldResult {
  double threshold = 0;  // chosen on the other folds
  double accuracy = 0;   // on this fold
  size_t pairs = 0;      // in this fold (0: an empty fold, accuracy meaningless)
};

// Cross-validated verification, one result per fold number: `distance[i]` belongs to `pairs[i]`
// (infinite when a face is missing: judged "different").
std::vector<FoldResult> CrossValidate(const std::vector<FacePair>& pairs,
                                      const std::vector<double>& distance);

}  // namespace alike::cli

#endif  // ALIKE_CLI_EVAL_COMMAND_H_
