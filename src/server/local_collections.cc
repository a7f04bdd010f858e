#include "server/local_collections.h"

namespace alike::server {

Result<std::vector<std::string>> LocalCollections::List() { return db_.ListCollections(); }

Result<CollectionDescription> LocalCollections::Describe(const std::string& name) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  return CollectionDescription{.info = (*c)->Info()};
}

Result<CollectionOptions> LocalCollections::Options(const std::string& name) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  return (*c)->options();
}

Result<CollectionDescription> LocalCollections::Create(const std::string& name,
                                                       const CollectionOptions& options,
                                                       const nlohmann::json&) {
  auto c = db_.CreateCollection(name, options);
  if (!c.ok()) return c.status();
  return CollectionDescription{.info = (*c)->Info()};
}

Status LocalCollections::Drop(const std::string& name) { return db_.DropCollection(name); }

Result<WriteReceipt> LocalCollections::Upsert(const std::string& name,
                                              std::span<const Record> records) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  ALIKE_RETURN_IF_ERROR((*c)->Upsert(records));
  return WriteReceipt{.count = records.size()};
}

Result<WriteReceipt> LocalCollections::Delete(const std::string& name,
                                              std::span<const uint64_t> ids) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  auto deleted = (*c)->Delete(ids);
  if (!deleted.ok()) return deleted.status();
  return WriteReceipt{.count = *deleted};
}

Result<WriteReceipt> LocalCollections::DeleteWhere(const std::string& name,
                                                   const std::string& filter) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  auto deleted = (*c)->DeleteWhere(filter);
  if (!deleted.ok()) return deleted.status();
  return WriteReceipt{.count = *deleted};
}

Result<Record> LocalCollections::Get(const std::string& name, uint64_t id) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  return (*c)->Get(id);
}

Result<CollectionHits> LocalCollections::Search(const std::string& name,
                                                const CollectionSearch& search) {
  auto c = db_.GetCollection(name);
  if (!c.ok()) return c.status();
  if (search.queries.size() == 1) {  // whose errors name no query
    auto hits = (*c)->Search(search.queries[0], search.options);
    if (!hits.ok()) return hits.status();
    return CollectionHits{.hits = {std::move(*hits)}};
  }
  auto hits = (*c)->SearchBatch(search.queries, search.options);
  if (!hits.ok()) return hits.status();
  return CollectionHits{.hits = std::move(*hits)};
}

}  // namespace alike::server
