#include "cluster/outage_clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace alike::cluster {
namespace {

TEST(OutageClockTest, SaysOnceThatAnOutageStartsAndExpiresOnlyPastItsLimit) {
  OutageClock patient(std::chrono::hours(1));
  EXPECT_FALSE(patient.Expired());
  EXPECT_TRUE(patient.Failed());
  EXPECT_FALSE(patient.Failed()) << "the same outage is announced once";
  EXPECT_FALSE(patient.Expired());
  patient.Succeeded();
  EXPECT_TRUE(patient.Failed()) << "a failure after a success starts another outage";

  OutageClock hasty(std::chrono::milliseconds(0));
  EXPECT_FALSE(hasty.Expired()) << "no failure, no outage";
  hasty.Failed();
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EXPECT_TRUE(hasty.Expired());
  hasty.Succeeded();
  EXPECT_FALSE(hasty.Expired());
}

TEST(OutageClockTest, NamesTheErrorAndTheLimit) {
  const OutageClock clock;
  const Status error = Status::IOError("no server");
  EXPECT_EQ(clock.Notice(error), error.ToString() + "; trying again for up to 5 min");
  const Status given_up = clock.GiveUp(error);
  EXPECT_EQ(given_up.code(), Status::Code::kIOError);
  EXPECT_NE(given_up.message().find("still failing after 5 min"), std::string::npos)
      << given_up.message();
  EXPECT_NE(given_up.message().find("no server"), std::string::npos) << given_up.message();
}

}  // namespace
}  // namespace alike::cluster
