// The query of the Library searches (search, search_copies, faces.search) from what a Python
// caller holds: a path, a picture file's encoded bytes, a decoded numpy image, or id= of an indexed
// image. Every form becomes one alike::ImageQuery, read in place where the caller's memory allows.
//
// Thread-safety: build it with the GIL held; query() may then be used with the GIL released, for
// as long as the PyImageQuery lives (it keeps the caller's buffer alive and unchanged).
#ifndef ALIKE_PYTHON_IMAGE_QUERY_H_
#define ALIKE_PYTHON_IMAGE_QUERY_H_

#include <pybind11/pybind11.h>

#include <cstdint>
#include <optional>

#include "alike/library.h"
#include "closable.h"
#include "errors.h"
#include "pictures.h"

namespace alike::python {

class PyImageQuery {
 public:
  // Exactly one of `query` (not None: any picture pictures.h takes) and `id`. Raises
  // alike.InvalidArgument for anything else, saying what it takes.
  PyImageQuery(pybind11::handle query, std::optional<uint64_t> id);

  const ImageQuery& query() const { return query_; }

 private:
  // The caller's picture, held (with its memory) for as long as the query that views it.
  std::optional<Picture> picture_;
  ImageQuery query_ = ImageQuery::Indexed(0);
};

// search(Library&, const ImageQuery&)'s value, with the GIL released while the library works
// (`query` keeps the caller's buffer alive meanwhile); an error status is raised.
template <typename Search>
auto SearchWith(Closable<Library>& library, const PyImageQuery& query, Search search) {
  pybind11::gil_scoped_release release;
  return library.Use([&](Library& lib) { return ValueOrThrow(search(lib, query.query())); });
}

}  // namespace alike::python

#endif  // ALIKE_PYTHON_IMAGE_QUERY_H_
