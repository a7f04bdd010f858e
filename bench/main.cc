// alike-bench: benchmarks of alike's vector indexes (ann), image ingest (ingest), query
// latency (query) and the image embedders' retrieval quality (quality). See bench/README.md.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "bench_util.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace alike::bench;
  CLI::App app{
      "alike-bench: alike's vector indexes against hnswlib and Faiss, image ingest "
      "throughput, query latency and embedder quality"};
  app.require_subcommand(1);
  const Command commands[] = {AddAnnCommand(app), AddIngestCommand(app), AddQueryCommand(app),
                              AddFilterCommand(app), AddQualityCommand(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    for (const Command& command : commands) {
      if (command.app->parsed()) return command.run();
    }
  } catch (const std::exception& e) {
    // hnswlib, Faiss and OpenCV report failures (out of memory, bad files) by throwing.
    Fail(std::string("error: ") + e.what());
  }
  return 1;
}
