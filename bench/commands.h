// The subcommands of alike-bench, one per file (ann_bench.cc, ingest_bench.cc, query_bench.cc,
// quality_bench.cc, face_bench.cc, hamming_bench.cc, radius_bench.cc, copies_scale_bench.cc,
// filter_bench.cc, cluster_bench.cc, cluster_ingest_bench.cc), so that main() only parses the
// command line and runs whichever was named.
#ifndef ALIKE_BENCH_COMMANDS_H_
#define ALIKE_BENCH_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>

namespace alike::bench {

struct Command {
  CLI::App* app = nullptr;  // the subcommand; parsed() says whether it was named
  // Runs it with the options as parsed; returns the exit status.
  std::function<int()> run;
};

// Each declares its subcommand and options on `app`.
Command AddAnnCommand(CLI::App& app);
Command AddIngestCommand(CLI::App& app);
Command AddQueryCommand(CLI::App& app);
Command AddFilterCommand(CLI::App& app);
Command AddQualityCommand(CLI::App& app);
Command AddFacesCommand(CLI::App& app);
Command AddHammingCommand(CLI::App& app);
Command AddRadiusCommand(CLI::App& app);
Command AddCopiesScaleCommand(CLI::App& app);
#ifdef ALIKE_BENCH_CLUSTER
Command AddClusterCommand(CLI::App& app);  // only where libnats is installed
Command AddClusterIngestCommand(CLI::App& app);
#endif

}  // namespace alike::bench

#endif  // ALIKE_BENCH_COMMANDS_H_
