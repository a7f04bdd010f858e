// alike-bench: measures alike's vector indexes against hnswlib and Faiss on the same data, in the
// same process, so that every number has a baseline taken under the same machine load.
//
//   alike-bench ann [--dataset fashion-mnist,synthetic] [--n N] [--dim D] [--queries Q] [--k 10]
//                   [--m 16] [--ef-construction 100] [--ef 10,16,32,64,128,256] [--threads 1,2]
//                   [--kinds flat,hnsw,sq8] [--baselines brute,hnswlib,faiss,faiss-simd]
//                   [--repeats 3] [--json FILE] [--workdir DIR] [--quick]
//
// For each data set it prints build time, memory, on-disk size and reopen time of every target,
// recall@k and queries/s at each ef with 1 and 2 query threads (one query per call, never
// batched), and a summary of alike's HNSW against its targets. Run it with
// OMP_WAIT_POLICY=PASSIVE so that idle Faiss (OpenMP) threads do not spin on the cores the
// other targets are measured on. See bench/README.md.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/vector_db.h"
#include "bench_util.h"
#include "commands.h"
#include "dataset.h"
#include "table.h"
#include "targets.h"

namespace alike::bench {
namespace {

using Json = nlohmann::ordered_json;

constexpr size_t kFashionDefaultN = 60000;
constexpr size_t kSyntheticDefaultN = 100000;
constexpr size_t kQuickN = 5000;
constexpr size_t kQuickQueries = 200;
constexpr double kRecallGoal = 0.95;
constexpr double kMinMeasureSeconds = 0.3;  // a measurement repeats the queries at least this long
constexpr size_t kScanWarmupQueries = 10;   // an exact scan touches every vector each query
// Exact scans (targets without ef) cost a pass over all vectors per query: they are measured on
// this many queries, in the first round only.
constexpr size_t kScanQueries = 100;
constexpr size_t kReopenCheckQueries = 200;
constexpr const char* kGraphBaselines[] = {"hnswlib", "faiss-hnsw", "faiss-simd"};

struct AnnArgs {
  std::vector<std::string> datasets = {"fashion-mnist", "synthetic"};
  size_t n = 0;  // 0: the data set's default
  size_t dim = 512;
  size_t queries = 1000;
  size_t k = 10;
  uint32_t m = 16;
  uint32_t ef_construction = 100;
  std::vector<uint32_t> efs = {10, 16, 32, 64, 128, 256};
  std::vector<unsigned> threads = {1, 2};
  unsigned build_threads = 2;
  unsigned repeats = 3;
  std::vector<std::string> kinds = {"flat", "hnsw", "sq8"};
  std::vector<std::string> baselines = {"brute", "hnswlib", "faiss", "faiss-simd"};
  std::string json_path;
  std::string workdir = "/tmp/alike-bench";
  uint64_t seed = 42;
  bool quick = false;
  bool no_cache = false;
};

struct Run {
  uint32_t ef = 0;  // 0: the target has no ef
  double recall = 0;
  size_t queries = 0;       // how many queries recall and qps are over
  std::vector<double> qps;  // one per AnnArgs::threads entry, the best of the rounds
};

struct TargetResult {
  std::string name;
  bool uses_ef = false;
  BuildReport build;
  int64_t rss_delta = 0;   // resident memory after the build, less before it
  int64_t build_peak = 0;  // peak resident memory during the build, less the memory before it
  PersistReport persist;
  std::vector<Run> runs;
  double recall_before_reopen = 0;  // on the first kReopenCheckQueries, at the largest ef
  double recall_after_reopen = 0;
};

// Searches the first `count` queries from `threads` threads, one query per call, and keeps going
// round the queries until `min_seconds` have passed. Returns queries/s; the ids of the first pass
// go to `ids` (count * k).
double MeasureQps(const AnnTarget& target, const Dataset& data, size_t count, size_t k,
                  unsigned threads, double min_seconds, std::vector<int64_t>* ids) {
  ids->assign(count * k, -1);
  Stopwatch watch;
  const size_t searches = RepeatFor(count, threads, min_seconds, [&](unsigned) {
    target.PrepareThread();
    return [&, scratch = std::vector<int64_t>(k)](size_t i) mutable {
      const size_t q = i % count;
      target.Search(data.query(q), k, i < count ? ids->data() + q * k : scratch.data());
    };
  });
  return static_cast<double>(searches) / watch.Seconds();
}

// Builds every target, one after the other, noting time and memory.
std::vector<TargetResult> BuildAll(const std::vector<std::unique_ptr<AnnTarget>>& targets,
                                   const Dataset& data, const AnnArgs& args) {
  std::vector<TargetResult> results;
  for (const auto& target : targets) {
    TargetResult result;
    result.name = target->name();
    result.uses_ef = target->uses_ef();
    std::fprintf(stderr, "  %s: building...", result.name.c_str());
    std::fflush(stderr);
    const auto rss_before = static_cast<int64_t>(ResidentBytes());
    ResetPeakResident();
    result.build = target->Build(data);
    result.build_peak = static_cast<int64_t>(PeakResidentBytes()) - rss_before;
    result.rss_delta = static_cast<int64_t>(ResidentBytes()) - rss_before;
    std::fprintf(stderr, " %.2f s\n", result.build.build_seconds);
    const size_t runs = result.uses_ef ? args.efs.size() : 1;
    result.runs.resize(runs);
    for (size_t i = 0; i < runs; ++i) {
      result.runs[i].ef = result.uses_ef ? args.efs[i] : 0;
      result.runs[i].qps.assign(args.threads.size(), 0);
    }
    results.push_back(std::move(result));
  }
  return results;
}

// Measures every (ef, query threads) configuration of every target. Targets take turns within
// each configuration, and the whole sweep is repeated --repeats times keeping the best, so that a
// change in machine load hits all targets alike rather than whichever was running then.
// Returns, per target, the first-pass result ids at its largest ef (for the reopen check).
std::vector<std::vector<int64_t>> MeasureAll(const std::vector<std::unique_ptr<AnnTarget>>& targets,
                                             std::vector<TargetResult>& results,
                                             const Dataset& data, const AnnArgs& args) {
  std::vector<std::vector<int64_t>> last_ids(targets.size());
  std::vector<int64_t> ids;
  // Warm-up: every query once at the largest ef, so that each target has touched the pages its
  // measurements will. A target built first sits idle while the others build, and on this VM its
  // memory went cold meanwhile: at 1M x 512, alike (built first) measured 1,738 queries/s at ef
  // 16 after a 100-query warm-up beside hnswlib, and 9,216 when built alone.
  for (const auto& target : targets) {
    target->SetEf(args.efs.back());
    const size_t count = target->uses_ef() ? data.num_queries : kScanWarmupQueries;
    MeasureQps(*target, data, std::min(data.num_queries, count), data.k, 1, 0, &ids);
  }
  for (unsigned r = 0; r < args.repeats; ++r) {
    for (size_t e = 0; e < args.efs.size(); ++e) {
      std::fprintf(stderr, "  measuring ef=%u (round %u of %u)\n", args.efs[e], r + 1,
                   args.repeats);
      for (size_t t = 0; t < args.threads.size(); ++t) {
        for (size_t i = 0; i < targets.size(); ++i) {
          if (e >= results[i].runs.size()) continue;
          const bool scan = !results[i].uses_ef;
          if (scan && r > 0) continue;
          const size_t count = scan ? std::min(data.num_queries, kScanQueries) : data.num_queries;
          Run& run = results[i].runs[e];
          targets[i]->SetEf(args.efs[e]);
          const double qps = MeasureQps(*targets[i], data, count, data.k, args.threads[t],
                                        kMinMeasureSeconds, &ids);
          run.qps[t] = std::max(run.qps[t], qps);
          if (r == 0 && t == 0) {
            run.recall = RecallAtK(data, ids, count);
            run.queries = count;
            if (e + 1 == results[i].runs.size()) last_ids[i] = ids;
          }
        }
      }
    }
  }
  return last_ids;
}

// Saves and reopens each target, checks that it answers as before, and frees it.
void PersistAll(std::vector<std::unique_ptr<AnnTarget>>& targets,
                std::vector<TargetResult>& results,
                const std::vector<std::vector<int64_t>>& last_ids, const Dataset& data) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < targets.size(); ++i) {
    TargetResult& result = results[i];
    std::fprintf(stderr, "  %s: saving and reopening\n", result.name.c_str());
    result.persist = targets[i]->SaveAndReopen();
    targets[i]->SetEf(result.runs.back().ef);
    const size_t check = std::min(kReopenCheckQueries, last_ids[i].size() / data.k);
    MeasureQps(*targets[i], data, check, data.k, 1, 0, &ids);
    result.recall_after_reopen = RecallAtK(data, ids, check);
    result.recall_before_reopen = RecallAtK(data, last_ids[i], check);
    targets[i].reset();
  }
}

