// alike-bench ingest: how many images per second `alike index` takes in, beside how many the same
// threads can merely read and decode, measured in the same run.
//
//   alike-bench ingest [--large 40] [--small 100] [--threads 1,2]
//                      [--embedders color,cnn,cnn+color] [--repeats 3]
//                      [--workdir /tmp/alike-bench/ingest] [--photos DIR] [--models DIR]
//                      [--opencv-threads N] [--seed 42] [--quick]
//
// Two corpora made from real photos (corpus.h): 12-MP JPEGs (4000x3000), as phones take, and
// small 0.3-MP ones (640x480). For each, at each thread count: decode-only throughput (read each
// file and decode it as the indexer does, shrunk on load to a 256-pixel shorter side), a full
// decode for reference, and alike::Library::Index into a fresh library for each embedder set.
// Beside wall time, the process's CPU time per image: on a shared machine other processes take
// cores away from the wall-clock figures, while CPU time shows what the pipeline itself costs.
// Then each stage the indexer runs on a new file (read+decode, SHA-256, thumbnail, embed) is
// called directly and timed per image, to show where the time goes. See bench/README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <functional>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/library.h"
#include "bench_util.h"
#include "commands.h"
#include "corpus.h"
#include "embed/cnn_embedder.h"
#include "embed/color_embedder.h"
#include "embed/model_dir.h"
#include "image/decoder.h"
#include "image/image_file.h"
#include "library/image_facts.h"
#include "table.h"
#include "util/file.h"

