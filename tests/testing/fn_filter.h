// A SlotFilter from a lambda, for index tests.
#ifndef ALIKE_TESTS_TESTING_FN_FILTER_H_
#define ALIKE_TESTS_TESTING_FN_FILTER_H_

#include <functional>
#include <utility>

#include "index/vector_index.h"

namespace alike::index {

class FnFilter : public SlotFilter {
 public:
  explicit FnFilter(std::function<bool(uint32_t)> fn) : fn_(std::move(fn)) {}
  bool Allows(uint32_t slot) const override { return fn_(slot); }

 private:
  std::function<bool(uint32_t)> fn_;
};

}  // namespace alike::index

#endif  // ALIKE_TESTS_TESTING_FN_FILTER_H_
