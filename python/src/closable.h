// An object of the library that Python's close() ends: a Database or a Library.
//
// Every call holds it shared while the C++ works (with the GIL released for anything long);
// Close() takes it exclusively, so it waits for calls in flight, and later calls raise
// alike.Error. No code here waits for the GIL while it holds this lock, so the two never
// deadlock.
#ifndef ALIKE_PYTHON_CLOSABLE_H_
#define ALIKE_PYTHON_CLOSABLE_H_

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>

#include "errors.h"

namespace alike::python {

template <typename T>
class Closable {
 public:
  // `what` names it in errors ("database", "library").
  Closable(std::unique_ptr<T> object, std::string what, std::string path)
      : object_(std::move(object)), what_(std::move(what)), path_(std::move(path)) {}

  // Runs fn(T&) with the object held open; throws if it was closed.
  template <typename Fn>
  auto Use(Fn&& fn) {
    std::shared_lock lock(mutex_);
    if (object_ == nullptr) {
      throw StatusError(Status::FailedPrecondition(what_ + " " + path_ + " is closed"));
    }
    return fn(*object_);
  }

  void Close() {  // idempotent
    std::unique_lock lock(mutex_);
    object_.reset();
  }

  bool closed() const {
    std::shared_lock lock(mutex_);
    return object_ == nullptr;
  }

  const std::string& path() const { return path_; }

 private:
  mutable std::shared_mutex mutex_;  // guards object_
  std::unique_ptr<T> object_;
  const std::string what_;
  const std::string path_;
};

}  // namespace alike::python

#endif  // ALIKE_PYTHON_CLOSABLE_H_
