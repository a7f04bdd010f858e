// A progress bar for long commands: count, rate and ETA, redrawn in place on a terminal and
// silent otherwise (so piped output and logs stay clean).
//
// Thread-safety: one thread at a time.
#ifndef ALIKE_CLI_PROGRESS_H_
#define ALIKE_CLI_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace alike::cli {

class Progress {
 public:
  // total = 0 when unknown (then no ETA is shown). Draws on `out` only if it is a terminal.
  Progress(std::string label, uint64_t total, std::FILE* out = stderr);
  ~Progress();

  void Advance(uint64_t n);
  // The total may become known only as work is found (0: still unknown).
  void SetTotal(uint64_t total) { total_ = total; }
  // Erases the bar so a message can be printed; the next Advance draws it again.
  void Clear();
  // Clears the bar's line; later output starts on a clean line.
  void Finish();
  double elapsed_seconds() const;

 private:
  void Draw(bool force);

  std::string label_;
  uint64_t total_;
  uint64_t done_ = 0;
  std::FILE* out_;
  bool enabled_;
  bool finished_ = false;
  bool cleared_ = false;  // erased for a message: the next Advance redraws at once
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace alike::cli

#endif  // ALIKE_CLI_PROGRESS_H_
