// The JSON shapes of an index run's counts (the command line's and the Python module's) and of
// library statistics (also the HTTP API's): one definition for all, which the Python module
// reaches through alike::ToJson, since it sees only include/alike/.
//
// Thread-safety: stateless functions.
#ifndef ALIKE_LIBRARY_LIBRARY_JSON_H_
#define ALIKE_LIBRARY_LIBRARY_JSON_H_

#include <nlohmann/json.hpp>

#include "alike/library.h"

namespace alike::library {

// {"indexed", "duplicates", "unchanged", "failed", "removed", "cancelled", "seconds"}.
nlohmann::json IndexReportJson(const IndexReport& report);
// Counts, bytes (copy_feature_bytes: the cached copy features), embedders, faces, persons and "spaces", each {"embedder", "model" and
// "fingerprint" (the version in short), "version" and "installed_version" (whole), "current",
// "dimension", "vectors", "disk_bytes"}. Without the library's path, which the HTTP API does not
// reveal.
nlohmann::json LibraryInfoJson(const LibraryInfo& info);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_LIBRARY_JSON_H_
