// Bounds how many write requests (uploads, indexing, deletes) hold request threads at once;
// the router takes a place for every route of write scope.
// The library runs one index or removal at a time, so without a bound a burst of uploads would
// park every request thread on its lock and searches would queue behind them; with one, the
// surplus is told to retry (503) and searches keep threads.
//
// Thread-safety: Enter and the Pass destructor may run on many threads at once.
#ifndef ALIKE_SERVER_WRITE_GATE_H_
#define ALIKE_SERVER_WRITE_GATE_H_

#include <atomic>

namespace alike::server {

class WriteGate {
 public:
  explicit WriteGate(int max_writers) : max_(max_writers) {}

  // Holds one of the places while it lives; ok() is false when none was free.
  class Pass {
   public:
    explicit Pass(WriteGate& gate) : gate_(gate) {
      ok_ = gate_.active_.fetch_add(1) < gate_.max_;
      if (!ok_) gate_.active_.fetch_sub(1);
    }
    ~Pass() {
      if (ok_) gate_.active_.fetch_sub(1);
    }
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    bool ok() const { return ok_; }

   private:
    WriteGate& gate_;
    bool ok_ = false;
  };

 private:
  const int max_;
  std::atomic<int> active_{0};
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_WRITE_GATE_H_
