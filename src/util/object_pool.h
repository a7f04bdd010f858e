// ObjectPool: idle objects that are expensive to make and not thread-safe to share (a neural
// network with its activations), lent to one thread at a time. The pool grows to the peak number
// of concurrent borrowers: a caller that finds it empty makes a new object and puts it back
// afterwards.
//
// Thread-safety: TakeIdle and Put may be called from any number of threads; the mutex is held only
// while an object is taken or put back.
#ifndef ALIKE_UTIL_OBJECT_POOL_H_
#define ALIKE_UTIL_OBJECT_POOL_H_

#include <memory>
#include <mutex>
#include <vector>

namespace alike {

template <typename T>
class ObjectPool {
 public:
  // An idle object, or null when every object is lent out.
  std::unique_ptr<T> TakeIdle() {
    std::lock_guard<std::mutex> lock(mu_);
    if (idle_.empty()) return nullptr;
    std::unique_ptr<T> object = std::move(idle_.back());
    idle_.pop_back();
    return object;
  }

  void Put(std::unique_ptr<T> object) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(object));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<T>> idle_;  // guarded by mu_
};

}  // namespace alike

#endif  // ALIKE_UTIL_OBJECT_POOL_H_
