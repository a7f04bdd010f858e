// `alike vectors ...`: the vector database from the command line, for any embeddings (image,
// text, audio): create, upsert, delete, get, search, info, list, drop, compact, snapshot, export.
#ifndef ALIKE_CLI_VECTORS_COMMAND_H_
#define ALIKE_CLI_VECTORS_COMMAND_H_

#include <CLI/CLI.hpp>
#include <string>

namespace alike::cli {

// What every command shares: where the database is, how to print, and the process's exit code.
struct CommandContext {
  std::string db_path = "alike.db";
  bool json = false;
  int exit_code = 0;
};

void AddVectorsCommand(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_VECTORS_COMMAND_H_
