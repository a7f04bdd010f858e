#include "faces.h"

#include <pybind11/stl.h>

#include "arrays.h"
#include "errors.h"
#include "image_query.h"
#include "pictures.h"

namespace py = pybind11;

namespace alike::python {
namespace {

// Runs fn(Library&) with the GIL released; an error status is raised.
template <typename Fn>
auto Call(Closable<Library>& library, Fn fn) {
  py::gil_scoped_release release;
  return library.Use([&](Library& lib) { return ValueOrThrow(fn(lib)); });
}

py::dict ForgetDict(const FaceForgetReport& report) {
  py::dict out;
  out["faces"] = report.faces;
  out["persons"] = report.persons;
  return out;
}

// A person as the library resolves one: a name, or the person's id (an int, or its digits).
std::string PersonKey(py::handle person) {
  if (py::isinstance<py::str>(person)) return person.cast<std::string>();
  if (py::isinstance<py::int_>(person) && !py::isinstance<py::bool_>(person)) {
    return py::str(person).cast<std::string>();
  }
  ThrowInvalidArgument("a person is a name (str) or a person's id (int)");
}

// The box, detection score and landmarks of a face, which FaceHit and QueryFace both have.
template <typename Class, typename BoxOf>
void AddBoxProperties(Class& cls, BoxOf box_of) {
  using T = typename Class::type;
  cls.def_property_readonly(
         "box",
         [=](const T& t) {
           const FaceBox& b = box_of(t);
           return py::make_tuple(b.x, b.y, b.width, b.height);
         },
         "(x, y, width, height) in the upright picture's pixels.")
      .def_property_readonly(
          "score", [=](const T& t) { return box_of(t).score; }, "The detector's confidence.")
      .def_property_readonly(
          "landmarks", [=](const T& t) { return box_of(t).landmarks; },
          "[x, y] of the outer and inner corner of each eye, then the base of the nose.");
}

}  // namespace

std::vector<QueryFace> PyFaces::Search(py::handle query, std::optional<uint64_t> id, size_t k,
                                       float threshold, double strangers, float margin,
                                       double expansion_strangers, bool by_person) {
  CheckK(k);
  const PyImageQuery face_query(query, id);
  const FaceSearchOptions options{.k = k,
                                  .threshold = threshold,
                                  .strangers_per_query = strangers,
                                  .margin = margin,
                                  .expansion_strangers = expansion_strangers,
                                  .by_person = by_person};
  return SearchWith(*library_, face_query,
                    [&](Library& lib, const ImageQuery& q) { return lib.SearchFaces(q, options); });
}

std::vector<Person> PyFaces::People() {
  return Call(*library_, [](Library& lib) { return lib.People(); });
}

std::vector<FaceHit> PyFaces::ImagesOf(py::handle person, size_t k) {
  const std::string key = PersonKey(person);
  return Call(*library_, [&](Library& lib) { return lib.SearchPerson(key, k); });
}

uint64_t PyFaces::Name(uint64_t person_id, const std::string& name) {
  return Call(*library_, [&](Library& lib) { return lib.NamePerson(person_id, name); });
}

py::dict PyFaces::Forget(py::handle person) {
  const std::string key = PersonKey(person);
  return ForgetDict(Call(*library_, [&](Library& lib) { return lib.ForgetPerson(key); }));
}

py::dict PyFaces::ForgetAll() {
  return ForgetDict(Call(*library_, [](Library& lib) { return lib.ForgetAllFaces(); }));
}

void BindFaces(py::module_& m) {
  using namespace py::literals;
  py::class_<FaceHit> face_hit(m, "FaceHit",
                               "An image showing a face: from Faces.search(), Faces.person() and "
                               "Person.representative.");
  face_hit.def_readonly("id", &FaceHit::image_id, "The image's id in the library.")
      .def_readonly("face", &FaceHit::face_id, "The face's id.")
      .def_readonly("distance", &FaceHit::distance,
                    "Squared L2 to the query face (or the person's mean face); 0 = identical.")
      .def_readonly("paths", &FaceHit::paths, "Every path of the image's content.")
      .def_property_readonly(
          "path", [](const FaceHit& h) { return FirstPath(h.paths); }, "The first path.")
      .def_readonly("person", &FaceHit::person,
                    "The id of the person the face belongs to, or None when not grouped yet.")
      .def_property_readonly(
          "name",
          [](const FaceHit& h) {
            return h.person ? std::optional<std::string>(h.person_name) : std::nullopt;
          },
          "The person's name ('' until named), or None when not grouped yet.");
  AddBoxProperties(face_hit, [](const FaceHit& h) -> const FaceBox& { return h.box; });
  face_hit.def("__repr__",
               [](const FaceHit& h) { return "FaceHit(id=" + std::to_string(h.image_id) + ")"; });
  py::class_<QueryFace> query_face(m, "QueryFace",
                                   "A face found in the query picture of Faces.search(), and the "
                                   "images that show the same person (hits), best first.");
  query_face.def_readonly("hits", &QueryFace::hits, "A list of FaceHit, closest first.");
  AddBoxProperties(query_face, [](const QueryFace& f) -> const FaceBox& { return f.box; });
  query_face.def("__repr__", [](const QueryFace& f) {
    return "QueryFace(box=" +
           py::repr(py::make_tuple(f.box.x, f.box.y, f.box.width, f.box.height))
               .cast<std::string>() +
           ", hits=" + std::to_string(f.hits.size()) + ")";
  });
  py::class_<Person>(m, "Person", "A person: faces grouped as one, from Faces.people().")
      .def_readonly("person", &Person::id, "The person's id (for Faces.name()).")
      .def_readonly("name", &Person::name, "The name given with Faces.name(); '' until named.")
      .def_readonly("faces", &Person::faces, "How many faces.")
      .def_readonly("images", &Person::images, "How many images they are in.")
      .def_readonly("representative", &Person::representative,
                    "The FaceHit nearest the person's mean face.")
      .def("__repr__", [](const Person& p) {
        return "Person(person=" + std::to_string(p.id) +
               ", name=" + py::repr(py::cast(p.name)).cast<std::string>() +
               ", faces=" + std::to_string(p.faces) + ")";
      });

  py::class_<PyFaces>(m, "Faces", R"(The faces of a library: Library.faces.

Faces are biometric data, so a library indexes them only when asked: Library(path, faces=True)
for a new library. Every method of a library without faces raises alike.Error saying how to turn
them on.)")
      .def("search", &PyFaces::Search, "query"_a = py::none(), py::kw_only(), "id"_a = py::none(),
           "k"_a = 10, "threshold"_a = 0.f, "strangers"_a = kStrangersPerQuery,
           "margin"_a = kFaceMargin, "expansion_strangers"_a = kExpansionStrangers,
           "by_person"_a = kFaceRankByPerson,
           R"(For each face in a picture, the images that show the same person, best first (one
hit per image): a list of QueryFace.

query: a picture file's path, its encoded bytes or a decoded numpy uint8 image (as for
Library.search()); or id=: an indexed image (itself left out of the hits). threshold: the
largest squared distance between unit face vectors still taken for the same person; 0 (the
default) chooses it for the library's size so that about `strangers` faces of other people pass
per query face. margin: hits farther than the best one plus this are dropped (0: off).
expansion_strangers: the query face averaged with its confident hits is searched again, letting
through about this many strangers per query face, and finds the person's other photos (0: off).
by_person: a person with several faces near the query ranks before a lone look-alike. A picture
without a face raises alike.InvalidArgument.)")
      .def("people", &PyFaces::People,
           "Every person, most faces first (grouping faces not yet grouped): a list of Person.")
      .def("person", &PyFaces::ImagesOf, "person"_a, py::kw_only(), "k"_a = 0,
           R"(The images a person appears in, the most typical face first: a list of FaceHit.
person: a name given with name(), or a person's id. k: at most this many; 0 = all.)")
      .def("name", &PyFaces::Name, "person"_a, "name"_a,
           R"(Names a person (by id); a name another person has already merges the two. Returns
the named person's id.)")
      .def(
          "forget", &PyFaces::Forget, "person"_a,
          R"(Erases one person's (a name or id) from the library's files for good (vectors, person, name);
returns {"faces": erased faces, "persons": 1}.)")
      .def("forget_all", &PyFaces::ForgetAll,
           R"(Erases every face and turns face indexing off; returns {"faces", "persons"}: how
many were erased.)");
}

}  // namespace alike::python
