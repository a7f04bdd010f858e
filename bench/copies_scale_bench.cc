// alike-bench copies-scale: copy search (Library::SearchCopies) in an archive-sized library.
//
//   alike-bench copies-scale [--n 100000,1000000] [--per-family 6] [--k 10] [--seed 1] [--workdir
//   DIR]
//                            [--photos DIR ...] [--models DIR] [--quick]
//
// A library with the spaces copy search reads (cnn, pdq, dct64) indexes real photos normally
// (their copy features cached), as `alike eval copies` deals them (cli/copy_edits.h: 64 deepface
// and 10 UKBench photos by default, 8 of them held out). The queries are that command's edited
// copies of them (every family), as JPEG bytes of about 0.8 MP: each search decodes its query.
// Round 1 searches them over the real photos alone: the baseline. Then the bulk, n minus the real
// photos, is added as synthetic pictures straight into the library's spaces through the public
// Database API (what a bulk import of precomputed vectors does): random 256-bit pdq and 64-bit
// dct64 codes, and random non-negative 2,304-d cnn vectors (as the CNN's pooled ReLU outputs
// are). They have no catalog entry nor cached features, so a candidate among them is dropped
// after a catalog lookup; the real photos stay the cnn space's nearest to a copy, so every query
// still verifies its full 20 candidates with cached features: what a real archive's query pays.
// Then the same copies are searched again at each size --n lists, the bulk grown to it. Printed:
// p50 / p99 per query on one thread (OpenCV's threads and the verifier's jobs at 1), in wall time
// and in CPU time (which other work on a shared machine stretches far less), recall (the top hit
// is the original), the held-out photos' false hits, and memory (resident) and disk per million
// pictures.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "alike/library.h"
#include "bench_util.h"
#include "cli/copy_edits.h"
#include "commands.h"
#include "library/image_facts.h"
#include "library/space.h"
#include "table.h"

namespace alike::bench {
namespace {

namespace fs = std::filesystem;

// Synthetic pictures' image ids start here, far above the catalog's own.
constexpr uint64_t kFirstSyntheticImage = uint64_t{1} << 40;
constexpr uint32_t kCnnDimension = 2304;

struct CopiesScaleArgs {
  std::vector<size_t> sizes = {1'000'000};  // pictures in all, real and synthetic
  size_t per_family = 6;
  size_t k = CopySearchOptions{}.k;  // hits asked for: verification stops at k beyond doubt
  uint64_t seed = 1;
  size_t batch = 10'000;
  std::string workdir = "/tmp/alike-bench/copies-scale";
  std::vector<std::string> photos;
  std::string models;
};

uint64_t DirectoryBytes(const std::string& dir) {
  uint64_t bytes = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) bytes += entry.file_size();
  }
  return bytes;
}

struct Round {
  std::vector<double> ms;      // per copy, wall
  std::vector<double> cpu_ms;  // per copy, CPU of the process (one thread)
  size_t found = 0;            // copies whose top hit is their original
  size_t false_hits = 0;       // hits of held-out photos, and top hits that are not the original
};

Round SearchAll(Library& lib, const cli::CopySet& set,
                const std::vector<std::vector<uint8_t>>& copies,
                const std::vector<std::optional<uint64_t>>& original_ids, size_t k) {
  const CopySearchOptions options{.k = k, .jobs = 1};
  Round round;
  for (size_t i = 0; i < copies.size(); ++i) {
    Stopwatch watch;
    const double cpu = ProcessCpuSeconds();
    auto hits =
        lib.SearchCopies(ImageSource::Bytes(copies[i], "copy " + std::to_string(i)), options);
    round.ms.push_back(watch.Seconds() * 1e3);
    round.cpu_ms.push_back((ProcessCpuSeconds() - cpu) * 1e3);
    CheckOk(hits.status(), "copy search");
    const bool found =
        !hits->empty() && hits->front().image_id == original_ids[set.copies[i].original];
    if (found) {
      ++round.found;
    } else {
      std::printf("  not found: %s (%s)\n", set.originals[set.copies[i].original].c_str(),
                  cli::DescribeEdit(set.copies[i].edit).c_str());
      if (!hits->empty()) ++round.false_hits;
    }
  }
  for (const std::string& photo : set.held_out) {
    auto hits = lib.SearchCopies(ImageSource::File(photo), options);
    CheckOk(hits.status(), "copy search of " + photo);
    round.false_hits += hits->size();
  }
  return round;
}

