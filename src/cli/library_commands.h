// The image library from the command line: `alike init`, `alike index`, `alike search`,
// `alike rm`, `alike info`.
#ifndef ALIKE_CLI_LIBRARY_COMMANDS_H_
#define ALIKE_CLI_LIBRARY_COMMANDS_H_

#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddLibraryCommands(CLI::App& app, CommandContext& context);

// Exit codes beyond 0 (success) and 1 (error): the run finished but some files were refused, or
// it was interrupted (Ctrl-C) and committed what it had finished.
constexpr int kExitSomeFilesFailed = 3;
constexpr int kExitInterrupted = 130;

}  // namespace alike::cli

#endif  // ALIKE_CLI_LIBRARY_COMMANDS_H_
