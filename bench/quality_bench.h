// alike-bench quality: retrieval quality and speed of alike's image embedders (see
// quality_bench.cc and bench/README.md).
#ifndef ALIKE_BENCH_QUALITY_BENCH_H_
#define ALIKE_BENCH_QUALITY_BENCH_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace alike::bench {

struct QualityArgs {
  std::string flowers_dir = "../shared/data/categories/flowers/flowers";
  std::string models_dir = "../shared/models";
  // Photos that are not flowers, for centring on a mean taken elsewhere than the evaluation set.
  std::vector<std::string> other_dirs = {"../shared/data/copies", "../shared/data/faces/deepface"};
  size_t per_class = 0;  // 0: 240, or 40 with --quick
  bool all = false;
  uint64_t seed = 42;
  std::vector<std::string> variants;  // empty: every built-in variant
  std::vector<std::string> specs;     // JSON spec files, one variant each
  size_t k = 10;
  unsigned threads = 2;  // embedding threads for the quality pass
  unsigned cv_threads = 1;
  size_t timing_images = 0;  // 0: 100, or 30 with --quick
  unsigned repeats = 0;      // 0: 2, or 1 with --quick
  bool large = true;
  std::string json_path;
  bool quick = false;
};

// Adds the "quality" subcommand, whose options fill `args`.
CLI::App* AddQualityCommand(CLI::App& app, QualityArgs* args);
int RunQuality(QualityArgs args);

}  // namespace alike::bench

#endif  // ALIKE_BENCH_QUALITY_BENCH_H_
