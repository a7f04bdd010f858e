// `alike faces`: face search in the library (opt-in: `alike init --faces` or
// `alike index --faces`): `faces search IMAGE | --person NAME`, `faces people`,
// `faces name PERSON NAME` and `faces forget (--person NAME | --all)`.
#ifndef ALIKE_CLI_FACES_COMMAND_H_
#define ALIKE_CLI_FACES_COMMAND_H_

#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddFacesCommand(CLI::App& app, CommandContext& context);

}  // namespace alike::cli

#endif  // ALIKE_CLI_FACES_COMMAND_H_
