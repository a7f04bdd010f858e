// Copy detection from the command line: `alike search IMAGE --copies` (and `--id N --copies`)
// and `alike dups`, over the library's pdq, dct64 and cnn spaces (see "Copy detection" in the
// README).
#ifndef ALIKE_CLI_COPIES_COMMAND_H_
#define ALIKE_CLI_COPIES_COMMAND_H_

#include <cstdint>
#include <optional>
#include <string>

#include "alike/library.h"
#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

// Prints the copies of `image` (a file) or of the indexed image `id`.
void RunCopySearch(CommandContext& ctx, const std::string& image, std::optional<uint64_t> id,
                   const CopySearchOptions& options);

// Adds `alike dups [--max-bits 31]`.
void AddDupsCommand(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_COPIES_COMMAND_H_
