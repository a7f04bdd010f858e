// ParallelFor: runs a loop's independent iterations on a few threads.
//
// Why not a pool: its callers (a batch of inserts, a batch of searches, the candidates of a copy
// search) run for milliseconds to seconds, where starting a thread costs microseconds, and a
// pool would be state shared across callers that the library otherwise does without.
//
// Thread-safety: fn runs concurrently for distinct i and must not throw (a throw would end the
// process: the worker threads have nowhere to send it).
#ifndef ALIKE_UTIL_PARALLEL_FOR_H_
#define ALIKE_UTIL_PARALLEL_FOR_H_

#include <cstddef>
#include <functional>

namespace alike {

// Runs fn(i) for every i in [0, n) on up to `threads` threads (the caller's among them), each
// thread taking the next unclaimed i; returns when all are done.
void ParallelFor(size_t n, unsigned threads, const std::function<void(size_t)>& fn);

// `requested` threads, or one per core when it is 0.
unsigned ThreadCount(unsigned requested);

}  // namespace alike

#endif  // ALIKE_UTIL_PARALLEL_FOR_H_
