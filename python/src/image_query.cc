#include "image_query.h"

#include "errors.h"

namespace py = pybind11;

namespace alike::python {

PyImageQuery::PyImageQuery(py::handle query, std::optional<uint64_t> id) {
  if (query.is_none() == !id.has_value()) {
    ThrowInvalidArgument("give either a query (a path, encoded bytes or a numpy image) or id=");
  }
  if (id) {
    query_ = ImageQuery::Indexed(*id);
    return;
  }
  picture_.emplace(query, "query");
  query_ = picture_->source();
}

}  // namespace alike::python
