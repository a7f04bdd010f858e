// Faces in an image library: the vectors of the "face" space read back as faces (box,
// landmarks, score, person), searches by a query face and by person, and erasure.
//
// Thread-safety: free functions over the thread-safe Catalog and Collection. The library
// serialises EraseFaces with indexing and with the grouping of faces into persons.
#ifndef ALIKE_LIBRARY_FACES_H_
#define ALIKE_LIBRARY_FACES_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alike/library.h"
#include "embed/embedder.h"
#include "embed/face_calibration.h"
#include "library/catalog.h"

namespace alike::library {

inline constexpr char kFaceEmbedder[] = "face";

struct FaceSpace {
  Catalog& catalog;
  Collection& collection;
  // The face model's FAR calibration (face_rule.h) and pair threshold (grouping into persons,
  // the ceiling of the search threshold); dlib's unless FaceSpaceFor finds another model.
  std::span<const embed::FarPoint> calibration = embed::DlibFaceCalibration();
  float same_person = kSamePersonDistance;
  float margin_scale = 1;     // the face model's (face_model_spec.h)
  float expansion_scale = 1;  // the face model's (face_model_spec.h)
};

// The space with the calibration, pair threshold and margin scale of `model` when it is a
// FaceEmbedder (its face model spec's), else dlib's (no model loaded, or a stand-in).
FaceSpace FaceSpaceFor(Catalog& catalog, Collection& collection, const embed::Embedder* model);

// The box a face vector's payload holds (see VectorPayload).
FaceBox FaceBoxOf(const std::string& payload);

// A face of the space as a hit: its box, person and the image's paths; none when the image is
// gone (removed while the caller looked).
Result<std::optional<FaceHit>> MakeFaceHit(const FaceSpace& space, uint64_t vector_id,
                                           float distance, const std::string& payload);

// For each query face, the images whose closest face is a hit by face_rule.h's rule, best first;
// `exclude_image` (the query's own image) is never a hit.
Result<std::vector<QueryFace>> SearchFaces(const FaceSpace& space,
                                           std::span<const embed::Embedding> faces,
                                           const FaceSearchOptions& options,
                                           std::optional<uint64_t> exclude_image = std::nullopt);

// A person by name, else by id when `name` is a number.
Result<uint64_t> ResolvePerson(const Catalog& catalog, const std::string& name);

// The images a person appears in, ordered by their face's distance to the person's mean face.
Result<std::vector<FaceHit>> SearchPerson(const FaceSpace& space, uint64_t person_id, size_t k);

// Erases faces: deletes their vectors (and payloads) and compacts the collection (freed slots
// are zeroed, the log that held them is deleted), then forgets their rows and vacuums the
// catalog.
Status EraseFaces(const FaceSpace& space, std::span<const uint64_t> vector_ids);

// Squared Euclidean distance, the face space's metric.
float SquaredL2(std::span<const float> a, std::span<const float> b);

// The mean of some faces' vectors (not normalised: distances to it rank faces by typicality).
std::vector<float> MeanFace(std::span<const Record> faces);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_FACES_H_
