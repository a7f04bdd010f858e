#include "arrays.h"

#include <climits>
#include <string_view>

#include "errors.h"

namespace py = pybind11;

namespace alike::python {
namespace {

// `obj` as a numpy array: itself when it is one, else what numpy.asarray makes of it.
py::array AsArray(py::handle obj, const std::string& what) {
  py::array array = py::array::ensure(obj);
  if (!array) ThrowInvalidArgument(what + " must be a numpy array or a sequence of numbers");
  return array;
}

bool KindIn(const py::array& array, std::string_view kinds) {
  return kinds.find(array.dtype().kind()) != std::string_view::npos;
}

std::string DtypeName(const py::array& array) { return py::str(array.dtype()).cast<std::string>(); }

// Integers into uint8, refusing values that would wrap.
py::array PackedBits(const py::array& array) {
  if (KindIn(array, "b")) {
    ThrowInvalidArgument(
        "a hamming collection takes packed bits as uint8 (numpy.packbits), not a bool array");
  }
  if (!KindIn(array, "iu")) {
    ThrowInvalidArgument("a hamming collection takes uint8 arrays of packed bits, got dtype " +
                         DtypeName(array));
  }
  const bool is_uint8 = array.dtype().kind() == 'u' && array.itemsize() == 1;
  if (!is_uint8 && array.size() > 0 &&
      (array.attr("min")() < py::int_(0) || array.attr("max")() > py::int_(255))) {
    ThrowInvalidArgument("packed bits must be bytes (0..255)");
  }
  return py::array_t<uint8_t, py::array::c_style | py::array::forcecast>::ensure(array);
}

py::array Floats(const py::array& array) {
  if (!KindIn(array, "fiu")) {
    ThrowInvalidArgument("vectors must be float32 (or another real number dtype), got dtype " +
                         DtypeName(array));
  }
  return py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(array);
}

// Python's json.dumps, with NaN refused (it is not JSON) and its errors as InvalidArgument.
std::string JsonDumps(py::handle value, const std::string& what) {
  try {
    return py::module_::import("json")
        .attr("dumps")(value, py::arg("allow_nan") = false)
        .cast<std::string>();
  } catch (py::error_already_set& e) {
    if (!e.matches(PyExc_TypeError) && !e.matches(PyExc_ValueError)) throw;
    ThrowInvalidArgument(what + ": " + py::str(e.value()).cast<std::string>());
  }
}

}  // namespace

VectorRows::VectorRows(py::handle vectors, Metric metric, bool allow_single)
    : binary_(metric == Metric::kHamming) {
  const py::array given = AsArray(vectors, "vectors");
  // [] is an empty batch, whatever dtype numpy gave it (float64).
  if (!allow_single && given.ndim() == 1 && given.size() == 0) return;
  array_ = binary_ ? PackedBits(given) : Floats(given);
  const py::ssize_t ndim = array_.ndim();
  if (ndim != 2 && !(allow_single && ndim == 1)) {
    ThrowInvalidArgument(std::string("vectors must be a 2-D array (n, d)") +
                         (allow_single ? " or one 1-D vector" : "") + ", got " +
                         std::to_string(ndim) + " dimensions");
  }
  rows_ = ndim == 2 ? static_cast<size_t>(array_.shape(0)) : 1;
  columns_ = static_cast<size_t>(array_.shape(ndim - 1));
}

std::span<const float> VectorRows::floats(size_t row) const {
  if (binary_) return {};
  return {static_cast<const float*>(array_.data()) + row * columns_, columns_};
}

std::span<const uint8_t> VectorRows::bytes(size_t row) const {
  if (!binary_) return {};
  return {static_cast<const uint8_t*>(array_.data()) + row * columns_, columns_};
}

py::array_t<uint64_t, py::array::c_style> IdArray(py::handle ids, bool allow_scalar) {
  py::array array = AsArray(ids, "ids");
  // numpy makes float64 of an empty list; an empty batch has no ids to be of a wrong type.
  if (array.ndim() == 1 && array.size() == 0) {
    return py::array_t<uint64_t, py::array::c_style>(0);
  }
  if (!KindIn(array, "iu")) {
    ThrowInvalidArgument("ids must be integers (uint64), got dtype " + DtypeName(array));
  }
  if (array.ndim() == 0 && allow_scalar) array = array.attr("reshape")(1);
  if (array.ndim() != 1) {
    ThrowInvalidArgument("ids must be a 1-D array, got " + std::to_string(array.ndim()) +
                         " dimensions");
  }
  if (array.dtype().kind() == 'i' && array.attr("__lt__")(0).attr("any")().cast<bool>()) {
    ThrowInvalidArgument("ids must not be negative");
  }
  return py::array_t<uint64_t, py::array::c_style | py::array::forcecast>::ensure(array);
}

void CheckK(size_t k) {
  if (k == 0 || k > INT32_MAX) ThrowInvalidArgument("k must be between 1 and 2**31 - 1");
}

std::string FilterText(py::handle filter) {
  if (filter.is_none()) return {};
  if (py::isinstance<py::str>(filter)) return filter.cast<std::string>();
  if (py::isinstance<py::dict>(filter)) return JsonDumps(filter, "filter");
  ThrowInvalidArgument("filter must be a dict, a JSON string or None, got " +
                       py::str(py::type::of(filter).attr("__name__")).cast<std::string>());
}

std::vector<std::string> PayloadTexts(py::handle payloads, size_t count) {
  std::vector<std::string> texts(count);
  if (payloads.is_none()) return texts;
  if (!py::isinstance<py::sequence>(payloads) || py::isinstance<py::str>(payloads)) {
    ThrowInvalidArgument("payloads must be a sequence (one dict per vector) or None");
  }
  const py::sequence items = py::reinterpret_borrow<py::sequence>(payloads);
  if (items.size() != count) {
    ThrowInvalidArgument("payloads has " + std::to_string(items.size()) + " items for " +
                         std::to_string(count) + " vectors");
  }
  for (size_t i = 0; i < count; ++i) {
    const py::object item = items[i];
    const std::string what = "payloads[" + std::to_string(i) + "]";
    if (item.is_none()) continue;
    if (py::isinstance<py::str>(item)) {
      texts[i] = item.cast<std::string>();
    } else if (py::isinstance<py::dict>(item)) {
      texts[i] = JsonDumps(item, what);
    } else {
      ThrowInvalidArgument(what + " must be a dict, a JSON string or None");
    }
  }
  return texts;
}

py::object ParsePayload(const std::string& text) {
  return py::module_::import("json").attr("loads")(text.empty() ? "{}" : text);
}

}  // namespace alike::python
