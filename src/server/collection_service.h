// Where the collection routes (collection_routes.cc) find their collections: the local database
// (LocalCollections, local_collections.h) or a cluster (cli/cluster_collections.h, for `alike
// serve --cluster`). The routes parse every request and encode every answer themselves, so a
// collection answers the same JSON wherever it lives; an implementation only stores and searches.
//
// Thread-safety: implementations are called from many request threads at once and must be safe
// for that.
#ifndef ALIKE_SERVER_COLLECTION_SERVICE_H_
#define ALIKE_SERVER_COLLECTION_SERVICE_H_

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"
#include "alike/vector_db.h"

namespace alike::server {

struct CollectionDescription {
  CollectionInfo info;
  // False where count, deleted and the byte sizes are not known (a cluster's records are on its
  // nodes): they are answered as null.
  bool sizes_known = true;
  // Added to the description as "cluster" when not null (a cluster's shard count, replicas...).
  nlohmann::json cluster;
};

// What a write answers: how many records it wrote or deleted (where the service knows: a cluster's
// delete by filter is applied on the nodes), and where the service has one, the token a search
// may carry to see the write (read-your-writes); empty on one machine, where a write is visible
// once acknowledged.
struct WriteReceipt {
  std::optional<uint64_t> count;
  std::string write_token;
};

struct CollectionSearch {
  std::span<const Query> queries;
  SearchOptions options;
  std::string after;  // a write token: see at least that write (ignored where tokens are empty)
};

struct CollectionHits {
  std::vector<std::vector<Hit>> hits;  // one list per query, best first
  // Parts of the collection that did not answer (a cluster's shards), and why: their records are
  // missing from `hits`. The routes fail the search with 503 naming them unless the request
  // allowed partial results.
  std::map<uint32_t, std::string> missing_shards;
};

class CollectionService {
 public:
  virtual ~CollectionService() = default;

  virtual Result<std::vector<std::string>> List() = 0;
  virtual Result<CollectionDescription> Describe(const std::string& name) = 0;
  // Dimension and metric, which the routes parse records and queries with (cheaper than Describe).
  virtual Result<CollectionOptions> Options(const std::string& name) = 0;
  // `request` is the create request's body, for settings only this service knows.
  virtual Result<CollectionDescription> Create(const std::string& name,
                                               const CollectionOptions& options,
                                               const nlohmann::json& request) = 0;
  virtual Status Drop(const std::string& name) = 0;
  virtual Result<WriteReceipt> Upsert(const std::string& name, std::span<const Record> records) = 0;
  virtual Result<WriteReceipt> Delete(const std::string& name, std::span<const uint64_t> ids) = 0;
  virtual Result<WriteReceipt> DeleteWhere(const std::string& name, const std::string& filter) = 0;
  virtual Result<Record> Get(const std::string& name, uint64_t id) = 0;
  virtual Result<CollectionHits> Search(const std::string& name,
                                        const CollectionSearch& search) = 0;
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_COLLECTION_SERVICE_H_
