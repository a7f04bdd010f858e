// What every `alike` subcommand shares: the global options and the process's exit code, and the
// one way errors are reported.
#ifndef ALIKE_CLI_COMMAND_H_
#define ALIKE_CLI_COMMAND_H_

#include <string>

#include "alike/status.h"

namespace alike::cli {

struct CommandContext {
  std::string db_path = "alike.db";
  bool json = false;
  int exit_code = 0;
};

// Prints "alike: error: ..." on stderr and records the failure in the exit code.
void Fail(CommandContext& ctx, const Status& status);

}  // namespace alike::cli

#endif  // ALIKE_CLI_COMMAND_H_
