// alike: image search on an embedded vector database. This file only wires the subcommands.
#include <CLI/CLI.hpp>
#include <cstdlib>

#ifdef ALIKE_WITH_CLUSTER  // defined where libnats was found (CMakeLists.txt)
#include "cli/cluster_commands.h"
#endif
#include "cli/copies_command.h"
#include "cli/eval_command.h"
#include "cli/faces_command.h"
#include "cli/library_commands.h"
#include "cli/models_command.h"
#include "cli/serve_command.h"
#include "cli/vectors_command.h"

int main(int argc, char** argv) {
  CLI::App app{"alike: find related images in milliseconds, on your own machine"};
  // A function, so that the models are inspected only when --version is asked for.
  app.set_version_flag(
      "--version", [] { return alike::cli::VersionText(ALIKE_VERSION); },
      "Print the version and the models this installation has, then exit");
  app.require_subcommand(1);
  alike::cli::CommandContext ctx;
  if (const char* env = std::getenv("ALIKE_DB")) ctx.db_path = env;
  app.add_option("--db", ctx.db_path,
                 "Library directory (default: $ALIKE_DB, else the nearest .alike here or above)");
  app.add_flag("--json", ctx.json, "Print JSON instead of tables");
  alike::cli::AddLibraryCommands(app, ctx);
  alike::cli::AddFacesCommand(app, ctx);
  alike::cli::AddDupsCommand(app, ctx);
  alike::cli::AddVectorsCommand(app, ctx);
  alike::cli::AddModelsCommand(app, ctx);
  alike::cli::AddEvalCommand(app, ctx);
  alike::cli::AddServeCommand(app, ctx);
#ifdef ALIKE_WITH_CLUSTER
  alike::cli::AddClusterCommands(app, ctx);
#endif
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return ctx.exit_code;
}