// Adds synthetic pictures numbered [begin, end) to the library's cnn, pdq and dct64 spaces, in
// batches.
void AddSynthetic(Library& lib, size_t begin, size_t end, const CopiesScaleArgs& args) {
  auto open = [&](const char* embedder) {
    auto collection = lib.database().GetCollection(library::SpaceCollectionName(embedder));
    CheckOk(collection.status(), std::string("the ") + embedder + " space");
    return *collection;
  };
  auto cnn = open("cnn"), pdq = open("pdq"), dct64 = open("dct64");
  std::mt19937_64 rng(args.seed + begin);
  std::normal_distribution<float> normal;
  Stopwatch watch;
  for (size_t first = begin; first < end; first += args.batch) {
    const size_t n = std::min(args.batch, end - first);
    std::vector<float> vectors(n * kCnnDimension);
    for (float& v : vectors) v = std::abs(normal(rng));
    std::vector<uint8_t> pdq_codes(n * 32), dct_codes(n * 8);
    for (uint8_t& b : pdq_codes) b = static_cast<uint8_t>(rng());
    for (uint8_t& b : dct_codes) b = static_cast<uint8_t>(rng());
    std::vector<RecordView> cnn_records(n), pdq_records(n), dct_records(n);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t id = library::VectorId(kFirstSyntheticImage + first + i, 0);
      cnn_records[i] = {.id = id, .vector = {&vectors[i * kCnnDimension], kCnnDimension}};
      pdq_records[i] = {.id = id, .binary = {&pdq_codes[i * 32], 32}};
      dct_records[i] = {.id = id, .binary = {&dct_codes[i * 8], 8}};
    }
    CheckOk(pdq->UpsertViews(pdq_records), "adding pdq codes");
    CheckOk(dct64->UpsertViews(dct_records), "adding dct64 codes");
    CheckOk(cnn->UpsertViews(cnn_records), "adding cnn vectors");
    std::printf("  %zu / %zu synthetic pictures, %.0f s\n", first + n, end, watch.Seconds());
    std::fflush(stdout);
  }
}

std::vector<std::string> Row(const std::string& library, size_t pictures, const Round& round,
                             size_t copies, const Round* baseline) {
  auto ratio = [&](double value, double base) {
    return baseline ? " (" + FormatFixed(value / base, 2) + "x)" : std::string();
  };
  const double cpu_p50 = Percentile(round.cpu_ms, 50);
  return {library,
          std::to_string(pictures),
          FormatFixed(Percentile(round.ms, 50), 1) + " ms",
          FormatFixed(Percentile(round.ms, 99), 1) + " ms",
          FormatFixed(cpu_p50, 1) + " ms" +
              ratio(cpu_p50, baseline ? Percentile(baseline->cpu_ms, 50) : 0),
          FormatFixed(Percentile(round.cpu_ms, 99), 1) + " ms",
          std::to_string(round.found) + " / " + std::to_string(copies),
          std::to_string(round.false_hits)};
}

// Adds a row to the table and prints it at once: a run at a large size takes an hour.
void AddRow(Table& table, std::vector<std::string> row) {
  for (const std::string& cell : row) std::printf("%s | ", cell.c_str());
  std::printf("\n");
  std::fflush(stdout);
  table.AddRow(std::move(row));
}

