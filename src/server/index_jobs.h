// Index runs of `alike serve` as background jobs. POST /v1/index queues a job and answers at
// once; one worker thread runs the jobs one at a time, in the order they came (the library runs
// one index at a time anyway), and clients follow a job by its id until it ends.
//
// A job's counts come from the library's progress reports: `total` (the files that need work)
// is known once the library's walk is over, which is before the first file is done; `done`,
// `indexed`, `duplicates` and `failed` count files as they are committed, so whatever a snapshot
// reports as done is durable. Cancelling is cooperative: the library stops at its next file and
// commits what it finished, so a cancelled job keeps its work and the next run resumes there.
//
// Other writes do not queue here: an upload, a delete or a tag edit calls the library directly
// and waits for its write lock, that is for the running job to end (a search never waits).
//
// Thread-safety: every method may be called from any thread at once.
#ifndef ALIKE_SERVER_INDEX_JOBS_H_
#define ALIKE_SERVER_INDEX_JOBS_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alike/library.h"
#include "alike/status.h"

namespace alike::server {

enum class JobState { kQueued, kRunning, kDone, kFailed, kCancelled };

// "queued", "running", "done", "failed", "cancelled".
const char* JobStateName(JobState state);

// Who stopped a cancelled job.
enum class StoppedBy { kNobody, kClient, kShutdown, kTimeLimit };

// "client", "shutdown", "time_limit" ("" for kNobody).
const char* StoppedByName(StoppedBy who);

struct JobFailure {
  std::string path;
  std::string reason;
};

// What a client asks for.
struct IndexJobRequest {
  std::vector<std::string> paths;     // as the client named them (shown in the job)
  std::vector<std::string> resolved;  // the server-side paths to index
  IndexOptions options;               // its `cancel` is ignored: each job has its own
};

// A job as it stands when asked for.
struct IndexJob {
  using Time = std::chrono::system_clock::time_point;

  uint64_t id = 0;
  JobState state = JobState::kQueued;
  std::vector<std::string> paths;
  std::optional<uint64_t> total;  // files that need work; unknown until the walk is over
  uint64_t done = 0;              // of those, finished and committed (indexed, duplicate, failed)
  uint64_t indexed = 0;
  uint64_t duplicates = 0;
  uint64_t unchanged = 0;  // skipped: same size and mtime as when last indexed
  uint64_t failed = 0;     // also counts paths the walk could not read, which are not in total
  uint64_t removed = 0;    // forgotten because they are gone (prune)
  std::vector<JobFailure> failures;  // the first kMaxListedFailures of them
  StoppedBy stopped_by = StoppedBy::kNobody;
  Status error;  // why a failed job failed
  Time created;
  std::optional<Time> started;
  std::optional<Time> finished;
  // Pictures done per second since the job started, and the seconds left at that pace (unknown
  // before the total is, or before anything is done).
  double rate = 0;
  std::optional<double> eta_seconds;
  double seconds = 0;  // running time so far

  bool ended() const {
    return state == JobState::kDone || state == JobState::kFailed || state == JobState::kCancelled;
  }
};

class IndexJobs {
 public:
  static constexpr size_t kMaxListedFailures = 100;
  // Ended jobs kept for GET (the oldest are forgotten first), and jobs that may wait at once.
  static constexpr size_t kHistory = 50;
  static constexpr size_t kMaxQueued = 100;

  // A job running longer than `time_limit` is stopped (what it finished is kept).
  IndexJobs(Library& library, std::chrono::seconds time_limit);
  ~IndexJobs();  // Shutdown()
  IndexJobs(const IndexJobs&) = delete;
  IndexJobs& operator=(const IndexJobs&) = delete;

  // Queues a job. FailedPrecondition after Shutdown or with kMaxQueued jobs waiting already.
  Result<IndexJob> Start(IndexJobRequest request);
  // NotFound for an id never given or already forgotten.
  Result<IndexJob> Get(uint64_t id) const;
  // Every job still known, newest first.
  std::vector<IndexJob> List() const;
  // Asks a job to stop: a queued one is cancelled at once, a running one stops at its next
  // file (the snapshot may still say running). FailedPrecondition when it has ended.
  Result<IndexJob> Cancel(uint64_t id);
  // Blocks until the job has ended; its final state.
  Result<IndexJob> Wait(uint64_t id);
  // Refuses new jobs, cancels queued and running ones, and returns once the running one has
  // committed what it finished. Calling it again does nothing.
  void Shutdown();

 private:
  struct Entry;

  void WorkLoop();
  void Run(Entry& entry);
  // The job with `id`, or null; caller holds mu_.
  std::shared_ptr<Entry> FindLocked(uint64_t id) const;
  IndexJob SnapshotLocked(const Entry& entry) const;
  void ForgetOldLocked();

  Library& library_;
  const std::chrono::seconds time_limit_;

  mutable std::mutex mu_;
  std::condition_variable changed_;           // a job was queued or ended, or shutdown began
  std::vector<std::shared_ptr<Entry>> jobs_;  // oldest first; guarded by mu_
  std::deque<std::shared_ptr<Entry>> queue_;  // waiting to run; guarded by mu_
  uint64_t next_id_ = 1;                      // guarded by mu_
  bool shutting_down_ = false;                // guarded by mu_
  std::mutex join_mu_;                        // one Shutdown joins the worker
  std::thread worker_;                        // last: started once the rest is ready
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_INDEX_JOBS_H_
