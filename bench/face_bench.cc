// alike-bench faces: how fast the face pipeline runs, and how long a face search takes.
//
//   alike-bench faces [--photos DIR] [--models DIR] [--threads 2] [--rounds 2]
//                     [--n 100000] [--queries 1000] [--k 10] [--seed 42] [--quick]
//
// 1. Pipeline: the deepface photos (full-size, unaligned; decoded beforehand, so decoding is
//    not counted) through FaceEmbedder::Embed on `threads` threads: images/s and faces/s by the
//    wall clock, and the time of each stage (detection, landmarks, alignment, network) per
//    image and per face, summed over the threads; also the CPU time per image, which varies
//    far less than wall time on a shared machine, and the rate it allows with `threads` free
//    cores (an upper bound).
// 2. Search: n synthetic faces in an l2 HNSW collection shaped like a library's face space
//    (128-d unit vectors, 10 faces per made-up person around its centre, same-person squared
//    distances near 0.1 as real faces have). Latency percentiles of single searches (k nearest
//    within the same-person threshold) from one thread, beside exact search, which also gives
//    the recall.
// See bench/README.md.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "alike/library.h"
#include "alike/vector_db.h"
#include "bench_util.h"
#include "commands.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "image/decoder.h"
#include "table.h"

namespace alike::bench {
namespace {

constexpr size_t kDimension = 128;
constexpr size_t kFacesPerPerson = 10;
// Per-component noise around a person's centre: two faces of one person then lie about 0.1
// apart (squared L2, after normalisation), like real faces of one person under the face model.
constexpr float kFaceNoise = 0.02f;
constexpr size_t kUpsertBatch = 10000;

struct FaceArgs {
  std::string photos = ALIKE_BENCH_FACES_DIR;
  std::string models;
  unsigned threads = 2;
  unsigned rounds = 2;
  size_t n = 100000;
  size_t queries = 1000;
  size_t k = 10;
  uint64_t seed = 42;
  bool quick = false;
};

std::vector<float> Around(const std::vector<float>& centre, std::mt19937_64& rng) {
  std::normal_distribution<float> noise(0, kFaceNoise);
  std::vector<float> v = centre;
  for (float& x : v) x += noise(rng);
  embed::L2Normalize(v);
  return v;
}

void BenchPipeline(const FaceArgs& args) {
  const std::string models = args.models.empty() ? embed::DefaultModelDir() : args.models;
  auto embedder = embed::FaceEmbedder::Open(models);
  CheckOk(embedder.status(), "face embedder in " + models);
  std::vector<cv::Mat> photos;
  for (const auto& e : std::filesystem::directory_iterator(args.photos)) {
    if (e.path().extension() != ".jpg") continue;
    auto img = image::DecodeFile(e.path().string());
    CheckOk(img.status(), e.path().string());
    photos.push_back(img->bgr);
  }
  if (photos.empty()) Fail("no .jpg photos in " + args.photos);
  std::printf("pipeline: %zu photos from %s, %u threads, %u rounds\n", photos.size(),
              args.photos.c_str(), args.threads, args.rounds);
  Table table({"round", "images/s", "faces/s", "detect ms/image", "landmarks ms/face",
               "align ms/face", "network ms/face", "CPU ms/image", "CPU-bound images/s"});
  for (unsigned round = 0; round < args.rounds; ++round) {
    std::mutex mu;
    embed::FaceTimes total;
    const double cpu_start = ProcessCpuSeconds();
    Stopwatch watch;
    ParallelFor(photos.size(), args.threads, [&](size_t i) {
      embed::FaceTimes times;
      auto faces = (*embedder)->Embed(photos[i], &times);
      CheckOk(faces.status(), "embed");
      std::lock_guard lock(mu);
      total.detect_ms += times.detect_ms;
      total.landmarks_ms += times.landmarks_ms;
      total.align_ms += times.align_ms;
      total.embed_ms += times.embed_ms;
      total.faces += faces->size();
    });
    const double seconds = watch.Seconds();
    const double cpu_ms = (ProcessCpuSeconds() - cpu_start) * 1000;
    const double faces = static_cast<double>(std::max<size_t>(total.faces, 1));
    table.AddRow(
        {std::to_string(round + 1), FormatRate(photos.size() / seconds),
         FormatRate(total.faces / seconds), FormatFixed(total.detect_ms / photos.size(), 1),
         FormatFixed(total.landmarks_ms / faces, 2), FormatFixed(total.align_ms / faces, 2),
         FormatFixed(total.embed_ms / faces, 1), FormatFixed(cpu_ms / photos.size(), 0),
         FormatRate(args.threads * 1000 * photos.size() / cpu_ms)});
    if (round == 0) std::printf("  %zu faces in %zu photos\n", total.faces, photos.size());
  }
  table.Print(stdout);
}

void BenchSearch(const FaceArgs& args) {
  std::mt19937_64 rng(args.seed);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> centres((args.n + kFacesPerPerson - 1) / kFacesPerPerson);
  for (auto& c : centres) {
    c.resize(kDimension);
    for (float& x : c) x = normal(rng);
    embed::L2Normalize(c);
  }
  const std::string dir = std::filesystem::temp_directory_path().string() + "/alike-bench-faces-" +
                          std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  auto db = Database::Open(dir, {.sync = SyncPolicy::kNone});
  CheckOk(db.status(), "open " + dir);
  auto collection = (*db)->CreateCollection(
      "image.face", {.dimension = kDimension, .metric = Metric::kL2, .index = IndexKind::kHnsw});
  CheckOk(collection.status(), "create");
  Stopwatch build;
  for (size_t start = 0; start < args.n; start += kUpsertBatch) {
    std::vector<Record> batch;
    for (size_t i = start; i < std::min(args.n, start + kUpsertBatch); ++i) {
      batch.push_back({.id = i << 12,
                       .vector = Around(centres[i / kFacesPerPerson], rng),
                       .payload = R"({"image": )" + std::to_string(i) +
                                  R"(, "box": [10, 20, 90, 90], "score": 0.9})"});
    }
    CheckOk((*collection)->Upsert(batch), "upsert");
  }
  std::printf("\nsearch: %zu synthetic faces (%zu persons), built in %.1f s\n", args.n,
              centres.size(), build.Seconds());
  std::vector<std::vector<float>> queries;
  for (size_t q = 0; q < args.queries; ++q)
    queries.push_back(Around(centres[rng() % centres.size()], rng));
  Table table({"search", "p50 ms", "p95 ms", "p99 ms", "queries/s", "recall@k"});
  std::vector<std::vector<uint64_t>> exact_ids;
  for (bool exact : {true, false}) {
    std::vector<double> ms;
    size_t found = 0, wanted = 0;
    Stopwatch all;
    for (size_t q = 0; q < queries.size(); ++q) {
      Stopwatch one;
      auto hits = (*collection)
                      ->Search({.vector = queries[q]},
                               {.k = args.k, .max_distance = kSamePersonDistance, .exact = exact});
      ms.push_back(one.Seconds() * 1000);
      CheckOk(hits.status(), "search");
      std::vector<uint64_t> ids;
      for (const Hit& h : *hits) ids.push_back(h.id);
      if (exact) {
        exact_ids.push_back(ids);
      } else {
        wanted += exact_ids[q].size();
        for (uint64_t id : ids) {
          found += std::find(exact_ids[q].begin(), exact_ids[q].end(), id) != exact_ids[q].end();
        }
      }
    }
    const double seconds = all.Seconds();
    table.AddRow({exact ? "exact scan" : "HNSW (ef 64)", FormatFixed(Percentile(ms, 50), 3),
                  FormatFixed(Percentile(ms, 95), 3), FormatFixed(Percentile(ms, 99), 3),
                  FormatRate(queries.size() / seconds),
                  exact ? "1" : FormatFixed(wanted ? double(found) / wanted : 1, 3)});
  }
  table.Print(stdout);
  collection->reset();
  db->reset();
  std::filesystem::remove_all(dir);
}

}  // namespace

Command AddFacesCommand(CLI::App& app) {
  auto args = std::make_shared<FaceArgs>();
  CLI::App* cmd = app.add_subcommand(
      "faces", "Face pipeline throughput (detect/align/embed) and face search latency at 100k");
  cmd->add_option("--photos", args->photos, "Photos with faces (.jpg)")->capture_default_str();
  cmd->add_option("--models", args->models, "Models directory (default: the installed one)");
  cmd->add_option("--threads", args->threads, "Embedding threads")->capture_default_str();
  cmd->add_option("--rounds", args->rounds, "Rounds over the photos")->capture_default_str();
  CLI::Option* n =
      cmd->add_option("--n", args->n, "Synthetic faces to search")->capture_default_str();
  CLI::Option* queries =
      cmd->add_option("--queries", args->queries, "Query faces")->capture_default_str();
  cmd->add_option("--k", args->k, "Hits per search")->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the synthetic faces")->capture_default_str();
  cmd->add_flag("--quick", args->quick, "A short run: 1 round, n=10000, 200 queries");
  auto run = [args, n, queries] {
    if (args->quick) {
      args->rounds = 1;
      if (n->count() == 0) args->n = 10000;
      if (queries->count() == 0) args->queries = 200;
    }
    std::printf("alike-bench faces on %s, %s\n", CpuModel().c_str(), Now().c_str());
    BenchPipeline(*args);
    BenchSearch(*args);
    return 0;
  };
  return {cmd, run};
}

}  // namespace alike::bench