// Vectors as float32 plus an HNSW graph at its capacity: 2M links (and a count) per node on
// layer 0, and M links (and a count) on each upper layer, of which a node has 1/(M-1) on average.
double IdealHnswBytes(const Dataset& data, uint32_t m) {
  const double per_node = data.dim * 4.0 + (2.0 * m + 1) * 4.0 + (m + 1) * 4.0 / (m - 1.0);
  return per_node * static_cast<double>(data.n);
}

std::string ThreadsLabel(unsigned threads) {
  return "qps " + std::to_string(threads) + (threads == 1 ? " thread" : " threads");
}

// Queries/s at recall kRecallGoal on one query-thread count, read off a target's recall-qps
// curve: between the last ef below the goal and the first ef reaching it, log(qps) is
// interpolated linearly in recall, so that the coarse ef grid does not favour whichever target
// happens to cross the goal just after a grid point. When the smallest ef already reaches the
// goal its qps is taken as is (a lower bound).
struct AtRecall {
  bool found = false;
  double qps = 0;
  const Run* below = nullptr;  // null when not interpolated
  const Run* above = nullptr;
};

AtRecall QpsAtRecall(const TargetResult& r, size_t thread_index) {
  std::vector<const Run*> runs;
  for (const Run& run : r.runs) runs.push_back(&run);
  std::sort(runs.begin(), runs.end(), [](const Run* a, const Run* b) { return a->ef < b->ef; });
  AtRecall at;
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i]->recall < kRecallGoal) continue;
    at.found = true;
    at.above = runs[i];
    at.qps = runs[i]->qps[thread_index];
    if (i > 0) {
      const Run& lo = *runs[i - 1];
      const Run& hi = *runs[i];
      const double t = (kRecallGoal - lo.recall) / (hi.recall - lo.recall);
      at.below = &lo;
      at.qps = std::exp(std::log(lo.qps[thread_index]) +
                        t * (std::log(hi.qps[thread_index]) - std::log(lo.qps[thread_index])));
    }
    break;
  }
  return at;
}

