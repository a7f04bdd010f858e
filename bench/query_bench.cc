// alike-bench query: how long one image search takes.
//
//   alike-bench query [--n 100000] [--dim 1280] [--queries 1000] [--k 10] [--threads 1,2]
//                     [--filter JSON] [--repeats 3] [--search-files 20]
//                     [--workdir /tmp/alike-bench/query] [--images /tmp/alike-bench/ingest]
//                     [--photos DIR] [--models DIR] [--seed 42] [--quick]
//
// 1. Vector search in a collection shaped like a library's cnn space: n synthetic unit vectors
//    (1280-d, cosine, HNSW with default parameters) with image payloads, built once through the
//    vector database API and cached in the workdir. Latency percentiles and queries/s of single
//    searches from 1 and 2 client threads, unfiltered and filtered, beside exact (brute-force)
//    search in the same run, whose results also give the HNSW searches' recall.
// 2. Library::Search by file end to end on a small library (the 0.3-MP corpus indexed with cnn),
//    for 12-MP and 0.3-MP query files, beside its parts timed on their own: decode, cnn embed,
//    vector search.
// See bench/README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "alike/library.h"
#include "alike/vector_db.h"
#include "bench_util.h"
#include "commands.h"
#include "corpus.h"
#include "dataset.h"
#include "embed/cnn_embedder.h"
#include "embed/model_dir.h"
#include "image/decoder.h"
#include "library/image_facts.h"
#include "library/space.h"
#include "table.h"
#include "util/file.h"

