// Indexing pictures on a cluster: `alike index --cluster` (queue a job and follow it), `alike
// worker` (describe and write pictures) and `alike cluster jobs` (list jobs, follow one again,
// print its failures). Built only with libnats, like src/cluster.
#ifndef ALIKE_CLI_CLUSTER_INGEST_H_
#define ALIKE_CLI_CLUSTER_INGEST_H_

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "cli/command_context.h"

namespace alike::cli {

struct ClusterIndexArgs {
  std::string nats;  // --cluster
  std::string library = "images";
  std::vector<std::string> paths;
  std::string embedders;  // empty: the library's (a new library: cnn,color)
  bool faces = false;
  std::string from_list;  // a file of paths, one a line ("-": stdin)
  bool detach = false;
  bool quiet = false;
  uint32_t shards = 0;  // a new library's shards per space; 0: the default
};

// `alike index --cluster URL ...` (the index command's options route here).
void RunClusterIndex(CommandContext& ctx, const ClusterIndexArgs& args);

// `alike worker`.
void AddWorkerCommand(CLI::App& app, CommandContext& ctx);
// `alike cluster jobs`, under `cluster`.
void AddJobsCommand(CLI::App& cluster, CommandContext& ctx);

}  // namespace alike::cli

#endif  // ALIKE_CLI_CLUSTER_INGEST_H_
