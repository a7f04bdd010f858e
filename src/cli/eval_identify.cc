#include "cli/eval_identify.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "cli/face_vectors.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "library/face_rule.h"
#include "library/faces.h"
#include "library/people.h"

namespace alike::cli {
namespace {

namespace fs = std::filesystem;

struct IdentifyArgs {
  std::vector<std::string> folders;
  std::string cache;
  std::string models;
  std::string face_model;  // a face model spec's name; empty: dlib's
  int jobs = int(std::max(1u, std::thread::hardware_concurrency()));
  FaceSearchOptions options{.k = 0};
};

// The pictures of LFW-layout folders, IMAGES/Name/*.jpg, in name order.
Result<std::vector<std::string>> ListPictures(const std::vector<std::string>& folders) {
  std::vector<std::string> paths;
  for (const std::string& folder : folders) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) return Status::NotFound(folder + ": not a folder");
    std::vector<std::string> found;
    for (const auto& person : fs::directory_iterator(folder, ec)) {
      if (!person.is_directory()) continue;
      for (const auto& file : fs::directory_iterator(person.path(), ec)) {
        if (file.path().extension() == ".jpg") found.push_back(file.path().string());
      }
    }
    if (ec) return Status::IOError(folder + ": " + ec.message());
    std::sort(found.begin(), found.end());
    paths.insert(paths.end(), found.begin(), found.end());
  }
  if (paths.empty()) return Status::NotFound("no IMAGES/Name/*.jpg pictures in the folders given");
  return paths;
}

nlohmann::ordered_json ResultJson(const std::string& rule, const IdentifyResult& r) {
  return {{"rule", rule},
          {"gallery", r.gallery},
          {"queries", r.queries},
          {"threshold", r.threshold},
          {"hit_precision", r.hit_precision},
          {"gallery_recall", r.gallery_recall},
          {"rank1", r.rank1},
          {"no_hit", r.no_hit},
          {"strangers_per_query", r.strangers_per_query}};
}

