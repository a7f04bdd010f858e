// `alike vectors ...`: the vector database from the command line, for any embeddings (image,
// text, audio): create, upsert, delete, get, search, info, list, drop, compact, snapshot, export.
#ifndef ALIKE_CLI_VECTORS_COMMAND_H_
#define ALIKE_CLI_VECTORS_COMMAND_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "alike/vector_db.h"
#include "cli/cli_fwd.h"
#include "cli/command_context.h"

namespace alike::cli {

void AddVectorsCommand(CLI::App& app, CommandContext& context);

// The query options `alike vectors search` and `alike cluster search` share.
struct QueryArgs {
  std::string vector, hex, filter;
  size_t k = 10;
  std::optional<float> max_distance;
  uint32_t ef = 0;
  bool exact = false, no_payload = false;

  // The query --vector (floats) or else --hex (bits) gives.
  Result<Record> ParsedQuery() const;
  SearchOptions Options() const;
};
// --vector, --hex, -k, --filter, --max-distance, --ef, --exact, --no-payload.
void AddQueryOptions(CLI::App& cmd, QueryArgs& args);
// The vector file `alike vectors upsert` and `alike cluster upsert` read: FILE, --format,
// --first-id, --batch.
struct UpsertFileArgs {
  std::string file, format;
  uint64_t first_id = 0;
  size_t batch = 10000;
};
void AddUpsertFileOptions(CLI::App& cmd, UpsertFileArgs& args);
// Reads the file (of packed bits when `binary`) in batches, showing progress, and hands each
// batch to `write` (one write each, so an interrupted upsert leaves whole batches). On an error
// it says on stderr how many records were written before it. Returns how many were written;
// *seconds: how long it took.
Result<uint64_t> UpsertFileInBatches(const UpsertFileArgs& args, bool binary,
                                     const std::function<Status(const std::vector<Record>&)>& write,
                                     double* seconds);
// One query's hits, as a table or (--json) one JSON line.
void PrintHits(const CommandContext& ctx, size_t query_index, const std::vector<Hit>& hits);

}  // namespace alike::cli

#endif  // ALIKE_CLI_VECTORS_COMMAND_H_
