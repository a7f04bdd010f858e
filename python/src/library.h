// The objects behind alike.Library and its results (ImageHit, CopyHit, DuplicateGroup,
// IndexEvent, IndexProgress); Library.faces is in faces.h.
#ifndef ALIKE_PYTHON_LIBRARY_H_
#define ALIKE_PYTHON_LIBRARY_H_

#include <pybind11/pybind11.h>

#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alike/library.h"
#include "closable.h"
#include "faces.h"

namespace alike::python {

struct PyImageHit {
  uint64_t id = 0;
  float score = 0;
  float distance = 0;
  std::vector<std::string> paths;
  pybind11::object payload;
};

struct PyCopyHit {
  uint64_t id = 0;
  float confidence = 0;
  std::optional<int> pdq_bits;
  int inliers = 0;
  float coverage = 0;
  bool mirrored = false;
  std::optional<std::array<std::array<float, 2>, 4>> corners;
  std::vector<std::string> paths;
};

struct PyDuplicateGroup {
  uint64_t keeper = 0;
  int max_bits = 0;
  std::vector<uint64_t> images;
  std::vector<std::string> paths;  // each image's first path, in the order of `images`
};

struct PyIndexEvent {
  std::string kind;  // "indexed", "duplicate", "failed", "removed", "note"
  std::string path;
  std::string message;
};

class PyLibrary {
 public:
  PyLibrary(const std::filesystem::path& path, bool create,
            const std::optional<std::vector<std::string>>& embedders, bool faces,
            const std::optional<std::filesystem::path>& models);

  pybind11::object Index(pybind11::handle paths, unsigned jobs, bool prune,
                         pybind11::handle progress,
                         const std::optional<std::vector<std::string>>& embedders);
  std::vector<PyImageHit> Search(pybind11::handle query, std::optional<uint64_t> id, size_t k,
                                 const std::string& by, pybind11::handle filter,
                                 std::optional<float> min_score);
  std::vector<PyCopyHit> SearchCopies(pybind11::handle query, std::optional<uint64_t> id, size_t k,
                                      float min_confidence, size_t candidates, unsigned jobs);
  std::vector<PyDuplicateGroup> Duplicates(int max_bits);
  pybind11::object Info();
  PyFaces faces() const { return PyFaces(library_); }
  void Close();
  bool closed() const { return library_->closed(); }
  const std::string& path() const { return library_->path(); }
  std::string Repr() const;

 private:
  std::shared_ptr<Closable<Library>> library_;
};

// Adds alike.Library and its result classes to the module.
void BindLibrary(pybind11::module_& module);

}  // namespace alike::python

#endif  // ALIKE_PYTHON_LIBRARY_H_
