#include "pictures.h"

#include <climits>

#include "errors.h"

namespace py = pybind11;

namespace alike::python {
namespace {

constexpr char kWhatPictures[] =
    "a picture must be a path (str or os.PathLike), a picture file's encoded bytes, or a numpy "
    "uint8 array (H, W) grey, (H, W, 3) RGB or (H, W, 4) RGBA";

std::string ShapeOf(const py::array& array) {
  std::string out = "(";
  for (py::ssize_t i = 0; i < array.ndim(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(array.shape(i));
  }
  return out + (array.ndim() == 1 ? ",)" : ")");
}

}  // namespace

Picture::Picture(py::handle picture, const std::string& label) {
  if (py::isinstance<py::str>(picture) || py::hasattr(picture, "__fspath__")) {
    source_ =
        ImageSource::File(py::module_::import("os").attr("fspath")(picture).cast<std::string>());
  } else if (py::isinstance<py::array>(picture)) {
    FromArray(py::reinterpret_borrow<py::array>(picture), label);
  } else if (PyObject_CheckBuffer(picture.ptr())) {
    buffer_ = py::reinterpret_borrow<py::buffer>(picture).request();
    if (buffer_->ndim != 1 || buffer_->itemsize != 1 || buffer_->strides[0] != 1) {
      ThrowInvalidArgument(std::string(kWhatPictures) +
                           "; got a buffer that is not 1-D contiguous bytes");
    }
    source_ = ImageSource::Bytes(
        {static_cast<const uint8_t*>(buffer_->ptr), static_cast<size_t>(buffer_->size)}, label);
  } else {
    ThrowInvalidArgument(std::string(kWhatPictures) + "; got " +
                         py::str(py::type::of(picture).attr("__name__")).cast<std::string>());
  }
}

void Picture::FromArray(py::array array, const std::string& label) {
  if (array.dtype().kind() != 'u' || array.itemsize() != 1) {
    ThrowInvalidArgument(std::string(kWhatPictures) + "; got dtype " +
                         py::str(array.dtype()).cast<std::string>() +
                         " (convert with .astype(numpy.uint8) after scaling to 0..255)");
  }
  const py::ssize_t ndim = array.ndim();
  const py::ssize_t channels = ndim == 3 ? array.shape(2) : 1;
  if (ndim < 1 || ndim > 3) {
    ThrowInvalidArgument(std::string(kWhatPictures) + "; got " + std::to_string(ndim) +
                         " dimensions, shape " + ShapeOf(array));
  }
  if (ndim == 3 && channels != 3 && channels != 4) {
    ThrowInvalidArgument(std::string(kWhatPictures) + "; got " + std::to_string(channels) +
                         " channels, shape " + ShapeOf(array));
  }
  if (ndim > 1 && (array.shape(0) > INT_MAX || array.shape(1) > INT_MAX)) {
    ThrowInvalidArgument(label + ": a picture of shape " + ShapeOf(array) + " is too large");
  }
  // Samples must lie side by side within a row, rows at any positive distance (a crop of a
  // larger array is read in place); other layouts (a column step, a flip, a transpose) are
  // copied once.
  const bool in_rows = ndim == 1 ? array.strides(0) == 1
                                 : array.strides(ndim - 1) == 1 &&
                                       (ndim == 2 || array.strides(1) == channels) &&
                                       array.strides(0) >= array.shape(1) * channels;
  array_ =
      in_rows ? array : py::array(py::module_::import("numpy").attr("ascontiguousarray")(array));
  const auto* data = static_cast<const uint8_t*>(array_.data());
  if (ndim == 1) {
    source_ = ImageSource::Bytes({data, static_cast<size_t>(array_.size())}, label);
    return;
  }
  PixelView view{.data = data,
                 .width = static_cast<int>(array_.shape(1)),
                 .height = static_cast<int>(array_.shape(0)),
                 .row_bytes = static_cast<size_t>(array_.strides(0)),
                 .layout = channels == 1   ? PixelView::Layout::kGray
                           : channels == 3 ? PixelView::Layout::kRgb
                                           : PixelView::Layout::kRgba};
  source_ = ImageSource::Pixels(view, label);
}

}  // namespace alike::python