std::string DescribeAtRecall(const TargetResult& r, const AtRecall& a) {
  if (!a.found) {
    double top = 0;
    for (const Run& run : r.runs) top = std::max(top, run.recall);
    return "n/a (max recall " + FormatFixed(top, 3) + ")";
  }
  if (a.below != nullptr) {
    return FormatRate(a.qps) + " (ef " + std::to_string(a.below->ef) + ".." +
           std::to_string(a.above->ef) + ")";
  }
  std::string s = FormatRate(a.qps) + " (";
  if (a.above->ef != 0) s += "ef " + std::to_string(a.above->ef) + ", ";
  return s + "recall " + FormatFixed(a.above->recall, 3) + ")";
}

const TargetResult* Find(const std::vector<TargetResult>& results, const std::string& name) {
  for (const auto& r : results) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

struct SummaryRow {
  std::string check;
  std::string alike;
  std::string baseline;
  std::optional<double> ratio;
  std::string target;  // e.g. ">= 1.0"; empty: for information
  std::optional<bool> met;
};

std::vector<SummaryRow> Summarize(const Dataset& data, const std::vector<TargetResult>& results,
                                  const AnnArgs& args) {
  std::vector<SummaryRow> rows;
  const TargetResult* alike = Find(results, "alike-hnsw");
  if (alike == nullptr) return rows;
  struct Baseline {
    const char* name;
    const char* label;
    double goal;  // qps ratio goal at one thread; 0: none
  };
  const Baseline baselines[] = {{"hnswlib", "hnswlib", 1.0},
                                {"faiss-hnsw", "faiss HNSW", 2.5},
                                {"faiss-simd", "faiss-simd", 2.5}};
  for (size_t t = 0; t < args.threads.size(); ++t) {
    for (const Baseline& b : baselines) {
      const TargetResult* base = Find(results, b.name);
      if (base == nullptr) continue;
      const AtRecall mine = QpsAtRecall(*alike, t);
      const AtRecall theirs = QpsAtRecall(*base, t);
      SummaryRow row;
      row.check = ThreadsLabel(args.threads[t]) + " @ recall " + FormatFixed(kRecallGoal, 2) +
                  " vs " + b.label;
      row.alike = DescribeAtRecall(*alike, mine);
      row.baseline = DescribeAtRecall(*base, theirs);
      if (mine.found && theirs.found) row.ratio = mine.qps / theirs.qps;
      if (args.threads[t] == 1) {
        row.target = ">= " + FormatFixed(b.goal, 1);
        if (row.ratio) row.met = *row.ratio >= b.goal;
      }
      rows.push_back(row);
    }
  }
  {
    const double ideal = IdealHnswBytes(data, args.m);
    SummaryRow row;
    row.check = "memory / (vectors + graph)";
    row.alike = FormatMiB(alike->build.memory_bytes) + " MiB";
    row.baseline = FormatMiB(static_cast<uint64_t>(ideal)) + " MiB (ideal)";
    row.ratio = alike->build.memory_bytes / ideal;
    row.target = "<= 1.2";
    row.met = *row.ratio <= 1.2;
    rows.push_back(row);
    rows.push_back({"  (alike-hnsw after reopen)", FormatMiB(alike->persist.memory_bytes) + " MiB",
                    "", alike->persist.memory_bytes / ideal, "", std::nullopt});
    for (const char* name : kGraphBaselines) {
      const TargetResult* base = Find(results, name);
      if (base == nullptr) continue;
      rows.push_back({std::string("  (") + name + " memory / (vectors + graph))", "",
                      FormatMiB(base->build.memory_bytes) + " MiB",
                      base->build.memory_bytes / ideal, "", std::nullopt});
    }
  }
  for (const char* name : kGraphBaselines) {
    const TargetResult* base = Find(results, name);
    if (base == nullptr) continue;
    rows.push_back({std::string("build time vs ") + name,
                    FormatFixed(alike->build.build_seconds, 2) + " s",
                    FormatFixed(base->build.build_seconds, 2) + " s",
                    alike->build.build_seconds / base->build.build_seconds, "", std::nullopt});
  }
  for (const char* name : kGraphBaselines) {
    const TargetResult* base = Find(results, name);
    if (base == nullptr) continue;
    rows.push_back({std::string("reopen time vs ") + name + " load",
                    FormatFixed(alike->persist.reopen_seconds, 3) + " s",
                    FormatFixed(base->persist.reopen_seconds, 3) + " s",
                    alike->persist.reopen_seconds / base->persist.reopen_seconds, "",
                    std::nullopt});
  }
  return rows;
}

void PrintDataset(const Dataset& data, const std::vector<TargetResult>& results,
                  const std::vector<SummaryRow>& summary, const AnnArgs& args) {
  const double ideal = IdealHnswBytes(data, args.m);
  std::printf("\nBuild, memory and persistence (%zu vectors; ideal vectors + graph = %s MiB)\n",
              data.n, FormatMiB(static_cast<uint64_t>(ideal)).c_str());
  Table build({"target", "build s", "inserts/s", "memory MiB", "mem/ideal", "RSS delta MiB",
               "build peak MiB", "save s", "disk MiB", "reopen s", "reopened MiB"});
  for (const auto& r : results) {
    build.AddRow({r.name, FormatFixed(r.build.build_seconds, 2),
                  FormatRate(data.n / r.build.build_seconds), FormatMiB(r.build.memory_bytes),
                  FormatFixed(r.build.memory_bytes / ideal, 2),
                  FormatFixed(r.rss_delta / 1048576.0, 1), FormatFixed(r.build_peak / 1048576.0, 1),
                  FormatFixed(r.persist.save_seconds, 3), FormatMiB(r.persist.disk_bytes),
                  FormatFixed(r.persist.reopen_seconds, 3), FormatMiB(r.persist.memory_bytes)});
  }
  build.Print(stdout);

  std::printf(
      "\nSearch (%zu queries, one per call, k=%zu; best of %u rounds; scans: first %zu queries, "
      "one round)\n",
      data.num_queries, data.k, args.repeats, std::min(data.num_queries, kScanQueries));
  std::vector<std::string> header = {"target", "ef", "recall@" + std::to_string(data.k)};
  for (unsigned t : args.threads) header.push_back(ThreadsLabel(t));
  Table search(header);
  for (const auto& r : results) {
    for (const Run& run : r.runs) {
      std::vector<std::string> row = {r.name, run.ef == 0 ? "-" : std::to_string(run.ef),
                                      FormatFixed(run.recall, 4)};
      for (double qps : run.qps) row.push_back(FormatRate(qps));
      search.AddRow(row);
    }
  }
  search.Print(stdout);
  for (const auto& r : results) {
    if (std::fabs(r.recall_after_reopen - r.recall_before_reopen) > 0.005) {
      std::printf("  WARNING: %s recall changed on reopen: %.4f before, %.4f after\n",
                  r.name.c_str(), r.recall_before_reopen, r.recall_after_reopen);
    }
  }

  if (summary.empty()) return;
  std::printf("\nSummary: %s, alike-hnsw against its targets\n", data.name.c_str());
  Table table({"check", "alike-hnsw", "baseline", "ratio", "target", "result"});
  for (const auto& row : summary) {
    table.AddRow({row.check, row.alike, row.baseline,
                  row.ratio ? FormatFixed(*row.ratio, 2) : "n/a", row.target,
                  row.met ? (*row.met ? "ok" : "MISS") : ""});
  }
  table.Print(stdout);
}

Json ToJson(const Dataset& data, double load_seconds, double truth_seconds,
            const std::vector<TargetResult>& results, const std::vector<SummaryRow>& summary,
            const AnnArgs& args) {
  Json j;
  j["dataset"] = data.name;
  j["n"] = data.n;
  j["dim"] = data.dim;
  j["distance"] = DistanceKindName(data.distance);
  j["queries"] = data.num_queries;
  j["k"] = data.k;
  j["load_seconds"] = load_seconds;
  j["ground_truth_seconds"] = truth_seconds;
  j["ideal_hnsw_bytes"] = IdealHnswBytes(data, args.m);
  Json targets = Json::array();
  for (const auto& r : results) {
    Json t;
    t["name"] = r.name;
    t["build_seconds"] = r.build.build_seconds;
    t["inserts_per_second"] = data.n / r.build.build_seconds;
    t["memory_bytes"] = r.build.memory_bytes;
    t["memory_note"] = r.build.memory_note;
    t["rss_delta_bytes"] = r.rss_delta;
    t["build_peak_rss_bytes"] = r.build_peak;
    t["save_seconds"] = r.persist.save_seconds;
    t["disk_bytes"] = r.persist.disk_bytes;
    t["reopen_seconds"] = r.persist.reopen_seconds;
    t["reopened_memory_bytes"] = r.persist.memory_bytes;
    t["recall_before_reopen"] = r.recall_before_reopen;
    t["recall_after_reopen"] = r.recall_after_reopen;
    Json runs = Json::array();
    for (const Run& run : r.runs) {
      Json jr;
      if (run.ef != 0) jr["ef"] = run.ef;
      jr["recall"] = run.recall;
      jr["queries"] = run.queries;
      Json qps;
      for (size_t i = 0; i < run.qps.size(); ++i) qps[std::to_string(args.threads[i])] = run.qps[i];
      jr["qps_by_threads"] = qps;
      runs.push_back(jr);
    }
    t["runs"] = runs;
    targets.push_back(t);
  }
  j["targets"] = targets;
  Json rows = Json::array();
  for (const auto& row : summary) {
    Json jr;
    jr["check"] = row.check;
    jr["alike"] = row.alike;
    jr["baseline"] = row.baseline;
    jr["ratio"] = row.ratio ? Json(*row.ratio) : Json();
    jr["target"] = row.target;
    jr["met"] = row.met ? Json(*row.met) : Json();
    rows.push_back(jr);
  }
  j["summary"] = rows;
  return j;
}

std::vector<std::string> NonEmpty(std::vector<std::string> items) {
  std::erase_if(items, [](const std::string& s) { return s.empty() || s == "none"; });
  return items;
}

int RunAnn(AnnArgs args) {
  args.kinds = NonEmpty(args.kinds);
  args.baselines = NonEmpty(args.baselines);
  std::vector<IndexKind> kinds;
  for (const auto& name : args.kinds) {
    auto kind = ParseIndexKind(name);
    if (!kind.ok()) Fail("--kinds: " + kind.status().message());
    kinds.push_back(*kind);
  }
  for (const auto& b : args.baselines) {
    if (b != "brute" && b != "hnswlib" && b != "faiss" && b != "faiss-simd") {
      Fail("--baselines: unknown baseline '" + b + "' (brute, hnswlib, faiss, faiss-simd)");
    }
  }
  for (const auto& d : args.datasets) {
    if (d != "fashion-mnist" && d != "synthetic") {
      Fail("--dataset: unknown data set '" + d + "' (fashion-mnist, synthetic)");
    }
  }
  if (args.efs.empty() || std::count(args.efs.begin(), args.efs.end(), 0u) > 0) {
    Fail("--ef: give positive values");
  }
  if (args.threads.empty() || std::count(args.threads.begin(), args.threads.end(), 0u) > 0) {
    Fail("--threads: give positive values");
  }
  if (args.k == 0 || args.queries == 0 || args.dim == 0 || args.m < 2 || args.build_threads == 0 ||
      args.repeats == 0) {
    Fail("--k, --queries, --dim, --build-threads and --repeats must be positive, --m at least 2");
  }
  std::error_code ec;
  std::filesystem::create_directories(args.workdir, ec);
  if (ec) Fail("cannot create " + args.workdir + ": " + ec.message());

  const char* wait_policy = std::getenv("OMP_WAIT_POLICY");
  std::printf("alike-bench ann: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads; OMP_WAIT_POLICY=%s\n", CpuModel().c_str(),
              std::thread::hardware_concurrency(), wait_policy ? wait_policy : "(unset)");
  std::printf(
      "config: M=%u ef_construction=%u, build threads %u, query threads as listed (one query "
      "per call); alike: default SyncPolicy::kAlways, Upsert batches of 10000, "
      "with_payload=false\n",
      args.m, args.ef_construction, args.build_threads);
  if (wait_policy == nullptr || std::string(wait_policy) != "PASSIVE") {
    std::printf(
        "note: set OMP_WAIT_POLICY=PASSIVE, or idle OpenMP threads may spin after Faiss "
        "builds\n");
  }
  std::fflush(stdout);

  TargetConfig config;
  config.m = args.m;
  config.ef_construction = args.ef_construction;
  config.build_threads = args.build_threads;
  config.workdir = args.workdir;
  const unsigned cpu_threads = std::max(1u, std::thread::hardware_concurrency());

  Json report;
  report["date"] = Now();
  report["cpu"] = CpuModel();
  report["hardware_threads"] = std::thread::hardware_concurrency();
  report["omp_wait_policy"] = wait_policy ? wait_policy : "";
  report["config"] = {{"m", args.m},
                      {"ef_construction", args.ef_construction},
                      {"ef", args.efs},
                      {"threads", args.threads},
                      {"build_threads", args.build_threads},
                      {"repeats", args.repeats},
                      {"upsert_batch", 10000},
                      {"sync", "always"}};
  report["datasets"] = Json::array();

  for (const auto& name : args.datasets) {
    Stopwatch load;
    Dataset data;
    if (name == "fashion-mnist") {
      data =
          LoadFashionMnist(kFashionMnistDir, args.n != 0 ? args.n : kFashionDefaultN, args.queries);
    } else {
      data = MakeSynthetic(args.n != 0 ? args.n : kSyntheticDefaultN, args.dim, args.queries,
                           args.seed, cpu_threads);
    }
    const double load_seconds = load.Seconds();
    const double truth_seconds =
        ComputeGroundTruth(data, args.k, cpu_threads, args.no_cache ? "" : args.workdir);
    std::printf("\n=== %s: n=%zu dim=%zu distance=%s queries=%zu k=%zu ===\n", data.name.c_str(),
                data.n, data.dim, DistanceKindName(data.distance), data.num_queries, data.k);
    std::printf("(loaded in %.1f s; exact ground truth %s)\n", load_seconds,
                truth_seconds > 0 ? (FormatFixed(truth_seconds, 1) + " s").c_str() : "from cache");
    std::optional<KernelTiming> kernels;
    if (std::any_of(args.baselines.begin(), args.baselines.end(), [](const std::string& b) {
          return b.rfind("faiss", 0) == 0 || b == "brute";
        })) {
      kernels = TimeDistanceKernels(data.distance, data.dim);
      std::printf(
          "(one %s distance of %zu floats: Faiss's %s %.0f ns, a vectorised loop %.0f ns)\n",
          DistanceKindName(data.distance), data.dim,
          data.distance == DistanceKind::kL2 ? "fvec_L2sqr" : "fvec_inner_product",
          kernels->faiss_ns, kernels->simd_ns);
    }
    std::fflush(stdout);

    // All targets stay in memory until every one is measured (see MeasureAll).
    std::vector<std::unique_ptr<AnnTarget>> targets;
    for (IndexKind kind : kinds) targets.push_back(NewAlikeTarget(kind, config));
    for (const auto& b : args.baselines) {
      if (b == "brute") targets.push_back(NewFaissBruteTarget(config));
      if (b == "hnswlib") targets.push_back(NewHnswlibTarget(config));
      if (b == "faiss") targets.push_back(NewFaissHnswTarget(config));
      if (b == "faiss-simd") targets.push_back(NewFaissSimdHnswTarget(config));
    }
    std::vector<TargetResult> results = BuildAll(targets, data, args);
    const auto last_ids = MeasureAll(targets, results, data, args);
    PersistAll(targets, results, last_ids, data);
    const std::vector<SummaryRow> summary = Summarize(data, results, args);
    PrintDataset(data, results, summary, args);
    std::fflush(stdout);
    Json dataset_json = ToJson(data, load_seconds, truth_seconds, results, summary, args);
    if (kernels) {
      dataset_json["distance_ns"] = {{"faiss", kernels->faiss_ns}, {"simd_loop", kernels->simd_ns}};
    }
    report["datasets"].push_back(dataset_json);
  }

  if (!args.json_path.empty()) {
    std::ofstream out(args.json_path, std::ios::trunc);
    out << report.dump(2) << "\n";
    if (!out) Fail("cannot write " + args.json_path);
    std::printf("\nwrote %s\n", args.json_path.c_str());
  }
  return 0;
}

}  // namespace

