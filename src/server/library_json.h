// Image-library results as JSON, shared by the HTTP API and the command line.
//
// Thread-safety: stateless functions.
#ifndef ALIKE_SERVER_LIBRARY_JSON_H_
#define ALIKE_SERVER_LIBRARY_JSON_H_

#include <nlohmann/json.hpp>
#include <vector>

#include "alike/library.h"

namespace alike::server {

// {"results": [{"id", "score", "distance", "paths", "payload"}, ...]}
nlohmann::json HitsJson(const std::vector<ImageHit>& hits);
// What the catalog knows of one image.
nlohmann::json DetailsJson(const ImageDetails& details);
// The counts of an index run.
nlohmann::json IndexReportJson(const IndexReport& report);

}  // namespace alike::server

#endif  // ALIKE_SERVER_LIBRARY_JSON_H_
