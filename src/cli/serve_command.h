// `alike serve`: the HTTP API over the library (src/server), until SIGTERM or Ctrl-C.
#ifndef ALIKE_CLI_SERVE_COMMAND_H_
#define ALIKE_CLI_SERVE_COMMAND_H_

#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddServeCommand(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_SERVE_COMMAND_H_
