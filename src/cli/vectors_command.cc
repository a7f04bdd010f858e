#include "cli/vectors_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "alike/vector_db.h"
#include "cli/progress.h"
#include "cli/vector_file.h"
#include "server/collection_json.h"
#include "util/text.h"

namespace alike::cli {
namespace {

using server::CollectionInfoJson;
using server::RecordJson;

Result<std::unique_ptr<Database>> OpenDb(const CommandContext& ctx, bool create) {
  DatabaseOptions options;
  options.create_if_missing = create;
  return Database::Open(ctx.LibraryDir(), options);
}

// A collection and the database that must stay open while it is used.
struct OpenedCollection {
  std::unique_ptr<Database> db;
  std::shared_ptr<Collection> collection;
};

Result<OpenedCollection> OpenCollection(const CommandContext& ctx, const std::string& name) {
  auto db = OpenDb(ctx, false);
  if (!db.ok()) return db.status();
  auto collection = (*db)->GetCollection(name);
  if (!collection.ok()) return collection.status();
  return OpenedCollection{std::move(*db), std::move(*collection)};
}

struct CreateArgs {
  std::string name, metric = "cosine", index = "hnsw";
  uint32_t dimension = 0;
  HnswParams hnsw;
};

struct UpsertArgs {
  std::string name;
  UpsertFileArgs file;
};

struct SearchArgs {
  std::string name, query_file, format;
  std::optional<uint64_t> from_id;
  QueryArgs query;
};

void RunCreate(CommandContext& ctx, const CreateArgs& a) {
  CollectionOptions options;
  options.dimension = a.dimension;
  auto metric = ParseMetric(a.metric);
  if (!metric.ok()) return Fail(ctx, metric.status());
  auto kind = ParseIndexKind(a.index);
  if (!kind.ok()) return Fail(ctx, kind.status());
  options.metric = *metric;
  options.index = *kind;
  options.hnsw = a.hnsw;
  auto db = OpenDb(ctx, true);
  if (!db.ok()) return Fail(ctx, db.status());
  auto c = (*db)->CreateCollection(a.name, options);
  if (!c.ok()) return Fail(ctx, c.status());
  if (ctx.json) {
    std::cout << CollectionInfoJson((*c)->Info()).dump() << "\n";
  } else {
    std::cout << "created collection '" << a.name << "' (" << a.dimension << "-d "
              << MetricName(options.metric) << ", " << IndexKindName(options.index) << ") in "
              << ctx.LibraryDir() << "\n";
  }
}

void RunUpsert(CommandContext& ctx, const UpsertArgs& a) {
  auto opened = OpenCollection(ctx, a.name);
  if (!opened.ok()) return Fail(ctx, opened.status());
  Collection* c = opened->collection.get();
  double secs = 0;
  auto written = UpsertFileInBatches(
      a.file, c->options().metric == Metric::kHamming,
      [&](const std::vector<Record>& batch) { return c->Upsert(batch).WithContext(a.file.file); },
      &secs);
  if (!written.ok()) return Fail(ctx, written.status());
  // Every later command opens the collection: a bulk load is written out whole now.
  if (Status s = CheckpointIfLogLarge(*c); !s.ok()) return Fail(ctx, s);
  if (ctx.json) {
    std::cout
        << nlohmann::json{{"upserted", *written}, {"seconds", secs}, {"count", c->Count()}}.dump()
        << "\n";
  } else {
    std::printf("upserted %llu records into '%s' in %.2f s (%.0f/s); %llu in total\n",
                static_cast<unsigned long long>(*written), a.name.c_str(), secs,
                secs > 0 ? *written / secs : 0.0, static_cast<unsigned long long>(c->Count()));
  }
}

}  // namespace

void AddUpsertFileOptions(CLI::App& cmd, UpsertFileArgs& args) {
  cmd.add_option("file", args.file, "Vector file")->required();
  cmd.add_option("--format", args.format,
                 "fvecs | bvecs | ivecs | npy | jsonl (default: by extension)");
  cmd.add_option("--first-id", args.first_id, "Id of the first row for files without ids")
      ->capture_default_str();
  cmd.add_option("--batch", args.batch, "Records per write")->capture_default_str();
}

Result<uint64_t> UpsertFileInBatches(const UpsertFileArgs& args, bool binary,
                                     const std::function<Status(const std::vector<Record>&)>& write,
                                     double* seconds) {
  const VectorFileOptions options{
      .format = args.format, .first_id = args.first_id, .binary = binary};
  auto reader = VectorFileReader::Open(args.file, options);
  if (!reader.ok()) return reader.status();
  Progress progress("upsert", (*reader)->total_records());
  std::vector<Record> batch;
  uint64_t written = 0;
  while (true) {
    auto n = (*reader)->ReadBatch(std::max<size_t>(args.batch, 1), &batch);
    const Status s = !n.ok() ? n.status() : *n == 0 ? Status::OK() : write(batch);
    if (!s.ok()) {
      progress.Finish();
      std::fprintf(stderr, "alike: %llu records written before the error\n",
                   static_cast<unsigned long long>(written));
      return s;
    }
    if (*n == 0) break;
    written += *n;
    progress.Advance(*n);
  }
  *seconds = progress.elapsed_seconds();
  progress.Finish();
  return written;
}

namespace {

void RunDelete(CommandContext& ctx, const std::string& name, const std::vector<uint64_t>& ids,
               const std::string& filter) {
  if (ids.empty() == filter.empty()) {
    return Fail(ctx, Status::InvalidArgument("give either ids or --filter"));
  }
  auto opened = OpenCollection(ctx, name);
  if (!opened.ok()) return Fail(ctx, opened.status());
  Collection* c = opened->collection.get();
  auto n = filter.empty() ? c->Delete(ids) : c->DeleteWhere(filter);
  if (!n.ok()) return Fail(ctx, n.status());
  if (ctx.json) {
    std::cout << nlohmann::json{{"deleted", *n}, {"count", c->Count()}}.dump() << "\n";
  } else {
    std::printf("deleted %llu records from '%s'\n", static_cast<unsigned long long>(*n),
                name.c_str());
  }
}

void RunGet(CommandContext& ctx, const std::string& name, const std::vector<uint64_t>& ids) {
  auto opened = OpenCollection(ctx, name);
  if (!opened.ok()) return Fail(ctx, opened.status());
  Collection* c = opened->collection.get();
  for (uint64_t id : ids) {
    auto r = c->Get(id);
    if (!r.ok()) {
      Fail(ctx, r.status());
      continue;  // the other ids are still printed
    }
    std::cout << RecordJson(*r).dump() << "\n";
  }
}

void RunSearch(CommandContext& ctx, const SearchArgs& a) {
  const int sources = !a.query.vector.empty() + !a.query.hex.empty() + !a.query_file.empty() +
                      a.from_id.has_value();
  if (sources != 1) {
    return Fail(ctx, Status::InvalidArgument(
                         "give exactly one query: --vector, --hex, --id or --queries FILE"));
  }
  auto opened = OpenCollection(ctx, a.name);
  if (!opened.ok()) return Fail(ctx, opened.status());
  Collection* c = opened->collection.get();
  std::vector<Record> queries;
  if (!a.query.vector.empty() || !a.query.hex.empty()) {
    auto q = a.query.ParsedQuery();
    if (!q.ok()) return Fail(ctx, q.status());
    queries.push_back(std::move(*q));
  } else if (a.from_id) {
    auto r = c->Get(*a.from_id);
    if (!r.ok()) return Fail(ctx, r.status());
    queries.push_back(*r);
  } else {
    VectorFileOptions file_options;
    file_options.format = a.format;
    file_options.binary = c->options().metric == Metric::kHamming;
    auto reader = VectorFileReader::Open(a.query_file, file_options);
    if (!reader.ok()) return Fail(ctx, reader.status());
    std::vector<Record> batch;
    while (true) {
      auto n = (*reader)->ReadBatch(4096, &batch);
      if (!n.ok()) return Fail(ctx, n.status());
      if (*n == 0) break;
      queries.insert(queries.end(), batch.begin(), batch.end());
    }
  }
  std::vector<Query> views;
  for (const auto& q : queries) views.push_back({q.vector, q.binary});
  auto results = c->SearchBatch(views, a.query.Options());
  if (!results.ok()) return Fail(ctx, results.status());
  for (size_t i = 0; i < results->size(); ++i) PrintHits(ctx, i, (*results)[i]);
}

void PrintInfo(const CommandContext& ctx, const CollectionInfo& info) {
  if (ctx.json) {
    std::cout << CollectionInfoJson(info).dump() << "\n";
    return;
  }
  std::printf(
      "%s: %llu records (%llu deleted awaiting compaction), %u-d %s, %s index\n"
      "  memory %s, disk %s (log %s)\n",
      info.name.c_str(), static_cast<unsigned long long>(info.count),
      static_cast<unsigned long long>(info.deleted), info.options.dimension,
      MetricName(info.options.metric), IndexKindName(info.options.index),
      HumanBytes(info.memory_bytes).c_str(), HumanBytes(info.disk_bytes).c_str(),
      HumanBytes(info.log_bytes).c_str());
}

void RunInfo(CommandContext& ctx, const std::string& name) {
  auto db = OpenDb(ctx, false);
  if (!db.ok()) return Fail(ctx, db.status());
  std::vector<std::string> names = name.empty() ? (*db)->ListCollections() : std::vector{name};
  for (const auto& n : names) {
    auto collection = (*db)->GetCollection(n);
    if (!collection.ok()) return Fail(ctx, collection.status());
    PrintInfo(ctx, (*collection)->Info());
  }
  if (names.empty() && !ctx.json) std::printf("%s: no collections\n", ctx.LibraryDir().c_str());
}

// Runs a whole-collection maintenance operation and reports the size before and after.
void RunMaintenance(CommandContext& ctx, const std::string& name, bool compact) {
  auto opened = OpenCollection(ctx, name);
  if (!opened.ok()) return Fail(ctx, opened.status());
  Collection* c = opened->collection.get();
  const CollectionInfo before = c->Info();
  Status s = compact ? c->Compact() : c->Checkpoint();
  if (!s.ok()) return Fail(ctx, s);
  const CollectionInfo after = c->Info();
  if (ctx.json) {
    std::cout << nlohmann::json{{"disk_bytes_before", before.disk_bytes},
                                {"disk_bytes_after", after.disk_bytes},
                                {"purged", before.deleted - after.deleted}}
                     .dump()
              << "\n";
  } else {
    std::printf("%s '%s': purged %llu deleted records, disk %s -> %s\n",
                compact ? "compacted" : "checkpointed", name.c_str(),
                static_cast<unsigned long long>(before.deleted - after.deleted),
                HumanBytes(before.disk_bytes).c_str(), HumanBytes(after.disk_bytes).c_str());
  }
}

}  // namespace

namespace {

// "0.1,0.2 0.3" or "[0.1, 0.2, 0.3]" to floats.
Result<std::vector<float>> ParseVectorText(std::string text) {
  for (char& c : text) {
    if (c == ',' || c == '[' || c == ']') c = ' ';
  }
  std::istringstream in(text);
  std::vector<float> v;
  std::string token;
  while (in >> token) {
    char* end = nullptr;
    float f = std::strtof(token.c_str(), &end);
    if (end == token.c_str() || *end != '\0') {
      return Status::InvalidArgument("--vector: '" + token + "' is not a number");
    }
    v.push_back(f);
  }
  if (v.empty()) return Status::InvalidArgument("--vector is empty");
  return v;
}

}  // namespace

Result<Record> QueryArgs::ParsedQuery() const {
  if (!vector.empty()) {
    auto v = ParseVectorText(vector);
    if (!v.ok()) return v.status();
    return Record{.vector = std::move(*v)};
  }
  auto b = ParseHex(hex, "hex vector");
  if (!b.ok()) return b.status();
  return Record{.binary = std::move(*b)};
}

SearchOptions QueryArgs::Options() const {
  return {.k = k,
          .filter = filter,
          .max_distance = max_distance,
          .ef = ef,
          .exact = exact,
          .with_payload = !no_payload};
}

void AddQueryOptions(CLI::App& cmd, QueryArgs& a) {
  cmd.add_option("--vector", a.vector, "Query vector, e.g. \"0.1,0.2,0.3\"");
  cmd.add_option("--hex", a.hex, "Query for hamming collections, as hex");
  cmd.add_option("-k", a.k, "Results per query")->capture_default_str();
  cmd.add_option("--filter", a.filter, "JSON filter on payloads, e.g. '{\"year\":2024}'");
  cmd.add_option("--max-distance", a.max_distance, "Drop results farther than this");
  cmd.add_option("--ef", a.ef, "HNSW candidate list size (default: the collection's)");
  cmd.add_flag("--exact", a.exact, "Scan exactly instead of using the index");
  cmd.add_flag("--no-payload", a.no_payload, "Omit payloads from the results");
}

void PrintHits(const CommandContext& ctx, size_t query_index, const std::vector<Hit>& hits) {
  if (ctx.json) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& h : hits) {
      nlohmann::json j{{"id", h.id}, {"distance", h.distance}};
      if (!h.payload.empty()) j["payload"] = PayloadJson(h.payload);
      list.push_back(std::move(j));
    }
    std::cout << nlohmann::json{{"query", query_index}, {"hits", list}}.dump() << "\n";
    return;
  }
  std::printf("query %zu\n%4s  %20s  %12s  %s\n", query_index, "rank", "id", "distance", "payload");
  for (size_t i = 0; i < hits.size(); ++i) {
    std::printf("%4zu  %20llu  %12.6g  %s\n", i + 1, static_cast<unsigned long long>(hits[i].id),
                hits[i].distance, hits[i].payload.c_str());
  }
}

void AddVectorsCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* vectors = app.add_subcommand(
      "vectors",
      "The vector database: collections of (id, vector, JSON payload) for any embeddings");
  vectors->require_subcommand(1);

  auto* create = vectors->add_subcommand("create", "Create a collection");
  auto create_args = std::make_shared<CreateArgs>();
  create->add_option("name", create_args->name, "Collection name")->required();
  create->add_option("--dim,-d", create_args->dimension, "Dimension (bits for hamming)")
      ->required();
  create->add_option("--metric", create_args->metric, "l2 | ip | cosine | hamming")
      ->capture_default_str();
  create
      ->add_option("--index", create_args->index,
                   "hnsw | flat | sq8 | mih (hamming, exact radius search)")
      ->capture_default_str();
  create->add_option("--m", create_args->hnsw.m, "HNSW links per node")->capture_default_str();
  create
      ->add_option("--ef-construction", create_args->hnsw.ef_construction,
                   "HNSW build candidate list size")
      ->capture_default_str();
  create
      ->add_option("--ef-search", create_args->hnsw.ef_search,
                   "HNSW default search candidate list size")
      ->capture_default_str();
  create->callback([&ctx, create_args] { RunCreate(ctx, *create_args); });

  auto* upsert = vectors->add_subcommand(
      "upsert", "Insert or replace records from a .fvecs, .bvecs, .npy or .jsonl file");
  auto upsert_args = std::make_shared<UpsertArgs>();
  upsert->add_option("name", upsert_args->name, "Collection name")->required();
  AddUpsertFileOptions(*upsert, upsert_args->file);
  upsert->get_option("--batch")->description("Records per atomic write");
  upsert->callback([&ctx, upsert_args] { RunUpsert(ctx, *upsert_args); });

  auto* del = vectors->add_subcommand("delete", "Delete records by id or by filter");
  auto del_name = std::make_shared<std::string>();
  auto del_ids = std::make_shared<std::vector<uint64_t>>();
  auto del_filter = std::make_shared<std::string>();
  del->add_option("name", *del_name, "Collection name")->required();
  del->add_option("ids", *del_ids, "Ids to delete");
  del->add_option("--filter", *del_filter, "Delete every record whose payload matches");
  del->callback(
      [&ctx, del_name, del_ids, del_filter] { RunDelete(ctx, *del_name, *del_ids, *del_filter); });

  auto* get = vectors->add_subcommand("get", "Print records as JSON lines");
  auto get_name = std::make_shared<std::string>();
  auto get_ids = std::make_shared<std::vector<uint64_t>>();
  get->add_option("name", *get_name, "Collection name")->required();
  get->add_option("ids", *get_ids, "Ids")->required();
  get->callback([&ctx, get_name, get_ids] { RunGet(ctx, *get_name, *get_ids); });

  auto* search = vectors->add_subcommand("search", "Nearest neighbours of one or many queries");
  auto sa = std::make_shared<SearchArgs>();
  search->add_option("name", sa->name, "Collection name")->required();
  AddQueryOptions(*search, sa->query);
  search->add_option("--id", sa->from_id, "Use the stored vector of this id as the query");
  search->add_option("--queries", sa->query_file, "File of query vectors (any upsert format)");
  search->add_option("--format", sa->format, "Format of --queries");
  search->callback([&ctx, sa] { RunSearch(ctx, *sa); });

  auto* info = vectors->add_subcommand("info", "Counts, sizes and options of collections");
  auto info_name = std::make_shared<std::string>();
  info->add_option("name", *info_name, "Collection (default: all)");
  info->callback([&ctx, info_name] { RunInfo(ctx, *info_name); });

  auto* list = vectors->add_subcommand("list", "Names of the collections");
  list->callback([&ctx] {
    auto db = OpenDb(ctx, false);
    if (!db.ok()) return Fail(ctx, db.status());
    auto names = (*db)->ListCollections();
    if (ctx.json) {
      std::cout << nlohmann::json(names).dump() << "\n";
    } else {
      for (const auto& n : names) std::cout << n << "\n";
    }
  });

  auto* drop = vectors->add_subcommand("drop", "Delete a collection and its files");
  auto drop_name = std::make_shared<std::string>();
  drop->add_option("name", *drop_name, "Collection name")->required();
  drop->callback([&ctx, drop_name] {
    auto db = OpenDb(ctx, false);
    if (!db.ok()) return Fail(ctx, db.status());
    Status s = (*db)->DropCollection(*drop_name);
    if (!s.ok()) return Fail(ctx, s);
    if (!ctx.json) std::printf("dropped collection '%s'\n", drop_name->c_str());
  });

  auto* compact =
      vectors->add_subcommand("compact", "Purge deleted records, reclaim space and checkpoint");
  auto compact_name = std::make_shared<std::string>();
  compact->add_option("name", *compact_name, "Collection name")->required();
  compact->callback([&ctx, compact_name] { RunMaintenance(ctx, *compact_name, true); });

  auto* checkpoint =
      vectors->add_subcommand("checkpoint", "Write the collection whole and truncate its log");
  auto checkpoint_name = std::make_shared<std::string>();
  checkpoint->add_option("name", *checkpoint_name, "Collection name")->required();
  checkpoint->callback([&ctx, checkpoint_name] { RunMaintenance(ctx, *checkpoint_name, false); });

  auto* snapshot =
      vectors->add_subcommand("snapshot", "Write a consistent copy of the whole database");
  auto snapshot_dest = std::make_shared<std::string>();
  snapshot->add_option("dest", *snapshot_dest, "Directory to create")->required();
  snapshot->callback([&ctx, snapshot_dest] {
    auto db = OpenDb(ctx, false);
    if (!db.ok()) return Fail(ctx, db.status());
    Status s = (*db)->Snapshot(*snapshot_dest);
    if (!s.ok()) return Fail(ctx, s);
    if (!ctx.json) std::printf("snapshot written to %s\n", snapshot_dest->c_str());
  });

  auto* exp = vectors->add_subcommand("export", "Print every record as JSON lines");
  auto exp_name = std::make_shared<std::string>();
  exp->add_option("name", *exp_name, "Collection name")->required();
  exp->callback([&ctx, exp_name] {
    auto opened = OpenCollection(ctx, *exp_name);
    if (!opened.ok()) return Fail(ctx, opened.status());
    Collection* c = opened->collection.get();
    Status s = c->ForEach([](const Record& r) {
      std::cout << RecordJson(r).dump() << "\n";
      return true;
    });
    if (!s.ok()) Fail(ctx, s);
  });
}

}  // namespace alike::cli
