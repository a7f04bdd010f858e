// The public encoders of writes for replication (alike/vector_db.h): a write becomes exactly the
// write-ahead-log record a local collection would log for it, framed and checksummed as in the
// log, so a replica checks it as recovery checks its own log.
#include "alike/vector_db.h"
#include "store/filter.h"
#include "store/log_records.h"
#include "store/stored_collection.h"
#include "util/wal.h"

namespace alike {

Result<std::string> EncodeUpsertLogRecord(const CollectionOptions& options,
                                          std::span<const Record> records) {
  ALIKE_RETURN_IF_ERROR(store::StoredCollection::ValidateOptions(options));
  std::vector<store::EncodedRecord> encoded;
  std::vector<nlohmann::json> payloads;
  ALIKE_RETURN_IF_ERROR(store::StoredCollection::EncodeUpsertBatch(
      options, "the collection", store::StoredCollection::ViewsOf(records), &encoded, &payloads));
  return EncodeWalRecord(static_cast<uint8_t>(store::LogRecordType::kUpsert),
                         store::EncodeUpsert(encoded));
}

std::string EncodeDeleteLogRecord(std::span<const uint64_t> ids) {
  return EncodeWalRecord(static_cast<uint8_t>(store::LogRecordType::kDelete),
                         store::EncodeDelete({ids.begin(), ids.end()}));
}

Result<std::string> EncodeDeleteWhereLogRecord(std::string_view filter) {
  auto parsed = store::Filter::Parse(filter);
  if (!parsed.ok()) return parsed.status();
  return EncodeWalRecord(static_cast<uint8_t>(store::LogRecordType::kDeleteWhere),
                         std::string(filter));
}

}  // namespace alike