namespace alike::bench {
namespace {

// The shorter side the indexer decodes to for cnn, color and thumbnails alike.
constexpr int kIndexShortSide = 256;
constexpr size_t kQuickLarge = 8;
constexpr size_t kQuickSmall = 40;
// Indexed into each fresh library before the timed run, so that loading the model (once per
// process in real use) is not charged to the corpus; enough for every worker to take one.
constexpr size_t kWarmupImages = 4;
constexpr unsigned kTargetThreads = 2;
constexpr double kColorTarget = 0.7;  // x decode-only
constexpr double kCnnTarget = 25;     // images/s
constexpr int kReferenceDecodes = 5;
// Files per round on which each stage is timed on its own: enough for a mean, few enough that
// the rounds stay short.
constexpr size_t kStageImages = 40;

struct IngestArgs {
  size_t large = kLargeCorpusImages;
  size_t small = kSmallCorpusImages;
  std::vector<unsigned> threads = {1, 2};
  std::vector<std::string> embedders = {"color", "cnn", "cnn+color"};
  unsigned repeats = 3;
  std::string workdir = "/tmp/alike-bench/ingest";
  std::string photos = ALIKE_BENCH_PHOTOS_DIR;
  std::string models;       // empty: embed::DefaultModelDir()
  int opencv_threads = -1;  // cv::setNumThreads; negative: OpenCV's default
  uint64_t seed = 42;
  bool quick = false;
};

// One pipeline's measurements, [thread index][round]: images/s, and CPU milliseconds per image
// (all the process's threads), which tell what the pipeline would do with the cores to itself.
struct Series {
  std::string name;
  std::vector<std::vector<double>> rates;
  std::vector<std::vector<double>> cpu_ms;
  double Best(size_t t) const { return *std::max_element(rates[t].begin(), rates[t].end()); }
  double LeastCpu(size_t t) const { return *std::min_element(cpu_ms[t].begin(), cpu_ms[t].end()); }
  void Add(size_t t, double rate, double cpu) {
    rates[t].push_back(rate);
    cpu_ms[t].push_back(cpu);
  }
};

// Times `run`, which handles `images` images: images/s and CPU ms per image.
std::pair<double, double> TimeImages(size_t images, const std::function<void()>& run) {
  const double cpu = ProcessCpuSeconds();
  Stopwatch watch;
  run();
  const double seconds = watch.Seconds();
  return {images / seconds, (ProcessCpuSeconds() - cpu) * 1000 / images};
}

// What the indexer does to each new file, timed one stage at a time.
enum Stage { kReadDecode, kHash, kThumbnail, kCnn, kColor, kStageCount };
constexpr const char* kStageNames[kStageCount] = {"read+decode", "sha-256", "thumbnail",
                                                  "cnn embed", "color embed"};
// Mean milliseconds per image of each stage, at one thread count.
using StageTimes = std::array<double, kStageCount>;

struct Embedders {
  std::unique_ptr<embed::CnnEmbedder> cnn;
  embed::ColorEmbedder color;
};

std::vector<std::string> SplitSet(const std::string& set) {
  std::vector<std::string> names;
  for (size_t start = 0;;) {
    const size_t plus = set.find('+', start);
    names.push_back(set.substr(start, plus - start));
    if (plus == std::string::npos) return names;
    start = plus + 1;
  }
}

struct Loaded {
  image::FileBytes file;
  image::Image image;
};

// As the indexer reads and decodes a file.
Loaded ReadAndDecode(const std::string& path, int short_side) {
  auto file = image::ReadImageFile(path, image::DecodeOptions{}.max_bytes);
  CheckOk(file.status(), "read");
  auto img = image::DecodeMemory(file->bytes, {.min_short_side = short_side}, path);
  CheckOk(img.status(), "decode");
  return {std::move(*file), std::move(*img)};
}

std::pair<double, double> MeasureDecode(const Corpus& corpus, unsigned threads, int short_side) {
  return TimeImages(corpus.files.size(), [&] {
    ParallelFor(corpus.files.size(), threads,
                [&](size_t i) { ReadAndDecode(corpus.files[i], short_side); });
  });
}

// Indexes the warm-up images, then times indexing the corpus, into a fresh library.
std::pair<double, double> MeasureIndex(const Corpus& corpus, const Corpus& warmup,
                                       const std::string& set, unsigned threads,
                                       const IngestArgs& args) {
  const std::string dir = args.workdir + "/library";
  CheckOk(RemoveAll(dir), "remove " + dir);
  auto library = Library::Open(
      dir, {.create_if_missing = true, .models_dir = args.models, .embedders = SplitSet(set)});
  CheckOk(library.status(), "open library " + dir);
  const IndexOptions options{.jobs = threads};
  const std::vector<std::string> warmup_roots = {warmup.dir};
  CheckOk((*library)->Index(warmup_roots, options, nullptr).status(), "index " + warmup.dir);

  const std::vector<std::string> roots = {corpus.dir};
  Result<IndexReport> report = Status::Internal("not run");
  const auto measured =
      TimeImages(corpus.files.size(), [&] { report = (*library)->Index(roots, options, nullptr); });
  CheckOk(report.status(), "index " + corpus.dir);
  if (report->indexed != corpus.files.size()) {
    Fail("index " + corpus.dir + " (" + set + "): indexed " + std::to_string(report->indexed) +
         " of " + std::to_string(corpus.files.size()) + " files (" +
         std::to_string(report->failed) + " failed, " + std::to_string(report->duplicates) +
         " duplicates)");
  }
  library->reset();
  CheckOk(RemoveAll(dir), "remove " + dir);
  return measured;
}

struct StageRun {
  StageTimes wall;
  // Process CPU time: each stage's own only when one thread runs them (OpenCV's helper threads
  // included, which a thread's CPU clock would miss).
  StageTimes cpu;
};

StageRun MeasureStages(const Corpus& corpus, unsigned threads, const Embedders& embedders) {
  const size_t n = std::min(corpus.files.size(), kStageImages);
  std::vector<StageRun> each(n);
  ParallelFor(n, threads, [&](size_t i) {
    StageRun& run = each[i];
    Stopwatch watch;
    double cpu = ProcessCpuSeconds();
    auto lap = [&](Stage stage) {
      run.wall[stage] = watch.Seconds() * 1000;
      const double now = ProcessCpuSeconds();
      run.cpu[stage] = (now - cpu) * 1000;
      cpu = now;
      watch.Restart();
    };
    const Loaded loaded = ReadAndDecode(corpus.files[i], kIndexShortSide);
    lap(kReadDecode);
    library::ContentHash(loaded.file.bytes);
    lap(kHash);
    library::MakeThumbnail(loaded.image.bgr);
    lap(kThumbnail);
    CheckOk(embedders.cnn->Embed(loaded.image.bgr).status(), "cnn embed");
    lap(kCnn);
    CheckOk(embedders.color.Embed(loaded.image.bgr).status(), "color embed");
    lap(kColor);
  });
  StageRun mean{};
  for (const StageRun& run : each) {
    for (int s = 0; s < kStageCount; ++s) {
      mean.wall[s] += run.wall[s] / n;
      mean.cpu[s] += run.cpu[s] / n;
    }
  }
  return mean;
}

// Best single-thread milliseconds of reading and decoding one file at both decode sizes.
std::pair<double, double> DecodeMilliseconds(const std::string& path) {
  double shrunk = 1e30, full = 1e30;
  for (int i = 0; i < kReferenceDecodes; ++i) {
    Stopwatch watch;
    ReadAndDecode(path, kIndexShortSide);
    shrunk = std::min(shrunk, watch.Seconds() * 1000);
    watch.Restart();
    ReadAndDecode(path, 0);
    full = std::min(full, watch.Seconds() * 1000);
  }
  return {shrunk, full};
}

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Each round's rate of `s` over that round's decode-only rate: the two were measured moments
// apart, so the ratio is steadier than one of best-of figures taken at different times.
std::vector<double> RoundRatios(const Series& s, const Series& decode, size_t t) {
  std::vector<double> ratios;
  for (size_t r = 0; r < s.rates[t].size(); ++r)
    ratios.push_back(s.rates[t][r] / decode.rates[t][r]);
  return ratios;
}

struct CorpusResult {
  std::string label;
  std::vector<Series> series;           // decode-only, full decode, then one per embedder set
  std::vector<StageTimes> stages;       // wall, per thread count, fastest of the rounds
  std::optional<StageTimes> stage_cpu;  // at 1 thread, least of the rounds
};

const Series* FindSeries(const CorpusResult& result, const std::string& name) {
  for (const Series& s : result.series) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

CorpusResult MeasureCorpus(const std::string& label, const Corpus& corpus, const Corpus& warmup,
                           const Embedders& embedders, const IngestArgs& args) {
  CorpusResult result;
  result.label = label;
  std::vector<std::string> names = {"decode-only (shorter side 256)", "full decode (reference)"};
  for (const std::string& set : args.embedders) names.push_back("index " + set);
  for (const std::string& name : names) {
    result.series.push_back({name, std::vector<std::vector<double>>(args.threads.size()),
                             std::vector<std::vector<double>>(args.threads.size())});
  }
  StageTimes slowest;
  slowest.fill(1e30);
  result.stages.assign(args.threads.size(), slowest);
  // Pipelines take turns within each round, so that a change in machine load hits all of them.
  for (unsigned r = 0; r < args.repeats; ++r) {
    for (size_t t = 0; t < args.threads.size(); ++t) {
      const unsigned threads = args.threads[t];
      std::fprintf(stderr, "  %s, %u thread(s), round %u of %u\n", label.c_str(), threads, r + 1,
                   args.repeats);
      const auto [decode_rate, decode_cpu] = MeasureDecode(corpus, threads, kIndexShortSide);
      result.series[0].Add(t, decode_rate, decode_cpu);
      const auto [full_rate, full_cpu] = MeasureDecode(corpus, threads, 0);
      result.series[1].Add(t, full_rate, full_cpu);
      for (size_t s = 0; s < args.embedders.size(); ++s) {
        const auto [rate, cpu] = MeasureIndex(corpus, warmup, args.embedders[s], threads, args);
        result.series[2 + s].Add(t, rate, cpu);
      }
      const StageRun run = MeasureStages(corpus, threads, embedders);
      if (threads == 1 && !result.stage_cpu) result.stage_cpu = slowest;
      for (int s = 0; s < kStageCount; ++s) {
        result.stages[t][s] = std::min(result.stages[t][s], run.wall[s]);
        if (threads == 1) (*result.stage_cpu)[s] = std::min((*result.stage_cpu)[s], run.cpu[s]);
      }
    }
  }
  return result;
}

void PrintCorpus(const CorpusResult& result, const Corpus& corpus, const IngestArgs& args) {
  std::printf(
      "\n%s: %zu files, %s MiB (%.2f MiB per file); images/s, best of %u rounds and range; x "
      "decode-only: median of the rounds' ratios; CPU ms/image: all threads, least of the "
      "rounds\n",
      result.label.c_str(), corpus.files.size(), FormatMiB(corpus.bytes).c_str(),
      corpus.bytes / 1048576.0 / corpus.files.size(), args.repeats);
  std::vector<std::string> header = {"pipeline"};
  for (unsigned threads : args.threads) {
    const std::string t = std::to_string(threads) + (threads == 1 ? " thread" : " threads");
    header.insert(header.end(), {t, "range", "x decode-only", "CPU ms/image"});
  }
  Table table(header);
  const Series& decode = result.series[0];
  for (const Series& s : result.series) {
    std::vector<std::string> row = {s.name};
    for (size_t t = 0; t < args.threads.size(); ++t) {
      row.insert(row.end(), {FormatRate(s.Best(t)), FormatRange(s.rates[t]),
                             FormatFixed(Median(RoundRatios(s, decode, t)), 2),
                             FormatFixed(s.LeastCpu(t), 1)});
    }
    table.AddRow(row);
  }
  table.Print(stdout);

  std::printf(
      "\nWhere the time goes: %s, each stage called directly on the first %zu files; mean ms "
      "per image, least of %u rounds\n",
      result.label.c_str(), std::min(corpus.files.size(), kStageImages), args.repeats);
  std::vector<std::string> stage_header = {"ms per image"};
  stage_header.insert(stage_header.end(), std::begin(kStageNames), std::end(kStageNames));
  Table stages(stage_header);
  auto add = [&stages](const std::string& what, const StageTimes& ms) {
    std::vector<std::string> row = {what};
    for (double v : ms) row.push_back(FormatFixed(v, 1));
    stages.AddRow(row);
  };
  for (size_t t = 0; t < args.threads.size(); ++t) {
    add("wall, " + std::to_string(args.threads[t]) +
            (args.threads[t] == 1 ? " thread" : " threads"),
        result.stages[t]);
  }
  if (result.stage_cpu) add("CPU, 1 thread", *result.stage_cpu);
  stages.Print(stdout);
  // The stages' CPU beside the index's: what is left is the library's own work (catalog,
  // database writes, queues).
  const auto one = std::find(args.threads.begin(), args.threads.end(), 1u);
  const Series* cnn = FindSeries(result, "index cnn");
  const Series* color = FindSeries(result, "index color");
  if (result.stage_cpu && cnn && color) {
    const StageTimes& cpu = *result.stage_cpu;
    const size_t t = one - args.threads.begin();
    const double common = cpu[kReadDecode] + cpu[kHash] + cpu[kThumbnail];
    std::printf(
        "  CPU ms per image at 1 thread, stages summed vs index: cnn %.1f vs %.1f, color %.1f vs "
        "%.1f\n",
        common + cpu[kCnn], cnn->LeastCpu(t), common + cpu[kColor], color->LeastCpu(t));
  }
}

// The target is judged on what was measured; on a busy machine the CPU-bound figure can say
// that the pipeline itself would meet it.
std::string Verdict(bool measured_ok, bool cpu_bound_ok) {
  if (measured_ok) return "ok";
  return cpu_bound_ok ? "MISS (CPU-bound: ok)" : "MISS";
}

void PrintTargets(const std::vector<CorpusResult>& results, const IngestArgs& args) {
  const auto at = std::find(args.threads.begin(), args.threads.end(), kTargetThreads);
  if (at == args.threads.end()) {
    std::printf("\n(targets are for %u threads, which --threads leaves out)\n", kTargetThreads);
    return;
  }
  const size_t t = at - args.threads.begin();
  std::printf(
      "\nTargets at %u threads (%u rounds: images/s best and range; ratios median and range of "
      "the rounds' own). \"CPU-bound\": what the CPU time per image allows when the process has "
      "%u cores to itself (color: decode-only's CPU ms / color's; cnn: %u s / CPU s per image)\n",
      kTargetThreads, args.repeats, kTargetThreads, kTargetThreads);
  Table table({"check", "measured", "range", "CPU-bound", "target", "result"});
  for (const CorpusResult& r : results) {
    const Series& decode = r.series[0];
    if (const Series* color = FindSeries(r, "index color")) {
      const std::vector<double> ratios = RoundRatios(*color, decode, t);
      const double ratio = Median(ratios);
      const double cpu_ratio = decode.LeastCpu(t) / color->LeastCpu(t);
      table.AddRow({"color / decode-only, " + r.label, FormatFixed(ratio, 2) + "x",
                    FormatRange(ratios), FormatFixed(cpu_ratio, 2) + "x",
                    ">= " + FormatFixed(kColorTarget, 1) + "x",
                    Verdict(ratio >= kColorTarget, cpu_ratio >= kColorTarget)});
    }
    if (const Series* cnn = FindSeries(r, "index cnn")) {
      const double cpu_rate = kTargetThreads * 1000 / cnn->LeastCpu(t);
      table.AddRow({"cnn images/s, " + r.label, FormatRate(cnn->Best(t)),
                    FormatRange(cnn->rates[t]), FormatRate(cpu_rate),
                    ">= " + FormatRate(kCnnTarget),
                    Verdict(cnn->Best(t) >= kCnnTarget, cpu_rate >= kCnnTarget)});
    }
  }
  table.Print(stdout);
}

// Opens the embedders and runs each on `threads` threads at once, so that the cnn embedders'
// pools hold a net per thread before anything is timed.
Embedders OpenEmbedders(const std::string& models_dir, unsigned threads) {
  Embedders e;
  Stopwatch watch;
  auto cnn = embed::CnnEmbedder::OpenDefault(models_dir);
  CheckOk(cnn.status(), "cnn model");
  std::printf("cnn model: %s, loaded in %.2f s\n", (*cnn)->version().c_str(), watch.Seconds());
  e.cnn = std::move(*cnn);
  const cv::Mat grey(kIndexShortSide, kIndexShortSide, CV_8UC3, cv::Scalar::all(128));
  ParallelFor(threads, threads, [&](size_t) { CheckOk(e.cnn->Embed(grey).status(), "cnn embed"); });
  return e;
}

int RunIngest(IngestArgs args) {
  if (args.threads.empty() || std::count(args.threads.begin(), args.threads.end(), 0u) > 0) {
    Fail("--threads: give positive values");
  }
  if (args.large == 0 || args.small == 0 || args.repeats == 0 || args.embedders.empty()) {
    Fail("--large, --small, --repeats and --embedders must not be zero or empty");
  }
  if (args.models.empty()) args.models = embed::DefaultModelDir();
  if (args.opencv_threads >= 0) cv::setNumThreads(args.opencv_threads);
  const unsigned cpu_threads = std::max(1u, std::thread::hardware_concurrency());

  std::printf("alike-bench ingest: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads; OpenCV %s with %d threads of its own\n",
              CpuModel().c_str(), cpu_threads, CV_VERSION, cv::getNumThreads());
  std::printf(
      "config: decode shrinks on load to a shorter side of %d, as the indexer does; index: "
      "alike::Library::Index into a fresh library per run (jobs = threads, default "
      "SyncPolicy::kAlways), after %zu warm-up images\n",
      kIndexShortSide, kWarmupImages);
  std::fflush(stdout);

  const CorpusSpec specs[] = {LargeCorpus(args.large, args.seed),
                              SmallCorpus(args.small, args.seed),
                              WarmupCorpus(kWarmupImages, args.seed)};
  const Corpora prepared = PrepareCorpora(args.photos, specs, args.workdir);
  const std::vector<Corpus>& corpora = prepared.corpora;
  const Corpus& warmup = corpora[2];

  // The corpus should decode like the camera photos it stands for.
  std::printf("read+decode of one file, 1 thread, best of %d (shorter side %d / full):\n",
              kReferenceDecodes, kIndexShortSide);
  for (const std::string& path : {prepared.sources.front().path, corpora[0].files.front()}) {
    const auto [shrunk, full] = DecodeMilliseconds(path);
    auto info = image::ProbeFile(path);
    CheckOk(info.status(), "probe");
    std::printf("  %s (%dx%d, %s MiB): %.1f ms / %.1f ms\n", Basename(path).c_str(), info->width,
                info->height, FormatFixed(info->file_size / 1048576.0, 2).c_str(), shrunk, full);
  }
  const Embedders embedders =
      OpenEmbedders(args.models, *std::max_element(args.threads.begin(), args.threads.end()));
  std::fflush(stdout);

  std::vector<CorpusResult> results;
  for (size_t c = 0; c < 2; ++c) {
    results.push_back(MeasureCorpus(DescribeSize(specs[c].width, specs[c].height) + " JPEGs",
                                    corpora[c], warmup, embedders, args));
    PrintCorpus(results.back(), corpora[c], args);
    std::fflush(stdout);
  }
  PrintTargets(results, args);
  return 0;
}

}  // namespace

Command AddIngestCommand(CLI::App& app) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ingest", "Images/s of alike index (color, cnn) beside decode-only, 12-MP and 0.3-MP JPEGs");
  CLI::Option* large = cmd->add_option("--large", args->large, "12-MP JPEGs in the large corpus")
                           ->capture_default_str();
  CLI::Option* small = cmd->add_option("--small", args->small, "0.3-MP JPEGs in the small corpus")
                           ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Thread counts (decode threads, index jobs)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--embedders", args->embedders,
                  "Embedder sets to index with, each a library's list joined by +")
      ->delimiter(',')
      ->capture_default_str();
  CLI::Option* repeats = cmd->add_option("--repeats", args->repeats, "Rounds of every measurement")
                             ->capture_default_str();
  cmd->add_option("--workdir", args->workdir, "Scratch directory (corpora, libraries)")
      ->capture_default_str();
  AddPhotoAndModelOptions(*cmd, args->photos, args->models);
  cmd->add_option("--opencv-threads", args->opencv_threads,
                  "cv::setNumThreads for the whole run (OpenCV's parallel loops, e.g. in the "
                  "CNN); default: OpenCV's own, as alike leaves it");
  cmd->add_option("--seed", args->seed, "Seed of the corpus variations")->capture_default_str();
  cmd->add_flag("--quick", args->quick,
                "A short run: 8 large and 40 small images, 1 round, unless given");
  auto run = [args, large, small, repeats] {
    if (args->quick) {
      if (large->count() == 0) args->large = kQuickLarge;
      if (small->count() == 0) args->small = kQuickSmall;
      if (repeats->count() == 0) args->repeats = 1;
    }
    return RunIngest(*args);
  };
  return {cmd, run};
}

}  // namespace alike::bench
