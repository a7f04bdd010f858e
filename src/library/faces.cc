#include "library/faces.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "embed/face_embedder.h"
#include "library/face_rule.h"
#include "library/image_facts.h"

namespace alike::library {

FaceSpace FaceSpaceFor(Catalog& catalog, Collection& collection, const embed::Embedder* model) {
  FaceSpace space{catalog, collection};
  if (const auto* face = dynamic_cast<const embed::FaceEmbedder*>(model)) {
    space.calibration = face->model().calibration;
    space.same_person = face->model().same_person_distance;
    space.margin_scale = face->model().margin_scale;
    space.expansion_scale = face->model().expansion_scale;
  }
  return space;
}

FaceBox FaceBoxOf(const std::string& payload) {
  FaceBox box;
  const nlohmann::json p = nlohmann::json::parse(payload, nullptr, false);
  if (!p.is_object()) return box;
  auto b = p.find("box");
  if (b != p.end() && b->is_array() && b->size() == 4) {
    box.x = (*b)[0].get<int>();
    box.y = (*b)[1].get<int>();
    box.width = (*b)[2].get<int>();
    box.height = (*b)[3].get<int>();
  }
  if (auto s = p.find("score"); s != p.end() && s->is_number()) box.score = s->get<float>();
  if (auto l = p.find("landmarks"); l != p.end() && l->is_array()) {
    for (const auto& pt : *l) {
      if (pt.is_array() && pt.size() == 2)
        box.landmarks.push_back({pt[0].get<float>(), pt[1].get<float>()});
    }
  }
  return box;
}

Result<std::optional<FaceHit>> MakeFaceHit(const FaceSpace& space, uint64_t vector_id,
                                           float distance, const std::string& payload) {
  FaceHit hit{.image_id = ImageOfVector(vector_id),
              .face_id = vector_id,
              .distance = distance,
              .box = FaceBoxOf(payload)};
  auto image = space.catalog.GetImage(hit.image_id);
  if (!image.ok()) return image.status();
  if (!*image || (*image)->paths.empty()) return std::optional<FaceHit>();
  hit.paths = std::move((*image)->paths);
  auto person = space.catalog.PersonOfFace(vector_id);
  if (!person.ok()) return person.status();
  if (*person) {
    hit.person = (*person)->id;
    hit.person_name = (*person)->name;
  }
  return std::optional<FaceHit>(std::move(hit));
}

Result<std::vector<QueryFace>> SearchFaces(const FaceSpace& space,
                                           std::span<const embed::Embedding> faces,
                                           const FaceSearchOptions& options,
                                           std::optional<uint64_t> exclude_image) {
  FaceSearchOptions scaled = options;
  scaled.margin *= space.margin_scale;
  scaled.expansion_strangers *= space.expansion_scale;
  const FaceThresholds thresholds =
      FaceSearchThresholds(space.calibration, space.collection.Count(), scaled, space.same_person);
  const size_t k = FaceCandidates(options.k);
  const FaceLookup lookup{.near = [&](std::span<const float> vector,
                                      float max_distance) -> Result<std::vector<FaceHit>> {
                            auto hits = space.collection.Search(
                                {.vector = vector}, {.k = k, .max_distance = max_distance});
                            if (!hits.ok()) return hits.status();
                            std::vector<FaceHit> out;
                            for (const Hit& h : *hits) {
                              if (exclude_image && ImageOfVector(h.id) == *exclude_image) continue;
                              auto hit = MakeFaceHit(space, h.id, h.distance, h.payload);
                              if (!hit.ok()) return hit.status();
                              if (*hit) out.push_back(std::move(**hit));
                            }
                            return out;
                          },
                          .vector_of = [&](uint64_t face_id) -> Result<std::vector<float>> {
                            auto record = space.collection.Get(face_id);
                            if (!record.ok()) return record.status();
                            return std::move(record->vector);
                          }};
  std::vector<QueryFace> out;
  for (const embed::Embedding& face : faces) {
    QueryFace query{.box = FaceBoxOf(VectorPayload("{}", face))};
    auto hits = FindFaceHits(face.vector, thresholds, scaled, lookup);
    if (!hits.ok()) return hits.status();
    query.hits = std::move(*hits);
    out.push_back(std::move(query));
  }
  return out;
}

Result<uint64_t> ResolvePerson(const Catalog& catalog, const std::string& name) {
  auto named = catalog.FindPerson(name);
  if (!named.ok()) return named.status();
  if (*named) return **named;
  if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos &&
      name.size() < 19) {
    const uint64_t id = std::stoull(name);
    auto persons = catalog.Persons();
    if (!persons.ok()) return persons.status();
    for (const PersonRow& p : *persons) {
      if (p.id == id) return id;
    }
  }
  return Status::NotFound("no person named '" + name +
                          "' (alike faces people lists them; alike faces name ID NAME names one)");
}

float SquaredL2(std::span<const float> a, std::span<const float> b) {
  float sum = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) sum += (a[i] - b[i]) * (a[i] - b[i]);
  return sum;
}

std::vector<float> MeanFace(std::span<const Record> faces) {
  std::vector<float> mean(faces.empty() ? 0 : faces[0].vector.size(), 0.f);
  for (const Record& r : faces) {
    for (size_t i = 0; i < mean.size() && i < r.vector.size(); ++i) {
      mean[i] += r.vector[i] / static_cast<float>(faces.size());
    }
  }
  return mean;
}

Result<std::vector<FaceHit>> SearchPerson(const FaceSpace& space, uint64_t person_id, size_t k) {
  auto ids = space.catalog.FacesOfPerson(person_id);
  if (!ids.ok()) return ids.status();
  std::vector<Record> faces;
  for (uint64_t id : *ids) {
    auto r = space.collection.Get(id);
    if (r.ok()) faces.push_back(std::move(*r));  // else erased meanwhile
  }
  if (faces.empty()) return std::vector<FaceHit>();
  const std::vector<float> mean = MeanFace(faces);
  std::vector<FaceHit> hits;
  for (const Record& r : faces) {
    auto hit = MakeFaceHit(space, r.id, SquaredL2(r.vector, mean), r.payload);
    if (!hit.ok()) return hit.status();
    if (*hit) hits.push_back(std::move(**hit));
  }
  RankFaceHits(hits, space.same_person, {.k = k, .margin = 0, .by_person = false});
  return hits;
}

Status EraseFaces(const FaceSpace& space, std::span<const uint64_t> vector_ids) {
  // Vectors (compacted away) before rows: after a crash in between the person is still there
  // to forget again, and rows whose vectors are gone are dropped by grouping, whereas vectors
  // without a row would be filed under a new person.
  auto deleted = space.collection.Delete(vector_ids);
  if (!deleted.ok()) return deleted.status();
  ALIKE_RETURN_IF_ERROR(space.collection.Compact());
  ALIKE_RETURN_IF_ERROR(space.catalog.ForgetFaces(vector_ids));
  return space.catalog.Vacuum();
}

}  // namespace alike::library
