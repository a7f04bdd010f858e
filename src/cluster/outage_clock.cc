#include "cluster/outage_clock.h"

namespace alike::cluster {

namespace {

std::string Describe(std::chrono::milliseconds d) {
  using std::chrono::duration_cast;
  if (d >= std::chrono::minutes(1) && d % std::chrono::minutes(1) == d.zero()) {
    return std::to_string(duration_cast<std::chrono::minutes>(d).count()) + " min";
  }
  if (d >= std::chrono::seconds(1) && d % std::chrono::seconds(1) == d.zero()) {
    return std::to_string(duration_cast<std::chrono::seconds>(d).count()) + " s";
  }
  return std::to_string(d.count()) + " ms";
}

}  // namespace

bool OutageClock::Failed() {
  if (failing_since_) return false;
  failing_since_ = Clock::now();
  return true;
}

bool OutageClock::Expired() const {
  return failing_since_ && Clock::now() - *failing_since_ > limit_;
}

std::string OutageClock::Notice(const Status& error) const {
  return error.ToString() + "; trying again for up to " + Describe(limit_);
}

Status OutageClock::GiveUp(const Status& error) const {
  return error.WithContext("still failing after " + Describe(limit_) + " of retries");
}

}  // namespace alike::cluster