namespace alike::bench {
namespace {

constexpr char kCollection[] = "images";
constexpr size_t kUpsertBatch = 10000;
constexpr size_t kQuickN = 10000;
constexpr size_t kQuickQueries = 200;
constexpr size_t kQuickSearchFiles = 5;
// Exact scans read every vector per query: they are measured on this many queries, once.
constexpr size_t kScanQueries = 100;
constexpr double kMinMeasureSeconds = 0.5;  // a measurement repeats the queries at least this long
constexpr size_t kWarmupQueries = 100;
// Payload years: 2008-2024, so that {"year": {"$gte": 2020}} matches 5 in 17 (29%).
constexpr int kFirstYear = 2008;
constexpr int kLastYear = 2024;

struct QueryArgs {
  size_t n = 100000;
  size_t dim = 1280;
  size_t queries = 1000;
  size_t k = 10;
  uint32_t ef = 0;  // 0: the collection's ef_search
  std::vector<unsigned> threads = {1, 2};
  std::string filter = R"({"year": {"$gte": 2020}})";
  unsigned repeats = 3;
  size_t search_files = 20;
  std::string workdir = "/tmp/alike-bench/query";
  std::string images = "/tmp/alike-bench/ingest";
  std::string photos = ALIKE_BENCH_PHOTOS_DIR;
  std::string models;  // empty: embed::DefaultModelDir()
  uint64_t seed = 42;
  bool quick = false;
};

// The payload alike's image library gives an image's vectors, with made-up facts.
std::string MadeUpPayload(uint64_t image_id, std::mt19937_64& rng) {
  struct Shape {
    int width, height;
    int64_t bytes;  // a typical file size
  };
  static constexpr Shape kShapes[] = {{4000, 3000, 3'100'000},
                                      {3000, 4000, 3'100'000},
                                      {4032, 3024, 3'300'000},
                                      {1920, 1080, 600'000},
                                      {640, 480, 80'000}};
  const Shape& shape = kShapes[rng() % std::size(kShapes)];
  const int year = kFirstYear + static_cast<int>(rng() % (kLastYear - kFirstYear + 1));
  const int month = 1 + static_cast<int>(rng() % 12);
  char taken[32];
  std::snprintf(taken, sizeof(taken), "%04d-%02d-15T12:00:00", year, month);
  library::ImageFacts facts{.bytes = shape.bytes,
                            .width = shape.width,
                            .height = shape.height,
                            .format = "jpeg",
                            .taken = taken};
  return library::ImagePayload(image_id, facts, {});
}

struct VectorDb {
  std::unique_ptr<Database> db;
  std::shared_ptr<Collection> collection;
};

// Opens the cached collection, or builds it. A marker beside the database records what a finished
// build made; bump its version whenever the vectors or payloads change.
VectorDb OpenOrBuild(const QueryArgs& args) {
  const std::string dir = args.workdir + "/db-" + std::to_string(args.n) + "x" +
                          std::to_string(args.dim) + "-seed" + std::to_string(args.seed);
  const std::string marker = dir + ".complete";
  const std::string made = "alike-bench query database v1\n";
  const unsigned cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  VectorDb v;
  if (auto found = ReadFileToString(marker); found.ok() && *found == made) {
    Stopwatch watch;
    auto db = Database::Open(dir, {.create_if_missing = false, .threads = cpu_threads});
    CheckOk(db.status(), "open " + dir);
    v.db = std::move(*db);
    auto collection = v.db->GetCollection(kCollection);
    CheckOk(collection.status(), "collection");
    v.collection = std::move(*collection);
    if (v.collection->Count() != args.n) Fail(dir + ": unexpected record count; remove it");
    std::printf("database %s: cached, opened in %.2f s\n", dir.c_str(), watch.Seconds());
    return v;
  }
  CheckOk(RemoveAll(marker), "remove " + marker);
  CheckOk(RemoveAll(dir), "remove " + dir);
  std::fprintf(stderr, "  building %zu x %zu vectors (cached afterwards)...\n", args.n, args.dim);
  const Dataset data = MakeSynthetic(args.n, args.dim, 0, args.seed, cpu_threads);
  auto db = Database::Open(dir, {.threads = cpu_threads});
  CheckOk(db.status(), "create " + dir);
  v.db = std::move(*db);
  auto collection =
      v.db->CreateCollection(kCollection, {.dimension = static_cast<uint32_t>(args.dim)});
  CheckOk(collection.status(), "create collection");
  v.collection = std::move(*collection);
  std::mt19937_64 rng(args.seed);
  Stopwatch watch;
  std::vector<Record> batch;
  for (size_t first = 0; first < data.n; first += kUpsertBatch) {
    const size_t last = std::min(data.n, first + kUpsertBatch);
    batch.clear();
    for (size_t i = first; i < last; ++i) {
      batch.push_back({.id = i,
                       .vector = std::vector<float>(data.vector(i), data.vector(i) + data.dim),
                       .payload = MadeUpPayload(i, rng)});
    }
    CheckOk(v.collection->Upsert(batch), "upsert");
  }
  CheckOk(v.collection->Checkpoint(), "checkpoint");
  CheckOk(WriteFileAtomically(marker, made), "write " + marker);
  std::printf("database %s: built in %.1f s (%u threads, batches of %zu, checkpointed)\n",
              dir.c_str(), watch.Seconds(), cpu_threads, kUpsertBatch);
  return v;
}

struct LatencyRun {
  std::vector<double> ms;                  // one per search
  double qps = 0;                          // searches / wall time
  double cpu_ms = 0;                       // process CPU time per search
  std::vector<std::vector<uint64_t>> ids;  // of the first pass over the queries
};

// Searches the first `count` queries from `threads` threads, one query per call, going round
// them until `min_seconds` have passed, and times each call.
LatencyRun MeasureLatency(const Collection& collection, const Dataset& data, size_t count,
                          const SearchOptions& options, unsigned threads, double min_seconds) {
  LatencyRun run;
  run.ids.resize(count);
  std::vector<std::vector<double>> ms(threads);  // per thread
  const double cpu = ProcessCpuSeconds();
  Stopwatch wall;
  const size_t searches = RepeatFor(count, threads, min_seconds, [&](unsigned thread) {
    return [&, thread](size_t i) {
      Stopwatch watch;
      auto hits = collection.Search({.vector = {data.query(i % count), data.dim}}, options);
      ms[thread].push_back(watch.Seconds() * 1000);
      CheckOk(hits.status(), "search");
      if (i < count) {
        for (const Hit& h : *hits) run.ids[i].push_back(h.id);
      }
    };
  });
  run.qps = searches / wall.Seconds();
  run.cpu_ms = (ProcessCpuSeconds() - cpu) * 1000 / searches;
  for (const std::vector<double>& m : ms) run.ms.insert(run.ms.end(), m.begin(), m.end());
  return run;
}

// Mean share of each query's exact top k found by the index.
double Recall(const std::vector<std::vector<uint64_t>>& found,
              const std::vector<std::vector<uint64_t>>& exact) {
  double sum = 0;
  size_t queries = 0;
  for (size_t q = 0; q < exact.size() && q < found.size(); ++q) {
    if (exact[q].empty()) continue;
    size_t hits = 0;
    for (uint64_t id : found[q]) hits += std::count(exact[q].begin(), exact[q].end(), id);
    sum += static_cast<double>(hits) / exact[q].size();
    ++queries;
  }
  return queries ? sum / queries : 0;
}

struct Config {
  std::string name;
  bool exact = false;
  bool filtered = false;
  // Per thread count: latencies pooled over rounds, queries/s per round.
  std::vector<std::vector<double>> ms;
  std::vector<std::vector<double>> qps;
  std::vector<double> cpu_ms;                    // per thread count, least of the rounds
  std::vector<std::vector<uint64_t>> first_ids;  // 1 thread, first round
};

void RunVectorSearch(const QueryArgs& args) {
  const unsigned cpu_threads = std::max(1u, std::thread::hardware_concurrency());
  const VectorDb v = OpenOrBuild(args);
  const Dataset data = MakeSynthetic(0, args.dim, args.queries, args.seed, cpu_threads);
  auto matching = v.collection->CountWhere(args.filter);
  CheckOk(matching.status(), "count " + args.filter);
  const CollectionInfo info = v.collection->Info();
  std::printf(
      "collection: %llu vectors x %zu, cosine, HNSW M=%u ef_construction=%u ef_search=%u, "
      "%s MiB in memory; filter %s matches %.1f%%\n",
      static_cast<unsigned long long>(info.count), args.dim, info.options.hnsw.m,
      info.options.hnsw.ef_construction, args.ef != 0 ? args.ef : info.options.hnsw.ef_search,
      FormatMiB(info.memory_bytes).c_str(), args.filter.c_str(), 100.0 * *matching / info.count);
  std::fflush(stdout);

  std::vector<Config> configs = {{"hnsw", false, false},
                                 {"hnsw, filtered", false, true},
                                 {"exact (brute force)", true, false},
                                 {"exact, filtered", true, true}};
  for (Config& c : configs) {
    c.ms.resize(args.threads.size());
    c.qps.resize(args.threads.size());
    c.cpu_ms.assign(args.threads.size(), 1e30);
  }
  for (const Config& c : configs) {
    MeasureLatency(*v.collection, data, std::min(args.queries, c.exact ? 1 : kWarmupQueries),
                   {.k = args.k, .filter = c.filtered ? args.filter : "", .ef = args.ef}, 1, 0);
  }
  // Configurations take turns within each round, so that a change in machine load hits all.
  for (unsigned r = 0; r < args.repeats; ++r) {
    std::fprintf(stderr, "  vector search, round %u of %u\n", r + 1, args.repeats);
    for (size_t t = 0; t < args.threads.size(); ++t) {
      for (Config& c : configs) {
        if (c.exact && r > 0) continue;
        const size_t count = c.exact ? std::min(args.queries, kScanQueries) : args.queries;
        const SearchOptions options{
            .k = args.k, .filter = c.filtered ? args.filter : "", .ef = args.ef, .exact = c.exact};
        LatencyRun run = MeasureLatency(*v.collection, data, count, options, args.threads[t],
                                        c.exact ? 0 : kMinMeasureSeconds);
        c.ms[t].insert(c.ms[t].end(), run.ms.begin(), run.ms.end());
        c.qps[t].push_back(run.qps);
        c.cpu_ms[t] = std::min(c.cpu_ms[t], run.cpu_ms);
        if (r == 0 && t == 0) c.first_ids = std::move(run.ids);
      }
    }
  }

  std::printf(
      "\nSingle searches, k=%zu, with payloads; %zu queries, latencies pooled over %u rounds "
      "(exact: first %zu queries, one round); queries/s best of the rounds and range; CPU ms "
      "per search (all threads), least of the rounds; recall@%zu against exact on the first "
      "queries\n",
      args.k, args.queries, args.repeats, std::min(args.queries, kScanQueries), args.k);
  Table table({"search", "threads", "p50 ms", "p95 ms", "p99 ms", "queries/s", "range", "CPU ms",
               "recall@" + std::to_string(args.k), "p50 speed-up vs exact"});
  for (const Config& c : configs) {
    const Config& exact = configs[c.filtered ? 3 : 2];
    const double recall = Recall(c.first_ids, exact.first_ids);
    for (size_t t = 0; t < args.threads.size(); ++t) {
      const double p50 = Percentile(c.ms[t], 50);
      table.AddRow({c.name, std::to_string(args.threads[t]), FormatFixed(p50, 3),
                    FormatFixed(Percentile(c.ms[t], 95), 3),
                    FormatFixed(Percentile(c.ms[t], 99), 3),
                    FormatRate(*std::max_element(c.qps[t].begin(), c.qps[t].end())),
                    FormatRange(c.qps[t]), FormatFixed(c.cpu_ms[t], 3), FormatFixed(recall, 4),
                    FormatRate(Percentile(exact.ms[t], 50) / p50)});
    }
  }
  table.Print(stdout);
  std::fflush(stdout);
}

// Times of one file search and of its parts, in ms.
struct FileTimes {
  std::vector<double> total, decode, embed, search;
};

void RunFileSearch(const QueryArgs& args) {
  const std::string models = args.models.empty() ? embed::DefaultModelDir() : args.models;
  const CorpusSpec specs[] = {SmallCorpus(kSmallCorpusImages, args.seed),
                              LargeCorpus(kLargeCorpusImages, args.seed)};
  const Corpora prepared = PrepareCorpora(args.photos, specs, args.images);
  const Corpus& small = prepared.corpora[0];
  const Corpus& large = prepared.corpora[1];

  const std::string dir = args.workdir + "/library-" + std::to_string(kSmallCorpusImages);
  auto library =
      Library::Open(dir, {.create_if_missing = true, .models_dir = models, .embedders = {"cnn"}});
  CheckOk(library.status(), "open library " + dir);
  const std::vector<std::string> roots = {small.dir};
  auto report = (*library)->Index(roots, {}, nullptr);
  CheckOk(report.status(), "index " + small.dir);
  std::printf("library %s: %llu images indexed, %llu unchanged, in %.1f s\n", dir.c_str(),
              static_cast<unsigned long long>(report->indexed),
              static_cast<unsigned long long>(report->unchanged), report->seconds);
  auto collection = (*library)->database().GetCollection(library::SpaceCollectionName("cnn"));
  CheckOk(collection.status(), "cnn space");
  auto cnn = embed::CnnEmbedder::OpenDefault(models);
  CheckOk(cnn.status(), "cnn model");
  const ImageSearchOptions search_options{.by = "cnn", .k = args.k};
  const image::DecodeOptions decode{.min_short_side = (*cnn)->preferred_short_side()};

  std::printf(
      "\nLibrary::Search by file (cnn, k=%zu) on that library, 1 thread, %zu files x %u rounds; "
      "its parts timed on their own\n",
      args.k, args.search_files, args.repeats);
  Table table({"query files", "total p50 ms", "total p95 ms", "decode p50", "cnn embed p50",
               "vector search p50", "rest p50"});
  for (const Corpus* corpus : {&large, &small}) {
    const size_t count = std::min(args.search_files, corpus->files.size());
    const std::span<const std::string> files(corpus->files.data(), count);
    CheckOk((*library)->Search(ImageSource::File(files.front()), search_options).status(),
            "search");  // warm-up
    FileTimes times;
    for (unsigned r = 0; r < args.repeats; ++r) {
      for (const std::string& file : files) {
        Stopwatch watch;
        CheckOk((*library)->Search(ImageSource::File(file), search_options).status(),
                "search " + file);
        times.total.push_back(watch.Seconds() * 1000);
        watch.Restart();
        auto img = image::DecodeFile(file, decode);
        CheckOk(img.status(), "decode");
        times.decode.push_back(watch.Seconds() * 1000);
        watch.Restart();
        auto embedding = (*cnn)->Embed(img->bgr);
        CheckOk(embedding.status(), "embed");
        times.embed.push_back(watch.Seconds() * 1000);
        watch.Restart();
        auto hits = (*collection)->Search({.vector = embedding->front().vector}, {.k = args.k});
        CheckOk(hits.status(), "search");
        times.search.push_back(watch.Seconds() * 1000);
      }
    }
    const double total = Percentile(times.total, 50);
    const double decode_ms = Percentile(times.decode, 50);
    const double embed_ms = Percentile(times.embed, 50);
    const double search_ms = Percentile(times.search, 50);
    const CorpusSpec& spec = corpus == &large ? specs[1] : specs[0];
    table.AddRow({DescribeSize(spec.width, spec.height), FormatFixed(total, 1),
                  FormatFixed(Percentile(times.total, 95), 1), FormatFixed(decode_ms, 1),
                  FormatFixed(embed_ms, 1), FormatFixed(search_ms, 2),
                  FormatFixed(total - decode_ms - embed_ms - search_ms, 1)});
  }
  table.Print(stdout);
  std::printf(
      "  (rest: the catalog lookups of the hits and the difference between the parts' medians "
      "and the total's)\n");
}

int RunQuery(const QueryArgs& args) {
  if (args.threads.empty() || std::count(args.threads.begin(), args.threads.end(), 0u) > 0) {
    Fail("--threads: give positive values");
  }
  if (args.n == 0 || args.dim == 0 || args.queries == 0 || args.k == 0 || args.repeats == 0) {
    Fail("--n, --dim, --queries, --k and --repeats must be positive");
  }
  CheckOk(CreateDir(args.workdir), "create " + args.workdir);
  std::printf("alike-bench query: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  std::fflush(stdout);
  RunVectorSearch(args);
  if (args.search_files > 0) RunFileSearch(args);
  return 0;
}

}  // namespace

Command AddQueryCommand(CLI::App& app) {
  auto args = std::make_shared<QueryArgs>();
  CLI::App* cmd = app.add_subcommand(
      "query", "Search latency p50/p95/p99 at 100k images, and Library::Search by file end to end");
  CLI::Option* n =
      cmd->add_option("--n", args->n, "Vectors in the collection")->capture_default_str();
  cmd->add_option("--dim", args->dim, "Vector dimension (cnn: 1280)")->capture_default_str();
  CLI::Option* queries =
      cmd->add_option("--queries", args->queries, "Query vectors")->capture_default_str();
  cmd->add_option("--k", args->k, "Hits per search")->capture_default_str();
  cmd->add_option("--ef", args->ef, "HNSW search beam (0: the collection's ef_search)")
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "Client thread counts")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--filter", args->filter, "Payload filter of the filtered searches")
      ->capture_default_str();
  CLI::Option* repeats = cmd->add_option("--repeats", args->repeats, "Rounds of every measurement")
                             ->capture_default_str();
  CLI::Option* search_files =
      cmd->add_option("--search-files", args->search_files,
                      "Query files of each size for Library::Search by file "
                      "(0: vector search only)")
          ->capture_default_str();
  cmd->add_option("--workdir", args->workdir, "Scratch directory (database, library)")
      ->capture_default_str();
  cmd->add_option("--images", args->images, "Where the test JPEGs are made or found")
      ->capture_default_str();
  AddPhotoAndModelOptions(*cmd, args->photos, args->models);
  cmd->add_option("--seed", args->seed, "Seed of the vectors and payloads")->capture_default_str();
  cmd->add_flag("--quick", args->quick, "A short run: n=10000, 200 queries, 5 files, 1 round");
  auto run = [args, n, queries, repeats, search_files] {
    if (args->quick) {
      if (n->count() == 0) args->n = kQuickN;
      if (queries->count() == 0) args->queries = kQuickQueries;
      if (repeats->count() == 0) args->repeats = 1;
      if (search_files->count() == 0) args->search_files = kQuickSearchFiles;
    }
    return RunQuery(*args);
  };
  return {cmd, run};
}

}  // namespace alike::bench
