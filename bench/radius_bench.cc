// alike-bench radius: the perceptual-hash candidate search of copy detection at archive scale:
// every code within --radius bits of a query (PDQ's copy threshold is 31 of 256), over --n codes.
//
//   alike-bench radius [--n 1000000] [--bits 256] [--radius 31] [--queries 1000] [--k 10]
//                      [--no-hnsw] [--seed 42] [--quick]
//
// The codes are random, except that every query has --copies near copies planted among them (at
// 0 to radius + 8 bits, so that some lie just outside), as a re-posted picture has in an
// archive; a quarter of the queries have none. Targets, one query per call on one thread, in
// the same run:
//   * the exact scan (alike's flat index, what a kHamming collection does today): the baseline;
//   * alike's multi-index hash (src/index/multi_index_hash.h), exact;
//   * Faiss IndexBinaryMultiHash with m = 8, 16 and 32 tables (32-, 16- and 8-bit substrings,
//     nflip = radius / m: exact), the same method with other m: what enumerating floor(r / m)
//     flipped bits per substring costs against bigger buckets;
//   * Faiss IndexBinaryHNSW (M 16, efSearch 64; k nearest, then those within the radius), which
//     is approximate: its recall of the in-radius codes is printed.
// Latency p50 / p99 per query, recall against the exact scan, and build time and memory where
// the target reports them.
#include <faiss/IndexBinaryHNSW.h>
#include <faiss/IndexBinaryHash.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <omp.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "commands.h"
#include "index/flat_index.h"
#include "index/multi_index_hash.h"
#include "table.h"

