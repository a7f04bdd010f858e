// Library.faces: face search and the persons of a library (alike::Library's face methods), and
// the result classes FaceHit, QueryFace and Person, whose fields are those of the HTTP API's face
// JSON (README, "HTTP API").
#ifndef ALIKE_PYTHON_FACES_H_
#define ALIKE_PYTHON_FACES_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alike/library.h"
#include "closable.h"

namespace alike::python {

// Thread-safety: as the Library it shares; every call holds it open and releases the GIL while
// the library works.
class PyFaces {
 public:
  explicit PyFaces(std::shared_ptr<Closable<Library>> library) : library_(std::move(library)) {}

  std::vector<QueryFace> Search(pybind11::handle query, std::optional<uint64_t> id, size_t k,
                                float threshold, double strangers, float margin,
                                double expansion_strangers, bool by_person);
  std::vector<Person> People();
  std::vector<FaceHit> ImagesOf(pybind11::handle person, size_t k);
  uint64_t Name(uint64_t person_id, const std::string& name);
  pybind11::dict Forget(pybind11::handle person);
  pybind11::dict ForgetAll();

 private:
  std::shared_ptr<Closable<Library>> library_;
};

// Adds Faces, FaceHit, QueryFace and Person to the module.
void BindFaces(pybind11::module_& module);

}  // namespace alike::python

#endif  // ALIKE_PYTHON_FACES_H_
