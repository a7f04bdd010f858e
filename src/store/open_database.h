// Opening a database over a chosen file system: the seam through which tests run the store over
// one that fails (util/file_system.h). Not in the public API: applications have no use for it.
//
// Thread-safety: as Database (alike/vector_db.h).
#ifndef ALIKE_STORE_OPEN_DATABASE_H_
#define ALIKE_STORE_OPEN_DATABASE_H_

#include <memory>
#include <string>

#include "alike/vector_db.h"
#include "util/file_system.h"

namespace alike::store {

// Database::Open, with every write to the database's files going through `fs`, which must
// outlive the database and every collection handle taken from it.
Result<std::unique_ptr<Database>> OpenDatabase(const std::string& dir,
                                               const DatabaseOptions& options, FileSystem& fs);

}  // namespace alike::store

#endif  // ALIKE_STORE_OPEN_DATABASE_H_
