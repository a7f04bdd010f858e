// `alike vectors ...`: the vector database from the command line, for any embeddings (image,
// text, audio): create, upsert, delete, get, search, info, list, drop, compact, snapshot, export.
#ifndef ALIKE_CLI_VECTORS_COMMAND_H_
#define ALIKE_CLI_VECTORS_COMMAND_H_

#include <CLI/CLI.hpp>

#include "cli/command.h"

namespace alike::cli {

void AddVectorsCommand(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_VECTORS_COMMAND_H_