void RunIdentify(CommandContext& ctx, const IdentifyArgs& args) {
  auto check = CheckFaceSearchOptions(args.options);
  if (!check.ok()) return Fail(ctx, check);
  auto paths = ListPictures(args.folders);
  if (!paths.ok()) return Fail(ctx, paths.status());
  const std::string models = args.models.empty() ? embed::DefaultModelDir() : args.models;
  auto model = embed::FindFaceModel(models, args.face_model);
  if (!model.ok()) return Fail(ctx, model.status());
  auto embedder = embed::FaceEmbedder::Open(models, {.model = *model});
  if (!embedder.ok()) return Fail(ctx, embedder.status());
  const auto start = std::chrono::steady_clock::now();
  embed::FaceTimes times;
  auto faces = EmbedPictures(
      **embedder, *paths,
      {.pick = Pick::kCentre, .median_box_fallback = true, .jobs = args.jobs, .cache = args.cache},
      times);
  if (!faces.ok()) return Fail(ctx, faces.status());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<std::vector<float>> vectors;
  std::vector<int> identity;
  std::map<std::string, int> ids;
  size_t unusable = 0;
  for (size_t i = 0; i < paths->size(); ++i) {
    const ImageFace& f = (*faces)[i];
    if (!f.vector) {
      ++unusable;
      continue;
    }
    vectors.push_back(*f.vector);
    identity.push_back(ids.emplace(LfwIdentity((*paths)[i]), int(ids.size())).first->second);
  }
  const PairDistances pairs = AllPairs(vectors, identity);
  const double tar_fars[] = {1e-3, 1e-4};
  const std::vector<TarAtFar> tars = MeasureTarAtFar(pairs, tar_fars);
  const std::vector<embed::FarPoint> measured =
      embed::MeasureCalibration(pairs.different, embed::CalibrationFars());
  const std::span<const embed::FarPoint> calibration = model->calibration;
  const float same_person = model->same_person_distance;

  // The full gallery, then one of every other person's pictures.
  std::vector<size_t> all(vectors.size()), half;
  for (size_t i = 0; i < all.size(); ++i) {
    all[i] = i;
    if (identity[i] % 2 == 0) half.push_back(i);
  }
  // The margin is given in dlib's units.
  FaceSearchOptions chosen = args.options;
  chosen.margin *= model->margin_scale;
  chosen.expansion_strangers *= model->expansion_scale;
  FaceSearchOptions fixed = chosen, size_only = chosen, with_margin = chosen, with_persons = chosen;
  fixed.threshold = same_person;
  fixed.margin = 0;
  fixed.by_person = false;
  fixed.expansion_strangers = 0;
  size_only.margin = 0;
  size_only.by_person = false;
  size_only.expansion_strangers = 0;
  with_margin.by_person = false;
  with_margin.expansion_strangers = 0;
  with_persons.margin = 0;
  with_persons.by_person = true;
  with_persons.expansion_strangers = 0;
  const std::pair<std::string, FaceSearchOptions> rules[] = {
      {"fixed threshold (pair verification's)", fixed},
      {"threshold for the size only", size_only},
      {"size + margin", with_margin},
      {"size + persons", with_persons},
      {"chosen (size + margin + expansion)", chosen}};
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::vector<std::pair<std::string, IdentifyResult>> rows;
  std::vector<std::pair<size_t, GroupingQuality>> groupings;  // gallery size, its persons
  for (const std::vector<size_t>* pictures : {&all, &half}) {
    const IdentifySplit split = SplitForIdentification(*pictures, identity);
    const std::vector<unsigned long> persons = GroupGallery(vectors, split.gallery, same_person);
    groupings.emplace_back(split.gallery.size(), MeasureGrouping(persons, identity, split.gallery));
    for (const auto& [name, options] : rules) {
      const IdentifyResult r = EvaluateIdentification(vectors, identity, split, persons,
                                                      calibration, options, same_person);
      results.push_back(ResultJson(name, r));
      rows.emplace_back(name, r);
    }
  }
  // A million faces: the chosen rule's threshold there and the share of same-person pairs
  // within it (the recall to expect); the fixed threshold's strangers grow with the size.
  const double million = 1e6;
  const float threshold_1m =
      library::FaceSearchThreshold(calibration, uint64_t(million), chosen, same_person);
  const double tar_1m = embed::TrueAcceptRate(pairs.same, threshold_1m);
  const IdentifyResult& before = rows.front().second;
  const double fixed_strangers_1m =
      before.strangers_per_query * million / std::max<double>(before.gallery, 1);

  if (ctx.json) {
    nlohmann::ordered_json tar = nlohmann::ordered_json::array();
    for (const TarAtFar& t : tars) {
      tar.push_back({{"far", t.far}, {"threshold", t.distance}, {"tar", t.tar}});
    }
    nlohmann::ordered_json table = nlohmann::ordered_json::array();
    for (const embed::FarPoint& p : measured) table.push_back({p.far, p.distance});
    nlohmann::ordered_json grouping = nlohmann::ordered_json::array();
    for (const auto& [size, g] : groupings) {
      grouping.push_back({{"gallery", size},
                          {"people", g.people},
                          {"persons_per_person", g.persons_per_person},
                          {"purity", g.purity}});
    }
    nlohmann::ordered_json j{{"pictures", paths->size()},
                             {"without_face", unusable},
                             {"people", ids.size()},
                             {"same_pairs", pairs.same.size()},
                             {"different_pairs", pairs.different.size()},
                             {"tar_at_far", tar},
                             {"calibration_measured", table},
                             {"identification", results},
                             {"persons", grouping},
                             {"million",
                              {{"threshold", threshold_1m},
                               {"same_pairs_within", tar_1m},
                               {"fixed_threshold_strangers", fixed_strangers_1m}}},
                             {"seconds", seconds}};
    std::printf("%s\n", j.dump().c_str());
    return;
  }
  std::printf("%zu pictures of %zu people (%zu without a face), %.1f s to embed\n", paths->size(),
              ids.size(), unusable, seconds);
  std::printf("pairs: %zu same, %zu different\n", pairs.same.size(), pairs.different.size());
  for (const TarAtFar& t : tars) {
    std::printf("TAR at FAR %.0e: %.2f%% (threshold %.4f)\n", t.far, 100 * t.tar, t.distance);
  }
  std::printf("calibration measured (FAR, squared L2):");
  for (const embed::FarPoint& p : measured) std::printf(" {%.0e, %.4ff},", p.far, p.distance);
  std::printf("\n\n%-34s %7s %7s %9s %9s %7s %7s %7s %9s\n", "rule", "gallery", "queries",
              "threshold", "precision", "recall", "rank-1", "no hit", "strangers");
  for (const auto& [name, r] : rows) {
    std::printf("%-34s %7zu %7zu %9.4f %9.3f %7.3f %7.3f %7.3f %9.3f\n", name.c_str(), r.gallery,
                r.queries, r.threshold, r.hit_precision, r.gallery_recall, r.rank1, r.no_hit,
                r.strangers_per_query);
  }
  for (const auto& [size, g] : groupings) {
    std::printf(
        "persons, gallery %zu: %zu people with several faces spread over %.2f persons each, "
        "purity %.3f\n",
        size, g.people, g.persons_per_person, g.purity);
  }
  std::printf(
      "\n1M faces: the chosen rule's threshold %.4f holds %.1f%% of same-person pairs; the fixed "
      "threshold would let through %.0f strangers per query\n",
      threshold_1m, 100 * tar_1m, fixed_strangers_1m);
}

}  // namespace