int RunCopiesScale(CopiesScaleArgs args) {
  if (args.sizes.empty() || args.batch == 0) Fail("--n and --batch must be positive");
  if (args.photos.empty()) {
    args.photos = {ALIKE_BENCH_FACES_DIR,
                   ALIKE_BENCH_PHOTOS_DIR "/imagededup/tests/data/base_images"};
  }
  std::printf("alike-bench copies-scale: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  cv::setNumThreads(1);  // one thread a query: OpenCV's loops (the CNN, ORB) included

  std::vector<cli::EditFamily> families;
  for (const cli::EditFamilyInfo& info : cli::EditFamilies()) families.push_back(info.family);
  const cli::CopySet set =
      cli::BuildCopySet(cli::ImageFiles(args.photos),
                        {.seed = args.seed, .per_family = args.per_family, .families = families});
  if (set.originals.empty() || set.copies.empty()) Fail("no photos under --photos");
  if (!std::is_sorted(args.sizes.begin(), args.sizes.end()) ||
      args.sizes.front() <= set.originals.size()) {
    Fail("--n must grow, from more than the real photos");
  }

  std::error_code ignored;
  fs::remove_all(args.workdir, ignored);
  auto lib = Library::Open(
      args.workdir,
      {.create_if_missing = true, .models_dir = args.models, .embedders = {"cnn", "pdq", "dct64"}});
  CheckOk(lib.status(), "opening the library in " + args.workdir);
  Stopwatch watch;
  auto indexed = (*lib)->Index(set.originals, {}, {});
  CheckOk(indexed.status(), "indexing the photos");
  std::printf("indexed %zu real photos in %.1f s; %zu copies (%zu families), %zu held out\n",
              set.originals.size(), watch.Seconds(), set.copies.size(), families.size(),
              set.held_out.size());
  std::vector<std::optional<uint64_t>> original_ids;
  for (const std::string& path : set.originals) {
    auto id = (*lib)->FindPath(path);
    CheckOk(id.status(), "finding " + path);
    original_ids.push_back(*id);
  }
  std::vector<std::vector<uint8_t>> copies;
  double copy_pixels = 0;
  for (const cli::CopyQuery& query : set.copies) {
    auto bytes = cli::EncodeCopy(set, query);
    CheckOk(bytes.status(), "making a copy");
    copies.push_back(std::move(*bytes));
    const cv::Mat decoded = cv::imdecode(copies.back(), cv::IMREAD_COLOR);
    copy_pixels += double(decoded.total()) / double(set.copies.size());
  }
  std::printf("queries: %.2f MP on average, JPEG\n", copy_pixels / 1e6);

  auto info = (*lib)->Info();
  CheckOk(info.status(), "library info");
  const size_t real = set.originals.size();
  std::printf("cached copy features: %.1f KB a real photo\n",
              double(info->copy_feature_bytes) / double(real) / 1e3);
  const Round small = SearchAll(**lib, set, copies, original_ids, args.k);

  Table table({"library", "pictures", "p50 wall", "p99 wall", "p50 CPU", "p99 CPU", "copies found",
               "false hits"});
  AddRow(table, Row("real photos alone", real, small, copies.size(), nullptr));
  const uint64_t resident_before = ResidentBytes(), disk_before = DirectoryBytes(args.workdir);
  size_t pictures = real;
  for (const size_t size : args.sizes) {
    watch.Restart();
    AddSynthetic(**lib, pictures - real, size - real, args);
    std::printf("added %zu synthetic pictures in %.0f s\n", size - pictures, watch.Seconds());
    pictures = size;
    const Round large = SearchAll(**lib, set, copies, original_ids, args.k);
    AddRow(table, Row("+ synthetic bulk", size, large, copies.size(), &small));
  }
  table.Print(stdout);
  const uint64_t resident_after = ResidentBytes(), disk_after = DirectoryBytes(args.workdir);
  const double per_million = 1e6 / double(pictures - real);
  std::printf("per million synthetic pictures: memory %s MiB, disk %s MiB (cnn, pdq, dct64)\n",
              FormatMiB(uint64_t(double(resident_after - resident_before) * per_million)).c_str(),
              FormatMiB(uint64_t(double(disk_after - disk_before) * per_million)).c_str());
  std::printf("targets at 1M: p50 <= 50 ms, p99 <= 200 ms\n");
  return 0;
}

}  // namespace

Command AddCopiesScaleCommand(CLI::App& app) {
  auto args = std::make_shared<CopiesScaleArgs>();
  CLI::App* cmd = app.add_subcommand(
      "copies-scale", "Copy search over real photos, then with a synthetic bulk up to --n");
  cmd->add_option("--n", args->sizes,
                  "Pictures in the library, real and synthetic: each size searched in turn")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--per-family", args->per_family, "Copies per edit family")
      ->capture_default_str();
  cmd->add_option("--k", args->k, "Hits asked for (copy search stops verifying at k sure ones)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the copies and the bulk")->capture_default_str();
  cmd->add_option("--batch", args->batch, "Synthetic pictures per write")->capture_default_str();
  cmd->add_option("--workdir", args->workdir, "The library's directory (emptied first)")
      ->capture_default_str();
  cmd->add_option("--photos", args->photos,
                  "Folders of photos to copy (default: the shared deepface and UKBench photos)");
  cmd->add_option("--models", args->models,
                  "Model directory (default: $ALIKE_MODELS, else the one scripts/setup.sh fills)");
  return {cmd, [args] { return RunCopiesScale(*args); }};
}

}  // namespace alike::bench
