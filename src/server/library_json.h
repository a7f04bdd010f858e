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
// An index run's counts and library statistics: library/library_json.h.

// One copy: {"id", "confidence", "path", "paths", "pdq_bits" (null: not a PDQ match),
// "verified" (false: its picture could not be read, the hit stands on its hash alone),
// "inliers", "mirrored", "corners" (the query's corners in the hit's pixels, clockwise from
// top-left; null: not verified)}.
nlohmann::json CopyHitJson(const CopyHit& hit);

// Duplicate groups, each {"keeper", "max_bits", "images": [{"id", "path", "paths", "width",
// "height", "bytes"}, ...]} with the keeper first.
Result<nlohmann::json> DuplicateGroupsJson(const Library& library,
                                           const std::vector<DuplicateGroup>& groups);

// One face of an image: {"id" (the image), "face", "distance", "path", "paths", "box" [x, y,
// width, height], "score", "landmarks", and "person" and "name" once grouped}.
nlohmann::json FaceHitJson(const FaceHit& hit);
// Each face of a query picture: {"box", "score", "landmarks", "hits": [FaceHitJson, ...]}.
nlohmann::json QueryFacesJson(const std::vector<QueryFace>& faces);

}  // namespace alike::server

#endif  // ALIKE_SERVER_LIBRARY_JSON_H_
