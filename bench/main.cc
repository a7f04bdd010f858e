// alike-bench: benchmarks of alike's vector indexes (ann), image ingest (ingest), query
// latency (query), filtered HNSW walks (filter), the image embedders' retrieval quality (quality),
// faces (faces), Hamming search over binary codes (hamming), radius search (radius), copy search
// at archive scale (copies-scale) and alike
// cluster against one machine (cluster, where libnats is installed). See bench/README.md.
#include <CLI/CLI.hpp>
#include <exception>
#include <string>
#include <vector>

#include "bench_util.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace alike::bench;
  CLI::App app{
      "alike-bench: alike's vector indexes against hnswlib and Faiss, image ingest "
      "throughput, query and filtered-search latency, embedder quality, faces, Hamming and radius "
      "search, copy search at scale, the cluster against one machine"};
  app.require_subcommand(1);
  std::vector<Command> commands = {
      AddAnnCommand(app),     AddIngestCommand(app),  AddQueryCommand(app),
      AddFilterCommand(app),  AddQualityCommand(app), AddFacesCommand(app),
      AddHammingCommand(app), AddRadiusCommand(app),  AddCopiesScaleCommand(app)};
#ifdef ALIKE_BENCH_CLUSTER
  commands.push_back(AddClusterCommand(app));
  commands.push_back(AddClusterIngestCommand(app));
#endif
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
