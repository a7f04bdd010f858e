#include "cli/eval_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <thread>

#include "cli/eval_copies.h"
#include "cli/eval_identify.h"
#include "cli/face_vectors.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "image/decoder.h"
#include "util/text.h"

namespace alike::cli {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Deals pairs into `folds` folds: the i-th of n same-person pairs (and likewise the different
// ones) goes to fold i * folds / n, so folds are consecutive runs holding both kinds equally.
void DealFolds(std::vector<FacePair>& pairs, int folds) {
  for (bool same : {true, false}) {
    const size_t n = std::count_if(pairs.begin(), pairs.end(),
                                   [&](const FacePair& p) { return p.same == same; });
    size_t i = 0;
    for (FacePair& p : pairs) {
      if (p.same == same) p.fold = int(i++ * folds / n);
    }
  }
}

std::string LfwImage(const std::string& dir, const std::string& name, int index) {
  char file[32];
  std::snprintf(file, sizeof(file), "_%04d.jpg", index);
  return dir + "/" + name + "/" + name + file;
}

// The threshold that classifies the most pairs right as "same person when distance < t".
double BestThreshold(std::vector<std::pair<double, bool>> v) {
  std::sort(v.begin(), v.end());
  // Below every distance all pairs are judged different: the different ones are right.
  int correct = int(std::count_if(v.begin(), v.end(), [](const auto& p) { return !p.second; }));
  int best = correct;
  double best_t = v.empty() || !std::isfinite(v[0].first) ? 0 : v[0].first - 1e-6;
  for (size_t i = 0; i < v.size() && std::isfinite(v[i].first); ++i) {
    correct += v[i].second ? 1 : -1;  // the threshold passes v[i]: judged same from now on
    if (i + 1 < v.size() && v[i + 1].first == v[i].first) continue;  // ties move together
    if (correct > best) {
      best = correct;
      best_t = i + 1 < v.size() && std::isfinite(v[i + 1].first) ? (v[i].first + v[i + 1].first) / 2
                                                                 : v[i].first + 1e-6;
    }
  }
  return best_t;
}

struct Stats {
  double mean = 0, sd = 0;
};

Stats MeanSd(const std::vector<double>& xs) {
  Stats s;
  if (xs.empty()) return s;
  for (double x : xs) s.mean += x;
  s.mean /= xs.size();
  for (double x : xs) s.sd += (x - s.mean) * (x - s.mean);
  s.sd = xs.size() > 1 ? std::sqrt(s.sd / (xs.size() - 1)) : 0;
  return s;
}

struct EvalArgs {
  std::string pairs;   // lfw: pairs.txt
  std::string images;  // lfw: the images folder; deepface: the folder with master.csv
  int folds = 10;
  int jobs = int(std::max(1u, std::thread::hardware_concurrency()));
  std::string models;
  std::string detector = "yunet";
  int min_face = embed::FaceDetectorOptions{}.min_face;
  int max_side = embed::FaceDetectorOptions{}.max_side;
  bool no_flip = false;
  int jitter = 0;
  std::string cache;       // face vectors kept across runs (face_vectors.h)
  std::string face_model;  // a face model spec's name; empty: dlib's
};

void RunEval(CommandContext& ctx, const std::string& set, const EvalArgs& args) {
  if (args.folds < 2) return Fail(ctx, Status::InvalidArgument("--folds must be at least 2"));
  if (args.jobs < 1) return Fail(ctx, Status::InvalidArgument("-j must be at least 1"));
  const bool lfw = set == "lfw";
  auto pairs = lfw ? ReadLfwPairs(args.pairs, args.images, args.folds)
                   : ReadDeepfacePairs(args.images, args.folds);
  if (!pairs.ok()) return Fail(ctx, pairs.status());
  auto kind = embed::ParseFaceDetector(args.detector);
  if (!kind.ok()) return Fail(ctx, kind.status());
  embed::FaceEmbedderOptions options;
  options.detector.kind = *kind;
  options.detector.min_face = args.min_face;
  options.detector.max_side = args.max_side;
  options.flip_average = !args.no_flip;
  options.jitter = args.jitter;
  const std::string models = args.models.empty() ? embed::DefaultModelDir() : args.models;
  auto model = embed::FindFaceModel(models, args.face_model);
  if (!model.ok()) return Fail(ctx, model.status());
  options.model = std::move(*model);
  auto embedder = embed::FaceEmbedder::Open(models, options);
  if (!embedder.ok()) return Fail(ctx, embedder.status());

  std::map<std::string, size_t> index;  // image path -> position in `paths`
  std::vector<std::string> paths;
  for (const FacePair& p : *pairs) {
    for (const std::string& path : {p.a, p.b}) {
      if (index.emplace(path, paths.size()).second) paths.push_back(path);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  embed::FaceTimes times;
  auto embedded = EmbedPictures(**embedder, paths,
                                {.pick = lfw ? Pick::kCentre : Pick::kLargest,
                                 .median_box_fallback = lfw,
                                 .jobs = args.jobs,
                                 .cache = args.cache},
                                times);
  if (!embedded.ok()) return Fail(ctx, embedded.status());
  const std::vector<ImageFace>& faces = *embedded;
  size_t detected = 0, failed = 0;
  std::vector<std::string> missed, errors;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!faces[i].error.ok()) {
      ++failed;
      errors.push_back(faces[i].error.ToString());
    } else if (faces[i].vector && !faces[i].fallback) {
      ++detected;
    } else {
      missed.push_back(paths[i]);
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::vector<double> distance;
  for (const FacePair& p : *pairs) {
    const ImageFace& a = faces[index[p.a]];
    const ImageFace& b = faces[index[p.b]];
    distance.push_back(a.vector && b.vector ? SquaredL2(*a.vector, *b.vector) : kInf);
  }
  const std::vector<FoldResult> folds = CrossValidate(*pairs, distance);
  std::vector<double> accuracies, thresholds;
  for (const FoldResult& f : folds) {
    if (f.pairs == 0) continue;
    accuracies.push_back(f.accuracy);
    thresholds.push_back(f.threshold);
  }
  const Stats acc = MeanSd(accuracies), thr = MeanSd(thresholds);
  // The pairs judged wrong at their fold's threshold, for looking at.
  nlohmann::ordered_json wrong = nlohmann::ordered_json::array();
  for (size_t i = 0; i < pairs->size(); ++i) {
    const FacePair& p = (*pairs)[i];
    if ((distance[i] < folds[p.fold].threshold) != p.same) {
      wrong.push_back({{"a", p.a},
                       {"b", p.b},
                       {"same", p.same},
                       {"distance", std::isfinite(distance[i]) ? nlohmann::ordered_json(distance[i])
                                                               : nlohmann::ordered_json(nullptr)}});
    }
  }
  // TAR at fixed FARs over every pair the embedded LFW pictures form (people by folder name).
  std::vector<TarAtFar> tars;
  PairDistances all_pairs;
  if (lfw) {
    std::vector<std::vector<float>> vectors;
    std::vector<int> identity;
    std::map<std::string, int> ids;
    for (size_t i = 0; i < paths.size(); ++i) {
      if (!faces[i].vector) continue;
      vectors.push_back(*faces[i].vector);
      identity.push_back(ids.emplace(LfwIdentity(paths[i]), int(ids.size())).first->second);
    }
    all_pairs = AllPairs(vectors, identity);
    const double fars[] = {1e-3, 1e-4};
    tars = MeasureTarAtFar(all_pairs, fars);
  }
  nlohmann::ordered_json tar_json = nlohmann::ordered_json::array();
  for (const TarAtFar& t : tars) {
    tar_json.push_back({{"far", t.far}, {"threshold", t.distance}, {"tar", t.tar}});
  }
  const size_t same =
      std::count_if(pairs->begin(), pairs->end(), [](const FacePair& p) { return p.same; });
  const embed::FaceModelSpec& spec = (*embedder)->model();
  const bool flipped = spec.is_dlib() ? !args.no_flip : spec.network.flip_average;
  const size_t n_faces = std::max<size_t>(times.faces, 1);
  const double per_face = (times.landmarks_ms + times.align_ms + times.embed_ms) / n_faces;

  if (ctx.json) {
    nlohmann::ordered_json j{
        {"set", set},
        {"pairs", pairs->size()},
        {"same", same},
        {"images", paths.size()},
        {"detected", detected},
        {"no_face", missed},
        {"unreadable", errors},
        {"folds", accuracies.size()},
        {"accuracy", acc.mean},
        {"accuracy_sd", acc.sd},
        {"fold_accuracies", accuracies},
        {"threshold", thr.mean},
        {"tar_at_far", tar_json},
        {"same_pairs_all", all_pairs.same.size()},
        {"different_pairs_all", all_pairs.different.size()},
        {"wrong", wrong},
        {"detector", args.detector},
        {"face_model", spec.name},
        {"flip_average", flipped},
        {"jitter", args.jitter},
        {"seconds", seconds},
        {"threads", args.jobs},
        {"faces_embedded", times.faces},
        {"detect_ms_per_image", times.detect_ms / std::max<size_t>(paths.size(), 1)},
        {"landmarks_ms_per_face", times.landmarks_ms / n_faces},
        {"align_ms_per_face", times.align_ms / n_faces},
        {"embed_ms_per_face", times.embed_ms / n_faces}};
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("%s: %zu pairs (%zu same, %zu different) over %zu images, %zu folds\n", set.c_str(),
                pairs->size(), same, pairs->size() - same, paths.size(), accuracies.size());
    std::printf("faces: detected in %zu of %zu images", detected, paths.size());
    if (!missed.empty()) {
      std::printf("; none in %zu (%s)%s", missed.size(), JoinList(missed, ", ").c_str(),
                  lfw ? ", embedded from the median face box" : ", judged 'different'");
    }
    if (failed > 0) std::printf("; %zu unreadable", failed);
    std::printf(
        "\naccuracy: %.2f%% +- %.2f (threshold %.4f +- %.4f, squared L2, chosen on the "
        "other folds)\n",
        100 * acc.mean, 100 * acc.sd, thr.mean, thr.sd);
    for (const TarAtFar& t : tars) {
      std::printf(
          "TAR at FAR %.0e: %.2f%% (threshold %.4f; all %zu same and %zu different pairs)\n", t.far,
          100 * t.tar, t.distance, all_pairs.same.size(), all_pairs.different.size());
    }
    std::printf(
        "time: %.1f s on %d threads (model %s, %s, %s, %d jittered copies); per image: detect "
        "%.1f ms; per face: landmarks %.2f ms, align %.2f ms, embed %.1f ms (%zu faces)\n",
        seconds, args.jobs, spec.name.c_str(), args.detector.c_str(),
        flipped ? "flip-averaged" : "no flip", args.jitter,
        times.detect_ms / std::max<size_t>(paths.size(), 1), times.landmarks_ms / n_faces,
        times.align_ms / n_faces, times.embed_ms / n_faces, times.faces);
    std::printf("      CPU ms per face after detection: %.1f\n", per_face);
    const size_t cached =
        std::count_if(faces.begin(), faces.end(), [](const ImageFace& f) { return f.cached; });
    if (cached > 0) std::printf("      %zu pictures read from %s\n", cached, args.cache.c_str());
    for (const auto& w : wrong) {
      std::printf("wrong: %s %s %s, distance %s\n", w["same"].get<bool>() ? "same" : "different",
                  w["a"].get<std::string>().c_str(), w["b"].get<std::string>().c_str(),
                  w["distance"].dump().c_str());
    }
    for (const std::string& e : errors) std::printf("error: %s\n", e.c_str());
  }
  if (failed > 0) ctx.exit_code = 1;
}

}  // namespace

Result<std::vector<FacePair>> ReadLfwPairs(const std::string& pairs_file,
                                           const std::string& images_dir, int folds) {
  std::ifstream in(pairs_file);
  if (!in) return Status::NotFound(pairs_file + ": cannot open");
  int sets = 0, n = 0;
  if (!(in >> sets >> n) || sets < 1 || n < 1) {
    return Status::InvalidArgument(pairs_file + ": the first line must be 'SETS PAIRS'");
  }
  std::vector<FacePair> pairs;
  std::string line;
  std::getline(in, line);  // the rest of the header line
  int line_no = 1;
  for (int s = 0; s < sets; ++s) {
    for (int k = 0; k < 2 * n; ++k) {
      ++line_no;
      if (!std::getline(in, line)) {
        return Status::InvalidArgument(pairs_file + ": ends at line " + std::to_string(line_no) +
                                       ", expected " + std::to_string(sets * 2 * n) + " pairs");
      }
      std::istringstream fields(line);
      std::string name1, name2;
      int i = 0, j = 0;
      const bool same = k < n;
      const bool ok =
          same ? bool(fields >> name1 >> i >> j) : bool(fields >> name1 >> i >> name2 >> j);
      if (!ok) {
        return Status::InvalidArgument(pairs_file + ":" + std::to_string(line_no) + ": expected " +
                                       (same ? "'name i j'" : "'name1 i name2 j'"));
      }
      pairs.push_back(
          {LfwImage(images_dir, name1, i), LfwImage(images_dir, same ? name1 : name2, j), same, s});
    }
  }
  if (folds != sets) DealFolds(pairs, folds);
  return pairs;
}

Result<std::vector<FacePair>> ReadDeepfacePairs(const std::string& dir, int folds) {
  const std::string file = dir + "/master.csv";
  std::ifstream in(file);
  if (!in) return Status::NotFound(file + ": cannot open");
  std::vector<FacePair> pairs;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line_no == 1) continue;  // the header
    const std::vector<std::string> f = SplitList(line, ',');
    if (f.size() != 3 || (f[2] != "Yes" && f[2] != "No")) {
      return Status::InvalidArgument(file + ":" + std::to_string(line_no) +
                                     ": expected 'file_x,file_y,Yes|No'");
    }
    pairs.push_back({dir + "/" + f[0], dir + "/" + f[1], f[2] == "Yes", 0});
  }
  if (pairs.empty()) return Status::InvalidArgument(file + ": no pairs");
  DealFolds(pairs, folds);
  return pairs;
}

std::vector<FoldResult> CrossValidate(const std::vector<FacePair>& pairs,
                                      const std::vector<double>& distance) {
  int folds = 0;
  for (const FacePair& p : pairs) folds = std::max(folds, p.fold + 1);
  std::vector<FoldResult> results;
  for (int k = 0; k < folds; ++k) {
    std::vector<std::pair<double, bool>> train;
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (pairs[i].fold != k) train.emplace_back(distance[i], pairs[i].same);
    }
    const double t = BestThreshold(std::move(train));
    size_t right = 0, total = 0;
    for (size_t i = 0; i < pairs.size(); ++i) {
      if (pairs[i].fold != k) continue;
      ++total;
      if ((distance[i] < t) == pairs[i].same) ++right;
    }
    results.push_back({t, total > 0 ? double(right) / total : 0, total});
  }
  return results;
}

void AddEvalCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* eval = app.add_subcommand(
      "eval", "Measure face verification on labelled pairs, or copy search on edited copies");
  eval->require_subcommand(1);
  auto args = std::make_shared<EvalArgs>();
  auto common = [args](CLI::App* cmd) {
    cmd->add_option("--folds", args->folds, "Cross-validation folds")->capture_default_str();
    cmd->add_option("-j,--jobs", args->jobs, "Embedding threads (default: cores)");
    cmd->add_option("--models", args->models,
                    "Models directory (default: $ALIKE_MODELS or setup.sh's)");
    cmd->add_option("--detector", args->detector, "Face detector: yunet, hog or mmod")
        ->capture_default_str();
    cmd->add_option("--min-face", args->min_face, "Smallest face searched for, in pixels")
        ->capture_default_str();
    cmd->add_option("--max-side", args->max_side, "Longest side a picture is examined at")
        ->capture_default_str();
    cmd->add_option("--face-model", args->face_model,
                    "Face model: a face model spec's name in the models directory (default: dlib)");
    cmd->add_flag("--no-flip", args->no_flip, "Do not average with the mirrored face");
    cmd->add_option("--jitter", args->jitter, "Also average this many jittered copies of a face")
        ->capture_default_str();
    cmd->add_option("--cache", args->cache,
                    "Keep face vectors in this file and reuse them (JSON lines; outside the repo)");
  };
  CLI::App* lfw = eval->add_subcommand("lfw", "LFW verification accuracy (pairs.txt protocol)");
  lfw->add_option("pairs", args->pairs, "pairs.txt")->required();
  lfw->add_option("images", args->images, "Folder of the images, IMAGES/Name/Name_0001.jpg")
      ->required();
  common(lfw);
  lfw->callback([&ctx, args] { RunEval(ctx, "lfw", *args); });
  CLI::App* deepface = eval->add_subcommand("deepface", "Accuracy on deepface's master.csv pairs");
  deepface->add_option("dir", args->images, "Folder holding master.csv and the photos")->required();
  common(deepface);
  deepface->callback([&ctx, args] { RunEval(ctx, "deepface", *args); });
  AddEvalFacesCommand(*eval, ctx);
  AddEvalCopiesCommand(*eval, ctx);
}

}  // namespace alike::cli
