// The collection routes over this machine's database: every operation is the database's own.
//
// Thread-safety: as the Database it wraps (safe from many threads). It must not outlive it.
#ifndef ALIKE_SERVER_LOCAL_COLLECTIONS_H_
#define ALIKE_SERVER_LOCAL_COLLECTIONS_H_

#include "alike/vector_db.h"
#include "server/collection_service.h"

namespace alike::server {

class LocalCollections : public CollectionService {
 public:
  explicit LocalCollections(Database& db) : db_(db) {}

  Result<std::vector<std::string>> List() override;
  Result<CollectionDescription> Describe(const std::string& name) override;
  Result<CollectionOptions> Options(const std::string& name) override;
  Result<CollectionDescription> Create(const std::string& name, const CollectionOptions& options,
                                       const nlohmann::json& request) override;
  Status Drop(const std::string& name) override;
  Result<WriteReceipt> Upsert(const std::string& name, std::span<const Record> records) override;
  Result<WriteReceipt> Delete(const std::string& name, std::span<const uint64_t> ids) override;
  Result<WriteReceipt> DeleteWhere(const std::string& name, const std::string& filter) override;
  Result<Record> Get(const std::string& name, uint64_t id) override;
  Result<CollectionHits> Search(const std::string& name, const CollectionSearch& search) override;

 private:
  Database& db_;
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_LOCAL_COLLECTIONS_H_