namespace alike::bench {
namespace {

struct RadiusArgs {
  size_t n = 1'000'000;
  uint32_t bits = 256;
  int radius = 31;
  size_t queries = 1000;
  size_t copies = 3;
  size_t k = 10;
  bool hnsw = true;
  uint64_t seed = 42;
  bool quick = false;
};

struct Target {
  std::string name;
  // The ids within the radius of query i, as a set (the order of equal distances is free).
  std::function<std::set<int64_t>(size_t)> search;
  std::vector<double> ms;  // per query
  double recall = 0;
  std::string build;
  std::string memory;
};

int RunRadius(const RadiusArgs& args) {
  if (args.n == 0 || args.queries == 0 || args.bits == 0 || args.bits % 64 != 0 ||
      args.radius < 0) {
    Fail("--n and --queries must be positive, --bits a multiple of 64, --radius >= 0");
  }
  const size_t bytes = args.bits / 8;
  std::printf("alike-bench radius: %s\n", Now().c_str());
  std::printf("machine: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  std::mt19937_64 rng(args.seed);
  std::vector<uint8_t> base(args.n * bytes);
  for (uint8_t& b : base) b = static_cast<uint8_t>(rng());
  std::vector<uint8_t> queries(args.queries * bytes);
  for (uint8_t& b : queries) b = static_cast<uint8_t>(rng());
  auto flip = [&](uint8_t* code, int bits) {
    for (int f = 0; f < bits; ++f) code[rng() % bytes] ^= uint8_t(1 << rng() % 8);
  };
  for (size_t q = 0; q < args.queries; ++q) {
    if (q % 4 == 3) continue;  // no copy of this one
    for (size_t c = 0; c < args.copies; ++c) {
      uint8_t* copy = base.data() + (rng() % args.n) * bytes;
      std::copy_n(queries.data() + q * bytes, bytes, copy);
      flip(copy, static_cast<int>(rng() % (args.radius + 9)));
    }
  }
  const float radius = static_cast<float>(args.radius);
  omp_set_num_threads(1);

  index::Space space(Metric::kHamming, args.bits);
  index::VectorTable table(bytes);
  table.Reserve(args.n);
  for (size_t i = 0; i < args.n; ++i) table.Set(static_cast<uint32_t>(i), base.data() + i * bytes);
  index::FlatIndex flat(space, table);
  flat.Reserve(args.n);
  for (size_t i = 0; i < args.n; ++i) flat.Add(static_cast<uint32_t>(i));
  // Everything within the radius: more than the planted copies and the few random codes within
  // any radius up to ~100 bits. (A k of n would make a scan keep a heap of every code.)
  const index::IndexSearchParams within{.k = 64, .max_distance = radius};
  auto ids_within = [&](const std::vector<index::Neighbor>& hits) {
    std::set<int64_t> ids;
    for (const auto& h : hits) {
      if (h.distance <= radius) ids.insert(h.slot);
    }
    return ids;
  };

  std::vector<Target> targets;
  targets.push_back({.name = "exact scan (alike flat)", .search = [&](size_t q) {
                       // The scan keeps a top-k heap; the radius is applied to what it keeps.
                       return ids_within(flat.Search(queries.data() + q * bytes, {.k = 64}));
                     }});

  Stopwatch mih_build;
  index::MultiIndexHash mih(space, table);
  mih.Reserve(args.n);
  for (size_t i = 0; i < args.n; ++i) mih.Add(static_cast<uint32_t>(i));
  targets.push_back(
      {.name = "alike multi-index hash",
       .search =
           [&](size_t q) { return ids_within(mih.Search(queries.data() + q * bytes, within)); },
       .build = FormatFixed(mih_build.Seconds(), 2) + " s",
       .memory = FormatMiB(mih.MemoryBytes()) +
                 (mih.LooksUp(radius) ? "" : " (scans: size rule or radius)")});

  std::vector<std::unique_ptr<faiss::IndexBinaryMultiHash>> faiss_mihs;
  for (const int substring_bits : {16, 8, 32}) {
    const int substrings = static_cast<int>(args.bits) / substring_bits;
    Stopwatch faiss_mih_build;
    auto& faiss_mih = faiss_mihs.emplace_back(std::make_unique<faiss::IndexBinaryMultiHash>(
        static_cast<int>(args.bits), substrings, substring_bits));
    faiss_mih->nflip = args.radius / substrings;
    faiss_mih->add(static_cast<faiss::IndexBinary::idx_t>(args.n), base.data());
    targets.push_back(
        {.name = "Faiss IndexBinaryMultiHash (m " + std::to_string(substrings) + ", nflip " +
                 std::to_string(faiss_mih->nflip) + ")",
         .search =
             [&args, &queries, bytes, index = faiss_mih.get()](size_t q) {
               faiss::RangeSearchResult result(1);
               // Faiss returns distances < radius: one more for "at most".
               index->range_search(1, queries.data() + q * bytes, args.radius + 1, &result);
               return std::set<int64_t>(result.labels, result.labels + result.lims[1]);
             },
         .build = FormatFixed(faiss_mih_build.Seconds(), 2) + " s"});
  }

  std::unique_ptr<faiss::IndexBinaryHNSW> hnsw;
  std::vector<int32_t> distances(args.k);
  std::vector<faiss::IndexBinary::idx_t> labels(args.k);
  if (args.hnsw) {
    omp_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
    Stopwatch hnsw_build;
    hnsw = std::make_unique<faiss::IndexBinaryHNSW>(static_cast<int>(args.bits), 16);
    hnsw->hnsw.efSearch = 64;
    hnsw->add(static_cast<faiss::IndexBinary::idx_t>(args.n), base.data());
    omp_set_num_threads(1);
    targets.push_back({.name = "Faiss IndexBinaryHNSW (k " + std::to_string(args.k) + ")",
                       .search =
                           [&](size_t q) {
                             hnsw->search(1, queries.data() + q * bytes,
                                          static_cast<faiss::IndexBinary::idx_t>(args.k),
                                          distances.data(), labels.data());
                             std::set<int64_t> ids;
                             for (size_t i = 0; i < args.k; ++i) {
                               if (labels[i] >= 0 && distances[i] <= args.radius)
                                 ids.insert(labels[i]);
                             }
                             return ids;
                           },
                       .build = FormatFixed(hnsw_build.Seconds(), 2) + " s (" +
                                std::to_string(std::thread::hardware_concurrency()) + " threads)"});
  }

  // Ground truth, then each target's recall of it (the exact ones must give it whole) and its
  // time per query, queries in the same order for every target.
  std::vector<std::set<int64_t>> truth(args.queries);
  size_t found_total = 0;
  for (size_t q = 0; q < args.queries; ++q) {
    truth[q] = targets[0].search(q);
    found_total += truth[q].size();
  }
  for (Target& t : targets) {
    size_t found = 0;
    for (size_t q = 0; q < args.queries; ++q) {
      Stopwatch one;
      const std::set<int64_t> got = t.search(q);
      t.ms.push_back(one.Seconds() * 1000);
      for (int64_t id : got) found += truth[q].count(id);
      if (got.size() > truth[q].size()) Fail(t.name + ": more hits than the exact scan");
    }
    t.recall = found_total == 0 ? 1.0 : double(found) / double(found_total);
  }

  std::printf(
      "\nEvery code within %d bits of a query: %zu %u-bit codes (random, %zu near copies planted "
      "for 3 queries in 4), %zu queries one per call on 1 thread; %zu codes within the radius in "
      "all\n",
      args.radius, args.n, args.bits, args.copies, args.queries, found_total);
  const double base_p50 = Percentile(targets[0].ms, 50);
  Table out({"target", "p50 ms", "p99 ms", "vs scan (p50)", "recall", "build", "memory"});
  for (const Target& t : targets) {
    const double p50 = Percentile(t.ms, 50);
    out.AddRow({t.name, FormatFixed(p50, 3), FormatFixed(Percentile(t.ms, 99), 3),
                FormatFixed(base_p50 / p50, 1) + "x", FormatFixed(t.recall, 4), t.build, t.memory});
  }
  out.Print(stdout);
  return 0;
}

}  // namespace

Command AddRadiusCommand(CLI::App& app) {
  auto args = std::make_shared<RadiusArgs>();
  CLI::App* cmd = app.add_subcommand(
      "radius",
      "Hamming radius search (PDQ copy candidates): alike's multi-index hash against the exact "
      "scan, Faiss IndexBinaryMultiHash and IndexBinaryHNSW");
  CLI::Option* n = cmd->add_option("--n", args->n, "Codes in the index")->capture_default_str();
  cmd->add_option("--bits", args->bits, "Bits per code (PDQ: 256)")->capture_default_str();
  cmd->add_option("--radius", args->radius, "Bits a copy may differ by")->capture_default_str();
  CLI::Option* queries =
      cmd->add_option("--queries", args->queries, "Query codes")->capture_default_str();
  cmd->add_option("--copies", args->copies, "Near copies planted per query")->capture_default_str();
  cmd->add_option("--k", args->k, "Neighbours the HNSW baseline returns")->capture_default_str();
  cmd->add_flag("!--no-hnsw", args->hnsw, "Leave out Faiss IndexBinaryHNSW (slow to build)");
  cmd->add_option("--seed", args->seed, "Seed of the codes")->capture_default_str();
  cmd->add_flag("--quick", args->quick, "A short run: n=20000, 200 queries");
  auto run = [args, n, queries] {
    if (args->quick) {
      if (n->count() == 0) args->n = 20000;
      if (queries->count() == 0) args->queries = 200;
    }
    return RunRadius(*args);
  };
  return {cmd, run};
}

}  // namespace alike::bench
