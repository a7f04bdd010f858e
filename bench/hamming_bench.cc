// alike-bench hamming: exact Hamming search over binary codes (perceptual hashes), alike's kHamming
// collection against Faiss's IndexBinaryFlat in the same run.
//
//   alike-bench hamming [--n 100000] [--bits 256] [--queries 1000] [--k 10] [--repeats 3]
//                       [--workdir /tmp/alike-bench/hamming] [--seed 42] [--quick]
//
// n random codes go into a flat kHamming collection (what an image library's pdq and dct64 spaces
// are) and into a faiss::IndexBinaryFlat. Queries are random codes, one per call on one thread
// (Faiss's OpenMP limited to that thread), k nearest, no payloads; each round times both targets
// in turn, so that a change in machine load hits both. The two must agree on every query's k
// distances (ties may order ids differently), which the run checks.
#include <faiss/IndexBinaryFlat.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "alike/vector_db.h"
#include "bench_util.h"
#include "commands.h"
#include "table.h"
#include "util/file.h"

namespace alike::bench {
namespace {

constexpr size_t kQuickN = 10000;
constexpr size_t kQuickQueries = 200;
constexpr size_t kUpsertBatch = 10000;
constexpr double kMinMeasureSeconds = 0.5;

struct HammingArgs {
  size_t n = 100000;
  uint32_t bits = 256;
  size_t queries = 1000;
  size_t k = 10;
  unsigned repeats = 3;
  std::string workdir = "/tmp/alike-bench/hamming";
  uint64_t seed = 42;
  bool quick = false;
};

std::vector<uint8_t> RandomCodes(size_t count, size_t bytes, std::mt19937_64& rng) {
  std::vector<uint8_t> codes(count * bytes);
  for (uint8_t& b : codes) b = static_cast<uint8_t>(rng());
  return codes;
}

struct Target {
  std::string name;
  // Searches query i; returns its k distances, nearest first.
  std::function<std::vector<int>(size_t)> search;
  std::vector<double> qps;  // per round
};

int RunHamming(const HammingArgs& args) {
  if (args.n == 0 || args.queries == 0 || args.k == 0 || args.repeats == 0 || args.bits == 0 ||
      args.bits % 64 != 0) {
    Fail("--n, --queries, --k and --repeats must be positive, --bits a multiple of 64");
  }
  const size_t bytes = args.bits / 8;
  std::printf("alike-bench hamming: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  std::mt19937_64 rng(args.seed);
  const std::vector<uint8_t> base = RandomCodes(args.n, bytes, rng);
  const std::vector<uint8_t> queries = RandomCodes(args.queries, bytes, rng);

  CheckOk(CreateDir(args.workdir), "create " + args.workdir);
  const std::string dir = args.workdir + "/db";
  CheckOk(RemoveAll(dir), "remove " + dir);
  auto db = Database::Open(dir, {.sync = SyncPolicy::kNone});
  CheckOk(db.status(), "create " + dir);
  auto collection = (*db)->CreateCollection(
      "codes", {.dimension = args.bits, .metric = Metric::kHamming, .index = IndexKind::kFlat});
  CheckOk(collection.status(), "create collection");
  std::vector<Record> batch;
  for (size_t first = 0; first < args.n; first += kUpsertBatch) {
    batch.clear();
    for (size_t i = first; i < std::min(args.n, first + kUpsertBatch); ++i) {
      batch.push_back(
          {.id = i, .binary = {base.begin() + i * bytes, base.begin() + (i + 1) * bytes}});
    }
    CheckOk((*collection)->Upsert(batch), "upsert");
  }
  faiss::IndexBinaryFlat faiss_index(args.bits);
  faiss_index.add(static_cast<faiss::IndexBinary::idx_t>(args.n), base.data());
  omp_set_num_threads(1);

  const SearchOptions options{.k = args.k, .with_payload = false};
  std::vector<Target> targets;
  targets.push_back(
      {"alike kHamming flat collection", [&](size_t i) {
         auto hits =
             (*collection)->Search({.binary = {queries.data() + i * bytes, bytes}}, options);
         CheckOk(hits.status(), "search");
         std::vector<int> d;
         for (const Hit& h : *hits) d.push_back(static_cast<int>(h.distance));
         return d;
       }});
  std::vector<int32_t> distances(args.k);
  std::vector<faiss::IndexBinary::idx_t> labels(args.k);
  targets.push_back({"Faiss IndexBinaryFlat", [&](size_t i) {
                       faiss_index.search(1, queries.data() + i * bytes,
                                          static_cast<faiss::IndexBinary::idx_t>(args.k),
                                          distances.data(), labels.data());
                       return std::vector<int>(distances.begin(), distances.end());
                     }});

  // Both must find the same distances before their speeds mean anything.
  for (size_t i = 0; i < args.queries; ++i) {
    if (targets[0].search(i) != targets[1].search(i)) {
      Fail("alike and Faiss disagree on the distances of query " + std::to_string(i));
    }
  }
  for (unsigned r = 0; r < args.repeats; ++r) {
    std::fprintf(stderr, "  round %u of %u\n", r + 1, args.repeats);
    for (Target& t : targets) {
      Stopwatch wall;
      const size_t searches = RepeatFor(args.queries, 1, kMinMeasureSeconds, [&](unsigned) {
        return [&](size_t i) { t.search(i % args.queries); };
      });
      t.qps.push_back(searches / wall.Seconds());
    }
  }

  std::printf(
      "\nExact Hamming search, %zu random %u-bit codes, k=%zu, %zu random queries one per call, "
      "1 thread, no payloads; queries/s best of %u rounds and range; same distances checked on "
      "every query\n",
      args.n, args.bits, args.k, args.queries, args.repeats);
  const double faiss_best = *std::max_element(targets[1].qps.begin(), targets[1].qps.end());
  Table table({"target", "queries/s", "range", "ms/query", "vs Faiss"});
  for (const Target& t : targets) {
    const double best = *std::max_element(t.qps.begin(), t.qps.end());
    table.AddRow({t.name, FormatRate(best), FormatRange(t.qps), FormatFixed(1000 / best, 3),
                  FormatFixed(best / faiss_best, 2) + "x"});
  }
  table.Print(stdout);
  CheckOk(RemoveAll(dir), "remove " + dir);
  return 0;
}

}  // namespace

Command AddHammingCommand(CLI::App& app) {
  auto args = std::make_shared<HammingArgs>();
  CLI::App* cmd = app.add_subcommand(
      "hamming", "Exact Hamming search over binary codes: alike against Faiss IndexBinaryFlat");
  CLI::Option* n = cmd->add_option("--n", args->n, "Codes in the index")->capture_default_str();
  cmd->add_option("--bits", args->bits, "Bits per code (PDQ: 256)")->capture_default_str();
  CLI::Option* queries =
      cmd->add_option("--queries", args->queries, "Query codes")->capture_default_str();
  cmd->add_option("--k", args->k, "Hits per search")->capture_default_str();
  CLI::Option* repeats = cmd->add_option("--repeats", args->repeats, "Rounds of the measurement")
                             ->capture_default_str();
  cmd->add_option("--workdir", args->workdir, "Scratch directory (the collection)")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the codes")->capture_default_str();
  cmd->add_flag("--quick", args->quick, "A short run: n=10000, 200 queries, 1 round");
  auto run = [args, n, queries, repeats] {
    if (args->quick) {
      if (n->count() == 0) args->n = kQuickN;
      if (queries->count() == 0) args->queries = kQuickQueries;
      if (repeats->count() == 0) args->repeats = 1;
    }
    return RunHamming(*args);
  };
  return {cmd, run};
}

}  // namespace alike::bench
