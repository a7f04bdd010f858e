// The Python exceptions of alike: one class per alike::Status code, under alike.Error.
//
//   alike.Error                     every failure the library reports
//     NotFound                      no such collection, database or record
//     AlreadyExists                 a collection or snapshot target that exists already
//     InvalidArgument (ValueError)  bad input: wrong shape, dtype, dimension, NaN, bad filter
//     Corruption                    damaged files
//     IOError (OSError)             the file system failed
//
// The other codes (not supported, failed precondition such as a closed database, internal)
// raise alike.Error itself. C++ code raises them by throwing StatusError; the translator that
// RegisterErrors installs turns it into the Python class with the library's message.
#ifndef ALIKE_PYTHON_ERRORS_H_
#define ALIKE_PYTHON_ERRORS_H_

#include <pybind11/pybind11.h>

#include <stdexcept>

#include "alike/status.h"

namespace alike::python {

class StatusError : public std::runtime_error {
 public:
  explicit StatusError(const Status& status)
      : std::runtime_error(status.message()), code_(status.code()) {}
  Status::Code code() const { return code_; }

 private:
  Status::Code code_;
};

inline void ThrowIfError(const Status& status) {
  if (!status.ok()) throw StatusError(status);
}

// The value of `result`, or a StatusError.
template <typename T>
T ValueOrThrow(Result<T> result) {
  ThrowIfError(result.status());
  return std::move(result).value();
}

[[noreturn]] inline void ThrowInvalidArgument(const std::string& message) {
  throw StatusError(Status::InvalidArgument(message));
}

// Adds the exception classes to `module` and translates StatusError into them.
void RegisterErrors(pybind11::module_& module);

}  // namespace alike::python

#endif  // ALIKE_PYTHON_ERRORS_H_