std::string LfwIdentity(const std::string& path) {
  return fs::path(path).parent_path().filename().string();
}

PairDistances AllPairs(std::span<const std::vector<float>> vectors, std::span<const int> identity) {
  PairDistances out;
  for (size_t i = 0; i < vectors.size(); ++i) {
    for (size_t j = i + 1; j < vectors.size(); ++j) {
      const float d = float(SquaredL2(vectors[i], vectors[j]));
      (identity[i] == identity[j] ? out.same : out.different).push_back(d);
    }
  }
  return out;
}

std::vector<TarAtFar> MeasureTarAtFar(const PairDistances& pairs, std::span<const double> fars) {
  std::vector<TarAtFar> out;
  for (const embed::FarPoint& p : embed::MeasureCalibration(pairs.different, fars)) {
    out.push_back({p.far, p.distance, embed::TrueAcceptRate(pairs.same, p.distance)});
  }
  return out;
}

IdentifySplit SplitForIdentification(std::span<const size_t> pictures,
                                     std::span<const int> identity) {
  std::map<int, size_t> count;
  for (size_t i : pictures) ++count[identity[i]];
  IdentifySplit split;
  std::map<int, bool> asked;
  for (size_t i : pictures) {
    const int who = identity[i];
    if (count[who] > 1 && !asked[who]) {
      asked[who] = true;
      split.queries.push_back(i);
    } else {
      split.gallery.push_back(i);
    }
  }
  return split;
}

std::vector<unsigned long> GroupGallery(std::span<const std::vector<float>> vectors,
                                        std::span<const size_t> gallery, float same_person) {
  std::map<std::pair<unsigned long, unsigned long>, float> links;
  for (unsigned long a = 0; a < gallery.size(); ++a) {
    std::vector<std::pair<float, unsigned long>> near;
    for (unsigned long b = 0; b < gallery.size(); ++b) {
      const float d = float(SquaredL2(vectors[gallery[a]], vectors[gallery[b]]));
      if (b != a && d < same_person) near.emplace_back(d, b);
    }
    const size_t keep = std::min(near.size(), library::kGroupingNeighbours);
    std::partial_sort(near.begin(), near.begin() + keep, near.end());
    for (size_t n = 0; n < keep; ++n) {
      links[{std::min(a, near[n].second), std::max(a, near[n].second)}] = near[n].first;
    }
  }
  const std::vector<unsigned long> labels =
      library::ClusterFaces(gallery.size(), links, same_person);
  std::vector<unsigned long> persons(vectors.size(), 0);
  for (size_t g = 0; g < gallery.size(); ++g) persons[gallery[g]] = labels[g];
  return persons;
}

GroupingQuality MeasureGrouping(std::span<const unsigned long> persons,
                                std::span<const int> identity, std::span<const size_t> gallery) {
  std::map<int, std::set<unsigned long>> persons_of;       // labelled person -> persons
  std::map<unsigned long, std::map<int, size_t>> members;  // person -> labelled person -> faces
  for (size_t g : gallery) {
    persons_of[identity[g]].insert(persons[g]);
    ++members[persons[g]][identity[g]];
  }
  std::map<int, size_t> faces_of;
  for (size_t g : gallery) ++faces_of[identity[g]];
  GroupingQuality q;
  size_t spread = 0;
  for (const auto& [who, faces] : faces_of) {
    if (faces < 2) continue;
    ++q.people;
    spread += persons_of[who].size();
  }
  size_t pure = 0;
  for (const auto& [person, labelled] : members) {
    size_t most = 0;
    for (const auto& [who, faces] : labelled) most = std::max(most, faces);
    pure += most;
  }
  q.persons_per_person = q.people ? double(spread) / double(q.people) : 0;
  q.purity = gallery.empty() ? 0 : double(pure) / double(gallery.size());
  return q;
}

