// Status and Result<T>: how every public alike call reports failure.
//
// Errors are values at the library boundary; no exception ever leaves a public call. A Status
// carries a code a program can branch on and a message a person can read; the message names the
// thing that failed (a file, a collection, a field) so a command-line tool can print it as is.
//
// Thread-safety: Status and Result are plain values; distinct objects may be used from distinct
// threads freely.
#ifndef ALIKE_STATUS_H_
#define ALIKE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace alike {

class Status {
 public:
  enum class Code {
    kOk = 0,
    kNotFound,
    kAlreadyExists,
    kInvalidArgument,
    kCorruption,
    kIOError,
    kNotSupported,
    kFailedPrecondition,
    kInternal,
  };

  Status() = default;

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status IOError(std::string msg) { return {Code::kIOError, std::move(msg)}; }
  static Status NotSupported(std::string msg) { return {Code::kNotSupported, std::move(msg)}; }
  static Status FailedPrecondition(std::string msg) {
    return {Code::kFailedPrecondition, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "invalid argument: <message>", or "OK".
  std::string ToString() const;
  // Stable lower-case name of the code ("not_found"), for JSON output and HTTP error bodies.
  static const char* CodeName(Code code);

  // A copy whose message is prefixed with context, e.g. the file being read.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return {code_, context + ": " + message_};
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains its absence.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace alike

// Early return on error, in the style of LevelDB and Abseil.
#define ALIKE_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::alike::Status alike_status_ = (expr);        \
    if (!alike_status_.ok()) return alike_status_; \
  } while (0)

#endif  // ALIKE_STATUS_H_
