// `alike node` (a process holding shards of a cluster collection) and `alike cluster create|
// search` (a cluster collection's streams; a search through the router). Built only with
// libnats (see CMakeLists.txt), like src/cluster.
#ifndef ALIKE_CLI_CLUSTER_COMMANDS_H_
#define ALIKE_CLI_CLUSTER_COMMANDS_H_

#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddClusterCommands(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_CLUSTER_COMMANDS_H_
