// alike-bench filter: recall and cost of filtered HNSW walks against unfiltered ones, at the
// index level, to check the store's filtered-search plan (src/store/search_plan.h).
//
//   alike-bench filter [--dataset synthetic|fashion-mnist] [--n N] [--dim 512] [--queries 300]
//                      [--k 10] [--selectivity 1,0.5,0.29,0.2,0.15,0.1,0.05]
//                      [--ef 10,16,32,64,128,256] [--seed 42]
//
// One HnswIndex (M=16, ef_construction=100, built on all cores) over the data set; filters admit
// a fixed fraction of the slots, scattered by a hash so that they are uncorrelated with position
// in space. For every selectivity and ef: recall@k against a filtered brute force, and CPU
// microseconds per query (one thread). Selectivity 1 is the unfiltered walk, measured in the same
// run. See bench/README.md, "filter".
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "commands.h"
#include "dataset.h"
#include "index/hnsw_index.h"
#include "store/search_plan.h"
#include "table.h"

namespace alike::bench {
namespace {

constexpr unsigned kRounds = 3;  // each (selectivity, ef) runs the queries this often; least CPU

struct FilterArgs {
  std::string dataset = "synthetic";
  size_t n = 0;  // 0: 100,000 synthetic, 60,000 fashion-mnist
  size_t dim = 512;
  size_t queries = 300;
  size_t k = 10;
  std::vector<double> selectivity = {1, 0.5, 0.29, 0.2, 0.15, 0.1, 0.05};
  std::vector<uint32_t> ef = {10, 16, 32, 64, 128, 256};
  uint64_t seed = 42;
};

class BitmapFilter : public index::SlotFilter {
 public:
  explicit BitmapFilter(std::vector<uint8_t> allowed) : allowed_(std::move(allowed)) {}
  bool Allows(uint32_t slot) const override { return allowed_[slot] != 0; }
  const std::vector<uint8_t>& allowed() const { return allowed_; }

 private:
  std::vector<uint8_t> allowed_;
};

int RunFilter(const FilterArgs& args) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  const Dataset data =
      args.dataset == "fashion-mnist"
          ? LoadFashionMnist(kFashionMnistDir, args.n != 0 ? args.n : 60000, args.queries)
          : MakeSynthetic(args.n != 0 ? args.n : 100000, args.dim, args.queries, args.seed,
                          threads);
  const Metric metric = data.distance == DistanceKind::kL2 ? Metric::kL2 : Metric::kInnerProduct;
  const index::Space space(metric, static_cast<uint32_t>(data.dim));
  index::VectorTable table(space.code_size());
  table.Reserve(data.n);
  for (size_t i = 0; i < data.n; ++i) table.Set(static_cast<uint32_t>(i), data.vector(i));
  index::HnswIndex graph(space, table, {});
  graph.Reserve(data.n);
  Stopwatch build;
  ParallelFor(data.n, threads, [&](size_t i) { graph.Add(static_cast<uint32_t>(i)); });
  std::printf(
      "alike-bench filter: %s, %zu x %zu, %s; HNSW M=16 ef_construction=100 built in %.1f s\n",
      data.name.c_str(), data.n, data.dim, DistanceKindName(data.distance), build.Seconds());
  std::printf(
      "recall@%zu against a filtered brute force over %zu queries; CPU us per query, one "
      "thread, least of %u rounds; * = the ef the store's plan picks from ef 64 (\"exact scan\": "
      "it scans instead)\n\n",
      args.k, data.num_queries, kRounds);

  Table out({"selectivity", "ef", "recall", "CPU us/query", "planned"});
  for (double selectivity : args.selectivity) {
    std::vector<uint8_t> allowed(data.n);
    for (size_t i = 0; i < data.n; ++i) {
      allowed[i] = (i * 2654435761u >> 7) % 1000 < selectivity * 1000;
    }
    const BitmapFilter filter(std::move(allowed));
    const index::SlotFilter* active = selectivity < 1 ? &filter : nullptr;
    // The k-th nearest allowed distance of every query: a hit within it counts (ties too).
    std::vector<float> kth(data.num_queries);
    ParallelFor(data.num_queries, threads, [&](size_t q) {
      std::vector<float> d;
      for (size_t i = 0; i < data.n; ++i) {
        if (filter.allowed()[i]) d.push_back(space.Distance(data.query(q), table.code(i)));
      }
      if (d.empty()) return;
      const size_t k = std::min(args.k, d.size());
      std::nth_element(d.begin(), d.begin() + (k - 1), d.end());
      kth[q] = d[k - 1];
    });
    const store::FilteredPlan plan = store::PlanFilteredSearch(data.n, selectivity, 64);
    for (uint32_t ef : args.ef) {
      size_t found = 0;
      double best_cpu = 1e30;
      for (unsigned round = 0; round < kRounds; ++round) {
        const double cpu = ProcessCpuSeconds();
        for (size_t q = 0; q < data.num_queries; ++q) {
          const auto hits = graph.Search(data.query(q), {.k = args.k, .ef = ef, .filter = active});
          if (round > 0) continue;
          for (const index::Neighbor& h : hits) found += h.distance <= kth[q] * (1 + 1e-5f) + 1e-6f;
        }
        best_cpu = std::min(best_cpu, ProcessCpuSeconds() - cpu);
      }
      out.AddRow({FormatFixed(selectivity, 2), std::to_string(ef),
                  FormatFixed(static_cast<double>(found) / (data.num_queries * args.k), 4),
                  FormatFixed(best_cpu * 1e6 / data.num_queries, 0),
                  selectivity >= 1 ? ""
                  : plan.exact     ? "exact scan"
                  : ef == plan.ef  ? "*"
                                   : ""});
    }
  }
  out.Print(stdout);
  return 0;
}

}  // namespace

Command AddFilterCommand(CLI::App& app) {
  auto args = std::make_shared<FilterArgs>();
  CLI::App* cmd = app.add_subcommand(
      "filter", "Recall and cost of filtered HNSW walks against unfiltered ones, by selectivity");
  cmd->add_option("--dataset", args->dataset, "synthetic or fashion-mnist")
      ->check(CLI::IsMember({"synthetic", "fashion-mnist"}))
      ->capture_default_str();
  cmd->add_option("--n", args->n, "Base vectors (0: 100000 synthetic, 60000 fashion-mnist)");
  cmd->add_option("--dim", args->dim, "Dimension (synthetic)")->capture_default_str();
  cmd->add_option("--queries", args->queries, "Query vectors")->capture_default_str();
  cmd->add_option("--k", args->k, "Hits per search")->capture_default_str();
  cmd->add_option("--selectivity", args->selectivity, "Fractions of slots the filters admit")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--ef", args->ef, "Search beams")->delimiter(',')->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of the synthetic data")->capture_default_str();
  return {cmd, [args] { return RunFilter(*args); }};
}

}  // namespace alike::bench