IdentifyResult EvaluateIdentification(std::span<const std::vector<float>> vectors,
                                      std::span<const int> identity, const IdentifySplit& split,
                                      std::span<const unsigned long> persons,
                                      std::span<const embed::FarPoint> calibration,
                                      const FaceSearchOptions& options, float same_person) {
  IdentifyResult r{.queries = split.queries.size(), .gallery = split.gallery.size()};
  const library::FaceThresholds thresholds =
      library::FaceSearchThresholds(calibration, split.gallery.size(), options, same_person);
  r.threshold = thresholds.search;
  // The gallery searched by brute force; a face's id is its index in `vectors`.
  const library::FaceLookup lookup{
      .near = [&](std::span<const float> vector,
                  float max_distance) -> Result<std::vector<FaceHit>> {
        std::vector<FaceHit> near;
        for (size_t g : split.gallery) {
          const float d = library::SquaredL2(vector, vectors[g]);
          if (d > max_distance) continue;
          FaceHit hit{.image_id = g, .face_id = g, .distance = d};
          if (!persons.empty()) hit.person = persons[g];
          near.push_back(std::move(hit));
        }
        return near;
      },
      .vector_of = [&](uint64_t face_id) -> Result<std::vector<float>> {
        return vectors[face_id];
      }};
  std::map<int, size_t> gallery_of;  // person -> gallery pictures
  for (size_t g : split.gallery) ++gallery_of[identity[g]];
  size_t hits = 0, right = 0, wanted = 0, first_right = 0, answered = 0;
  for (size_t q : split.queries) {
    auto ranked = library::FindFaceHits(vectors[q], thresholds, options, lookup);
    if (!ranked.ok()) continue;  // the brute-force lookup never fails
    const std::vector<FaceHit>& found = *ranked;
    wanted += gallery_of[identity[q]];
    hits += found.size();
    for (const FaceHit& h : found) right += identity[h.image_id] == identity[q];
    if (!found.empty()) {
      ++answered;
      first_right += identity[found.front().image_id] == identity[q];
    }
  }
  r.hit_precision = hits ? double(right) / hits : 1;
  r.gallery_recall = wanted ? double(right) / wanted : 0;
  r.rank1 = answered ? double(first_right) / answered : 0;
  r.no_hit = r.queries ? 1 - double(answered) / r.queries : 0;
  r.strangers_per_query = r.queries ? double(hits - right) / r.queries : 0;
  return r;
}

void AddEvalFacesCommand(CLI::App& eval, CommandContext& ctx) {
  auto args = std::make_shared<IdentifyArgs>();
  CLI::App* faces = eval.add_subcommand(
      "faces", "Face identification (1:N) on LFW-layout folders, TAR at FAR and calibration");
  faces->add_option("images", args->folders, "Folders IMAGES/Name/Name_0001.jpg")->required();
  faces->add_option("--cache", args->cache,
                    "Keep face vectors in this file and reuse them (JSON lines; outside the repo)");
  faces->add_option("-j,--jobs", args->jobs, "Embedding threads (default: cores)");
  faces->add_option("--models", args->models,
                    "Models directory (default: $ALIKE_MODELS or setup.sh's)");
  faces->add_option("--face-model", args->face_model,
                    "Face model: a face model spec's name in the models directory (default: dlib)");
  FaceSearchOptions& options = args->options;
  faces->add_option("-k", options.k, "Hits per query (0: all)")->capture_default_str();
  faces->add_option("--threshold", options.threshold, "Fixed threshold (0: chosen for the size)")
      ->capture_default_str();
  faces->add_option("--strangers", options.strangers_per_query, "Strangers per query to allow")
      ->capture_default_str();
  faces->add_option("--margin", options.margin, "Margin over the best hit (0: off)")
      ->capture_default_str();
  faces
      ->add_option("--expansion-strangers", options.expansion_strangers,
                   "Query expansion's strangers per query (0: off)")
      ->capture_default_str();
  faces->add_flag("--person-rank", options.by_person,
                  "Rank persons with several near faces before lone look-alikes");
  faces->callback([&ctx, args] {
    if (args->jobs < 1) return Fail(ctx, Status::InvalidArgument("-j must be at least 1"));
    RunIdentify(ctx, *args);
  });
}

}  // namespace alike::cli
