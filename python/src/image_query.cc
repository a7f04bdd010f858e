#include "image_query.h"

#include <climits>
#include <string>

#include "errors.h"

namespace py = pybind11;

namespace alike::python {
namespace {

// The names errors about the caller's bytes and pixels report them under.
constexpr char kBytesName[] = "query bytes";
constexpr char kPixelsName[] = "query pixels";

constexpr char kWhatItTakes[] =
    "a query must be a path (str or os.PathLike), a picture file's encoded bytes, or a decoded "
    "uint8 image: a numpy array (H, W, 3) RGB, (H, W) gray or (H, W, 4) RGBA";

bool IsUint8(const py::buffer_info& info) {
  return info.itemsize == 1 && !info.format.empty() && info.format.back() == 'B';
}

// What a buffer's items are, for errors: numpy's dtype name where there is one.
std::string ItemName(py::handle obj, const py::buffer_info& info) {
  if (py::hasattr(obj, "dtype")) return "dtype " + py::str(obj.attr("dtype")).cast<std::string>();
  return "items of format '" + info.format + "' (" + std::to_string(info.itemsize) + " bytes)";
}

// Whether a PixelView can describe the buffer as it is: samples of a pixel adjacent, pixels of
// a row adjacent, rows any non-negative distance apart.
bool ViewableInPlace(const py::buffer_info& info, int channels) {
  if (info.strides[0] < 0) return false;
  if (info.strides[1] != channels) return false;
  return info.ndim == 2 || info.strides[2] == 1;
}

PixelView::Layout LayoutOf(const py::buffer_info& info) {
  if (info.ndim == 2) return PixelView::Layout::kGray;
  switch (info.shape[2]) {
    case 3:
      return PixelView::Layout::kRgb;
    case 4:
      return PixelView::Layout::kRgba;
    default:
      ThrowInvalidArgument(
          "a query image must have 3 (RGB) or 4 (RGBA) channels, or be 2-D "
          "(gray); got shape (" +
          std::to_string(info.shape[0]) + ", " + std::to_string(info.shape[1]) + ", " +
          std::to_string(info.shape[2]) + ")");
  }
}

PixelView ViewOf(const py::buffer_info& info, PixelView::Layout layout) {
  if (info.shape[0] > INT_MAX || info.shape[1] > INT_MAX) {
    ThrowInvalidArgument("a query image of " + std::to_string(info.shape[0]) + "x" +
                         std::to_string(info.shape[1]) + " pixels is too large");
  }
  return {.data = static_cast<const uint8_t*>(info.ptr),
          .width = static_cast<int>(info.shape[1]),
          .height = static_cast<int>(info.shape[0]),
          .row_bytes = static_cast<size_t>(info.strides[0]),
          .layout = layout};
}

}  // namespace

PyImageQuery::PyImageQuery(py::handle query, std::optional<uint64_t> id) {
  if (query.is_none() == !id.has_value()) {
    ThrowInvalidArgument("give either a query (a path, encoded bytes or a numpy image) or id=");
  }
  if (id) {
    query_ = ImageQuery::Indexed(*id);
    return;
  }
  if (py::isinstance<py::str>(query) || py::hasattr(query, "__fspath__")) {
    query_ = ImageSource::File(py::module_::import("os").attr("fspath")(query).cast<std::string>());
    return;
  }
  if (!PyObject_CheckBuffer(query.ptr())) ThrowInvalidArgument(kWhatItTakes);
  view_ = py::reinterpret_borrow<py::buffer>(query).request();
  const py::buffer_info& info = view_;
  if (info.ndim == 1) {
    if (info.itemsize != 1 || info.strides[0] != 1) {
      ThrowInvalidArgument("a 1-D query must be a picture file's encoded bytes, contiguous; got " +
                           ItemName(query, info));
    }
    query_ = ImageSource::Bytes(
        {static_cast<const uint8_t*>(info.ptr), static_cast<size_t>(info.size)}, kBytesName);
    return;
  }
  if (info.ndim != 2 && info.ndim != 3) {
    ThrowInvalidArgument(std::string(kWhatItTakes) + "; got " + std::to_string(info.ndim) +
                         " dimensions");
  }
  if (!IsUint8(info)) {
    ThrowInvalidArgument("a query image must be uint8 (0..255); got " + ItemName(query, info) +
                         " (convert it, e.g. with (image * 255).astype(numpy.uint8))");
  }
  const PixelView::Layout layout = LayoutOf(info);
  if (!ViewableInPlace(info, ChannelsOf(layout))) {
    // Reversed rows, skipped columns or samples, a column-major array: one copy.
    view_ = py::buffer(py::module_::import("numpy").attr("ascontiguousarray")(query)).request();
  }
  query_ = ImageSource::Pixels(ViewOf(view_, layout), kPixelsName);
}

}  // namespace alike::python
