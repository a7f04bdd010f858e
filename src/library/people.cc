#include "library/people.h"

#include <dlib/clustering/chinese_whispers.h>

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "library/image_facts.h"

namespace alike::library {
// Neighbours looked up per new face (kGroupingNeighbours). A face's graph edges only need to
// reach its own person; more neighbours cost search time and, in Chinese whispers, make a few
// wrong links weigh less than the many right ones anyway.

std::vector<unsigned long> ClusterFaces(
    size_t n, const std::map<std::pair<unsigned long, unsigned long>, float>& links,
    float threshold) {
  // Edge weights: 0 for a face's link to itself (which only makes it a node; a heavier one
  // would keep every face on its own label), and for two faces the share of the threshold
  // left over by their distance, so that one near-threshold link (a look-alike, a blurred face)
  // weighs little against a person's close faces.
  std::vector<dlib::sample_pair> edges;
  for (unsigned long i = 0; i < n; ++i) edges.emplace_back(i, i, 0);
  for (const auto& [ends, distance] : links) {
    edges.emplace_back(ends.first, ends.second, 1 - distance / threshold);
  }
  std::vector<unsigned long> labels;
  dlib::chinese_whispers(edges, labels);
  return labels;
}

Status GroupNewFaces(const FaceSpace& space, float threshold) {
  auto rows = space.catalog.Faces();
  if (!rows.ok()) return rows.status();
  std::unordered_map<uint64_t, uint64_t> person_of;  // vector id -> person
  for (const FaceRow& row : *rows) person_of[row.vector_id] = row.person_id;
  std::vector<Record> fresh;  // faces without a person
  std::unordered_set<uint64_t> live;
  ALIKE_RETURN_IF_ERROR(space.collection.ForEach([&](const Record& r) {
    live.insert(r.id);
    if (!person_of.count(r.id)) fresh.push_back(r);
    return true;
  }));
  std::vector<uint64_t> gone;
  for (const auto& [id, person] : person_of) {
    if (!live.count(id)) gone.push_back(id);
  }
  // A face of an image no longer catalogued (a deletion that a gap of erased faces hid) is
  // deleted, not grouped: its row could not name the image.
  std::vector<uint64_t> stray;
  std::map<uint64_t, bool> catalogued;
  for (const Record& r : fresh) {
    const uint64_t image = ImageOfVector(r.id);
    if (!catalogued.count(image)) {
      auto found = space.catalog.GetImage(image);
      if (!found.ok()) return found.status();
      catalogued[image] = found->has_value();
    }
    if (!catalogued[image]) stray.push_back(r.id);
  }
  if (!stray.empty()) {
    auto deleted = space.collection.Delete(stray);
    if (!deleted.ok()) return deleted.status();
    std::erase_if(fresh, [&](const Record& r) { return !catalogued[ImageOfVector(r.id)]; });
  }
  if (fresh.empty() && gone.empty()) return Status::OK();
  // Slot order depends on which slots deletes freed; id order makes the grouping, and so the
  // numbers new persons get, a function of the faces alone.
  std::sort(fresh.begin(), fresh.end(),
            [](const Record& a, const Record& b) { return a.id < b.id; });

  std::unordered_map<uint64_t, unsigned long> index_of;
  for (size_t i = 0; i < fresh.size(); ++i) index_of[fresh[i].id] = i;
  std::map<std::pair<unsigned long, unsigned long>, float> links;
  std::vector<std::set<uint64_t>> near_persons(fresh.size());
  for (unsigned long i = 0; i < fresh.size(); ++i) {
    auto hits = space.collection.Search(
        {.vector = fresh[i].vector},
        {.k = kGroupingNeighbours + 1, .max_distance = threshold, .with_payload = false});
    if (!hits.ok()) return hits.status();
    for (const Hit& h : *hits) {
      if (auto j = index_of.find(h.id); j != index_of.end()) {
        if (j->second != i) links[{std::min(i, j->second), std::max(i, j->second)}] = h.distance;
      } else if (auto p = person_of.find(h.id); p != person_of.end()) {
        near_persons[i].insert(p->second);
      }
    }
  }
  const std::vector<unsigned long> labels = ClusterFaces(fresh.size(), links, threshold);
  const unsigned long groups =
      labels.empty() ? 0 : *std::max_element(labels.begin(), labels.end()) + 1;

  std::vector<std::vector<size_t>> members(groups);
  for (size_t i = 0; i < fresh.size(); ++i) members[labels[i]].push_back(i);
  std::vector<FaceAssignment> assignments;
  size_t new_persons = 0;
  for (const std::vector<size_t>& group : members) {
    std::map<uint64_t, size_t> votes;  // person -> members with a near face of theirs
    for (size_t m : group) {
      for (uint64_t p : near_persons[m]) ++votes[p];
    }
    auto best = std::max_element(votes.begin(), votes.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; });
    std::optional<uint64_t> person;
    if (best != votes.end() && 2 * best->second >= group.size()) person = best->first;
    const size_t created = person ? 0 : new_persons++;
    for (size_t m : group) {
      assignments.push_back({.vector_id = fresh[m].id,
                             .image_id = ImageOfVector(fresh[m].id),
                             .person = person,
                             .new_person = created});
    }
  }
  return space.catalog.AssignFaces(assignments, new_persons, gone);
}

Result<std::vector<Person>> ListPeople(const FaceSpace& space) {
  auto rows = space.catalog.Faces();
  if (!rows.ok()) return rows.status();
  auto persons = space.catalog.Persons();
  if (!persons.ok()) return persons.status();
  std::unordered_map<uint64_t, uint64_t> person_of;
  for (const FaceRow& row : *rows) person_of[row.vector_id] = row.person_id;
  std::map<uint64_t, std::vector<Record>> faces;  // person -> its faces
  ALIKE_RETURN_IF_ERROR(space.collection.ForEach([&](const Record& r) {
    if (auto p = person_of.find(r.id); p != person_of.end()) faces[p->second].push_back(r);
    return true;
  }));
  std::vector<Person> out;
  for (const PersonRow& row : *persons) {
    auto it = faces.find(row.id);
    if (it == faces.end()) continue;
    const std::vector<Record>& members = it->second;
    const std::vector<float> mean = MeanFace(members);
    std::set<uint64_t> images;
    for (const Record& r : members) images.insert(ImageOfVector(r.id));
    const Record* typical = &members[0];
    float best = SquaredL2(members[0].vector, mean);
    for (const Record& r : members) {
      const float d = SquaredL2(r.vector, mean);
      if (d < best) {
        best = d;
        typical = &r;
      }
    }
    auto hit = MakeFaceHit(space, typical->id, best, typical->payload);
    if (!hit.ok()) return hit.status();
    if (!*hit) continue;  // its image was removed meanwhile
    out.push_back({.id = row.id,
                   .name = row.name,
                   .faces = members.size(),
                   .images = images.size(),
                   .representative = std::move(**hit)});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Person& a, const Person& b) { return a.faces > b.faces; });
  return out;
}

}  // namespace alike::library
