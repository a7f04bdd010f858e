#include "alike/vector_db.h"

namespace alike {

Status CheckpointIfLogLarge(Collection& collection) {
  // Below this a replay takes tens of milliseconds (about a hundred 2304-d vectors).
  constexpr uint64_t kMinLogBytes = 1 << 20;
  const CollectionInfo info = collection.Info();
  if (info.log_bytes < kMinLogBytes || info.log_bytes * 8 < info.disk_bytes) return Status::OK();
  return collection.Checkpoint();
}

}  // namespace alike
