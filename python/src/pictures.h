// A picture as Python callers hold it, turned into an ImageSource that borrows their memory: a
// path (str or os.PathLike), a picture file's encoded bytes (bytes, bytearray, memoryview, a 1-D
// uint8 array) or decoded pixels (a uint8 numpy array (H, W) grey, (H, W, 3) RGB or (H, W, 4)
// RGBA, as PIL, imageio and matplotlib give them).
//
// The Python object (or the one contiguous copy made of an array whose pixels are not laid out
// row by row) is held for the Picture's lifetime, so the source stays valid while the GIL is
// released; a Picture must be made and destroyed with the GIL held. Anything else raises
// alike.InvalidArgument.
#ifndef ALIKE_PYTHON_PICTURES_H_
#define ALIKE_PYTHON_PICTURES_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <vector>

#include "alike/image_source.h"

namespace alike::python {

class Picture {
 public:
  // `label` names bytes and pixels in error messages ("image", "images[3]"); a file is named by
  // its path.
  Picture(pybind11::handle picture, const std::string& label);

  const ImageSource& source() const { return *source_; }

 private:
  void FromArray(pybind11::array array, const std::string& label);

  // Whichever holds the caller's memory: an array, or an exported buffer (a bytearray cannot be
  // resized while it is exported).
  pybind11::array array_;
  std::optional<pybind11::buffer_info> buffer_;
  std::optional<ImageSource> source_;
};

// The first of a library image's paths (all paths of one content), or "" for an image without any:
// what hits show as their `path`.
inline std::string FirstPath(const std::vector<std::string>& paths) {
  return paths.empty() ? std::string() : paths.front();
}

}  // namespace alike::python

#endif  // ALIKE_PYTHON_PICTURES_H_
