// A Subprocess (how the cluster harness runs nats-server and the cluster benchmark runs nodes):
// its output goes to its log, Kill ends it at once, a program that cannot run ends on its own, and
// a child dies with the thread that started it.
#include "cluster/subprocess.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>

#include "testing/temp_dir.h"

namespace alike::cluster {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Polls `done` for at most 10 s; says whether it came true.
template <typename Done>
bool Eventually(Done done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

TEST(SubprocessTest, OutputGoesToTheLogAndKillEndsIt) {
  test::TempDir dir;
  const std::string log = dir.Sub("child.log");
  auto child =
      Subprocess::Start({"/bin/sh", "-c", "echo started; echo oops >&2; exec sleep 60"}, log);
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  ASSERT_TRUE(Eventually([&] { return ReadFile(log).find("oops") != std::string::npos; }))
      << ReadFile(log);
  EXPECT_NE(ReadFile(log).find("started"), std::string::npos);
  EXPECT_TRUE((*child)->Running());
  (*child)->Kill();
  EXPECT_FALSE((*child)->Running());
  EXPECT_NE(kill((*child)->pid(), 0), 0) << "the process is gone, and reaped";
}

TEST(SubprocessTest, AProgramThatCannotRunEnds) {
  test::TempDir dir;
  auto child = Subprocess::Start({dir.Sub("no-such-program")}, dir.Sub("child.log"));
  ASSERT_TRUE(child.ok()) << child.status().ToString();
  EXPECT_TRUE(Eventually([&] { return !(*child)->Running(); }));
}

// So that a failing test or benchmark, which exits, leaves no server running.
TEST(SubprocessTest, AChildIsKilledWhenTheThreadThatStartedItEnds) {
  test::TempDir dir;
  std::unique_ptr<Subprocess> child;
  std::thread([&] {
    auto started = Subprocess::Start({"/bin/sleep", "60"}, dir.Sub("child.log"));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    child = std::move(*started);
  }).join();
  ASSERT_NE(child, nullptr);
  EXPECT_TRUE(Eventually([&] { return !child->Running(); }));
}

}  // namespace
}  // namespace alike::cluster
