// `alike models`: which embedders this installation can run (the default CNN, the built-in
// colour descriptor and every user model spec *.json in the models directory), and `alike models
// show NAME`: one embedder's spec as JSON. The models directory is --models DIR, else
// $ALIKE_MODELS, else the models/ folder scripts/setup.sh fills.
#ifndef ALIKE_CLI_MODELS_COMMAND_H_
#define ALIKE_CLI_MODELS_COMMAND_H_

#include <string>

#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddModelsCommand(CLI::App& app, CommandContext& context);

// What `alike --version` prints: the version, the models directory in use, and each embedder
// there with its model in short ("mobilenet_v2+v1/1 #fingerprint") or why it cannot run.
std::string VersionText(const std::string& program_version);

}  // namespace alike::cli

#endif  // ALIKE_CLI_MODELS_COMMAND_H_
