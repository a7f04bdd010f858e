#include "cli/stop_signal.h"

#include <chrono>

namespace alike::cli {
namespace {

// Set by SIGINT and SIGTERM: the one thing the handler does (see the header).
std::atomic<bool> g_stop_requested{false};

extern "C" void OnStopSignal(int) { g_stop_requested.store(true); }

}  // namespace

StopOnSignal::StopOnSignal(std::function<void()> stop) : stop_(std::move(stop)) {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
  thread_ = std::thread([this] {
    while (!done_) {
      if (g_stop_requested.exchange(false)) {
        stop_();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  });
}

StopOnSignal::~StopOnSignal() {
  done_ = true;
  thread_.join();
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

}  // namespace alike::cli
