// `alike eval faces`: face identification (1:N) on labelled pictures, and the pair statistics
// behind face search's rule (library/face_rule.h): TAR at fixed FARs and the FAR calibration.
//
//   alike eval faces IMAGES... [--cache FILE]   LFW-layout folders, IMAGES/Name/Name_0001.jpg
//
// Every person with several pictures gives one held-out picture as a query (its first); the
// gallery is every other picture, people with one picture being distractors. The gallery's
// faces are grouped into persons as a library groups them, and each query is answered by the
// library's rule at its size. A second, half-size gallery (every other person) shows how
// strangers grow with the library.
//
// Thread-safety: pure functions; the command runs on the calling thread with its own workers.
#ifndef ALIKE_CLI_EVAL_IDENTIFY_H_
#define ALIKE_CLI_EVAL_IDENTIFY_H_

#include <span>
#include <string>
#include <vector>

#include "alike/library.h"
#include "cli/cli_fwd.h"
#include "cli/command_context.h"
#include "embed/face_calibration.h"

namespace alike::cli {

void AddEvalFacesCommand(CLI::App& eval, CommandContext& ctx);

// The person an LFW picture shows: the name of its folder.
std::string LfwIdentity(const std::string& path);

// Squared distances of all pairs of faces, by whether they show one person.
struct PairDistances {
  std::vector<float> same, different;
};
PairDistances AllPairs(std::span<const std::vector<float>> vectors, std::span<const int> identity);

struct TarAtFar {
  double far = 0;
  float distance = 0;  // the threshold with that FAR
  double tar = 0;      // share of same-person pairs closer
};
std::vector<TarAtFar> MeasureTarAtFar(const PairDistances& pairs, std::span<const double> fars);

// A 1:N split: query and gallery pictures (indices into the vectors).
struct IdentifySplit {
  std::vector<size_t> queries, gallery;
};
// The first picture of each person with several among `pictures` is a query, the rest gallery.
IdentifySplit SplitForIdentification(std::span<const size_t> pictures,
                                     std::span<const int> identity);

struct IdentifyResult {
  size_t queries = 0, gallery = 0;
  float threshold = 0;             // the rule's for this gallery's size
  double hit_precision = 0;        // hits of the query's person / hits
  double gallery_recall = 0;       // hits of the query's person / its gallery pictures
  double rank1 = 0;                // queries whose first hit is their person / queries with a hit
  double no_hit = 0;               // share of queries without a hit
  double strangers_per_query = 0;  // hits of other people per query
};

// Answers every query of `split` by library::RankFaceHits with `options` at the threshold
// FaceSearchThreshold gives for the gallery's size; `persons` labels the gallery's faces as the
// library groups them (indexed like the vectors; empty: no persons); `same_person`: the face
// model's pair threshold.
IdentifyResult EvaluateIdentification(std::span<const std::vector<float>> vectors,
                                      std::span<const int> identity, const IdentifySplit& split,
                                      std::span<const unsigned long> persons,
                                      std::span<const embed::FarPoint> calibration,
                                      const FaceSearchOptions& options,
                                      float same_person = kSamePersonDistance);

// The library's persons for the gallery's faces (library/people.h's grouping at `same_person`,
// the face model's pair threshold): a label per vector, gallery ones set.
std::vector<unsigned long> GroupGallery(std::span<const std::vector<float>> vectors,
                                        std::span<const size_t> gallery,
                                        float same_person = kSamePersonDistance);

// How the gallery's faces fall into persons (GroupGallery's labels): for the labelled people with
// several gallery faces, the mean number of persons their faces are spread over; and the purity,
// the share of the gallery's faces whose person's most common labelled person is theirs.
struct GroupingQuality {
  size_t people = 0;  // labelled people with several gallery faces
  double persons_per_person = 0;
  double purity = 0;
};
GroupingQuality MeasureGrouping(std::span<const unsigned long> persons,
                                std::span<const int> identity, std::span<const size_t> gallery);

}  // namespace alike::cli

#endif  // ALIKE_CLI_EVAL_IDENTIFY_H_