Command AddAnnCommand(CLI::App& app) {
  auto args = std::make_shared<AnnArgs>();
  CLI::App* ann = app.add_subcommand(
      "ann", "Build, recall, queries/s, memory, disk and reopen time on one or more data sets");
  ann->add_option("--dataset", args->datasets, "Data sets: fashion-mnist, synthetic")
      ->delimiter(',')
      ->capture_default_str();
  CLI::Option* n_option = ann->add_option(
      "--n", args->n, "Base vectors (default: 60000 for fashion-mnist, 100000 for synthetic)");
  ann->add_option("--dim", args->dim, "Dimension of the synthetic data set")->capture_default_str();
  CLI::Option* queries_option =
      ann->add_option("--queries", args->queries, "Queries (the first of the test set)")
          ->capture_default_str();
  ann->add_option("--k", args->k, "Neighbours per query (recall@k)")->capture_default_str();
  ann->add_option("--m", args->m, "HNSW M, for every HNSW target")->capture_default_str();
  ann->add_option("--ef-construction", args->ef_construction, "HNSW ef_construction")
      ->capture_default_str();
  ann->add_option("--ef", args->efs, "Search ef values")->delimiter(',')->capture_default_str();
  ann->add_option("--threads", args->threads, "Query thread counts")
      ->delimiter(',')
      ->capture_default_str();
  ann->add_option("--build-threads", args->build_threads, "Threads for every build")
      ->capture_default_str();
  CLI::Option* repeats_option =
      ann->add_option("--repeats", args->repeats,
                      "Measure each configuration this often, keep the best")
          ->capture_default_str();
  ann->add_option("--kinds", args->kinds, "alike index kinds: flat, hnsw, sq8 (or none)")
      ->delimiter(',')
      ->capture_default_str();
  ann->add_option("--baselines", args->baselines,
                  "Baselines: brute, hnswlib, faiss, faiss-simd (or none)")
      ->delimiter(',')
      ->capture_default_str();
  ann->add_option("--json", args->json_path, "Also write the results as JSON to this file");
  ann->add_option("--workdir", args->workdir, "Scratch directory (databases, index files, cache)")
      ->capture_default_str();
  ann->add_option("--seed", args->seed, "Seed of the synthetic data set")->capture_default_str();
  ann->add_flag("--quick", args->quick,
                "A run of about a minute: n=5000, 200 queries, 1 round unless given");
  ann->add_flag("--no-cache", args->no_cache, "Recompute the ground truth instead of caching it");

  auto run = [args, n_option, queries_option, repeats_option] {
    if (args->quick) {
      if (n_option->count() == 0) args->n = kQuickN;
      if (queries_option->count() == 0) args->queries = kQuickQueries;
      if (repeats_option->count() == 0) args->repeats = 1;
    }
    return RunAnn(*args);
  };
  return {ann, run};
}

}  // namespace alike::bench
