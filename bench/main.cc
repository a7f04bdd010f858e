// alike-bench: benchmarks of alike's vector indexes (ann), image ingest (ingest), query
// latency (query), filtered HNSW walks (filter), the image embedders' retrieval quality (quality),
// faces (faces) and Hamming search over binary codes (hamming). See bench/README.md.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "bench_util.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace alike::bench;
  CLI::App app{
      "alike-bench: alike's vector indexes against hnswlib and Faiss, image ingest "
      "throughput, query and filtered-search latency, embedder quality, faces, Hamming and radius "
      "search"};
  app.require_subcommand(1);
  const Command commands[] = {AddAnnCommand(app),     AddIngestCommand(app),  AddQueryCommand(app),
                              AddFilterCommand(app),  AddQualityCommand(app), AddFacesCommand(app),
                              AddHammingCommand(app), AddRadiusCommand(app)};
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
