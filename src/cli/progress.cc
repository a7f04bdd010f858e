#include "cli/progress.h"

#include <unistd.h>

namespace alike::cli {

Progress::Progress(std::string label, uint64_t total, std::FILE* out)
    : label_(std::move(label)),
      total_(total),
      out_(out),
      enabled_(isatty(fileno(out)) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::Advance(uint64_t n) {
  done_ += n;
  Draw(false);
}

void Progress::Draw(bool force) {
  if (!enabled_ || finished_) return;
  auto now = std::chrono::steady_clock::now();
  // A few redraws a second are enough for a person and cost nothing next to the work.
  if (!force && !cleared_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  cleared_ = false;
  last_draw_ = now;
  const double secs = elapsed_seconds();
  const double rate = secs > 0 ? done_ / secs : 0;
  char line[256];
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(done_) / total_);
    const int width = 30, filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '.');
    const double eta = rate > 0 ? (total_ - std::min(done_, total_)) / rate : 0;
    std::snprintf(line, sizeof(line), "\r%s [%s] %llu/%llu %.0f/s ETA %.0fs ", label_.c_str(),
                  bar.c_str(), static_cast<unsigned long long>(done_),
                  static_cast<unsigned long long>(total_), rate, eta);
  } else {
    std::snprintf(line, sizeof(line), "\r%s %llu %.0f/s ", label_.c_str(),
                  static_cast<unsigned long long>(done_), rate);
  }
  std::fputs(line, out_);
  std::fflush(out_);
}

void Progress::Clear() {
  if (!enabled_ || finished_) return;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
  cleared_ = true;
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  std::fputs("\r\033[K", out_);
  std::fflush(out_);
}

}  // namespace alike::cli
