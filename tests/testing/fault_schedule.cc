#include "testing/fault_schedule.h"

#include <cerrno>

namespace alike::test {

void FaultSchedule::FailAt(uint64_t fail_at) {
  std::lock_guard lock(mutex_);
  fail_at_ = fail_at;
}

int FaultSchedule::Next(const std::string& what) {
  std::lock_guard lock(mutex_);
  calls_.push_back(what);
  const uint64_t n = calls_.size();
  const bool fails = fail_at_ != 0 && (n == fail_at_ || (mode_ == Mode::kForever && n > fail_at_));
  if (!fails) return 0;
  fired_ = true;
  return mode_ == Mode::kOnce ? EIO : ENOSPC;
}

uint64_t FaultSchedule::calls() const {
  std::lock_guard lock(mutex_);
  return calls_.size();
}

std::vector<std::string> FaultSchedule::call_log() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

bool FaultSchedule::fired() const {
  std::lock_guard lock(mutex_);
  return fired_;
}

}  // namespace alike::test
