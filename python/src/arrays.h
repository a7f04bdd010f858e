// Python inputs of the Collection methods, turned into what the C++ API takes: numpy arrays read
// in place, payloads and filters as JSON text. Every function here needs the GIL, and raises
// alike.InvalidArgument (a StatusError) on input it cannot take.
#ifndef ALIKE_PYTHON_ARRAYS_H_
#define ALIKE_PYTHON_ARRAYS_H_

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alike/vector_db.h"

namespace alike::python {

// The id reserved for "no result" in the padded arrays search() returns (alike.NO_ID).
inline constexpr uint64_t kNoId = UINT64_MAX;

// Rows of vectors in one C-contiguous array: float32 for float metrics, uint8 (packed bits) for
// Hamming. `array` is the caller's own array when it already had that dtype and layout (no copy),
// else the one converted copy; it keeps the memory alive while the rows are read.
class VectorRows {
 public:
  // `allow_single`: a 1-D array is one row (queries); otherwise the array must be 2-D.
  VectorRows(pybind11::handle vectors, Metric metric, bool allow_single);

  size_t rows() const { return rows_; }
  size_t columns() const { return columns_; }
  std::span<const float> floats(size_t row) const;
  std::span<const uint8_t> bytes(size_t row) const;
  Query query(size_t row) const { return {floats(row), bytes(row)}; }

 private:
  pybind11::array array_;
  bool binary_ = false;
  size_t rows_ = 0;
  size_t columns_ = 0;
};

// A 1-D array of uint64 ids (the caller's own when it already is one). Signed integers are
// accepted when none is negative; `allow_scalar` also takes a single id.
pybind11::array_t<uint64_t, pybind11::array::c_style> IdArray(pybind11::handle ids,
                                                              bool allow_scalar);
inline std::span<const uint64_t> IdSpan(
    const pybind11::array_t<uint64_t, pybind11::array::c_style>& ids) {
  return {ids.data(), static_cast<size_t>(ids.size())};
}

// Refuses k = 0 and k beyond what a result array can sensibly hold.
void CheckK(size_t k);

// A filter given as a dict (serialised with Python's json module), as JSON text, or None ("").
std::string FilterText(pybind11::handle filter);
// `count` payload texts from None (all "{}") or a sequence of dicts, JSON strings or None.
std::vector<std::string> PayloadTexts(pybind11::handle payloads, size_t count);
// A stored payload (JSON object text) as a Python dict.
pybind11::object ParsePayload(const std::string& text);

}  // namespace alike::python

#endif  // ALIKE_PYTHON_ARRAYS_H_
