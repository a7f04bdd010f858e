// Persons: the faces of a library grouped by who they show.
//
// The first grouping clusters every face with Chinese whispers (dlib) over the graph that links
// each face to its nearest faces closer than the same-person threshold, each link weighted by
// how far below the threshold it lies. Later calls group only
// the faces that have no person yet: they are clustered among themselves the same way, and
// each resulting group joins the existing person that at least half of its faces have a near
// face in, or else becomes a new person. Faces already placed never move, so names stay put
// and adding photos costs a search per new face, not a re-clustering.
//
// Thread-safety: GroupNewFaces writes the catalog and must not run concurrently with itself or
// with erasure (the library serialises them); ListPeople may run alongside anything.
#ifndef ALIKE_LIBRARY_PEOPLE_H_
#define ALIKE_LIBRARY_PEOPLE_H_

#include <map>
#include <utility>
#include <vector>

#include "alike/library.h"
#include "library/faces.h"

namespace alike::library {

// Neighbours each face is linked to (those within the threshold).
inline constexpr size_t kGroupingNeighbours = 16;

// Chinese whispers over faces 0..n-1 and the links between them (pairs a < b and their squared
// distance, each below `threshold`): one label per face, faces of a label show one person.
std::vector<unsigned long> ClusterFaces(
    size_t n, const std::map<std::pair<unsigned long, unsigned long>, float>& links,
    float threshold);

// Places every face of the space that has no person yet, and forgets rows of faces whose
// vectors are gone.
Status GroupNewFaces(const FaceSpace& space, float threshold);

// Every person with faces, most faces first, each with the face nearest its mean face.
Result<std::vector<Person>> ListPeople(const FaceSpace& space);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_PEOPLE_H_
