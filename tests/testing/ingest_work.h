// Indexing on a cluster in the test's own thread, as `alike worker` does on its threads: for the
// tests that follow a job to its end without starting worker processes.
#ifndef ALIKE_TESTS_TESTING_INGEST_WORK_H_
#define ALIKE_TESTS_TESTING_INGEST_WORK_H_

#include <gtest/gtest.h>

#include <chrono>

#include "cluster/ingest_job.h"
#include "cluster/ingest_worker.h"

namespace alike::test {

// Works `worker` until the job `watcher` follows has finished, at most `timeout`; the job's last
// counts (unfinished after the timeout, or after a failure, which fails the test).
inline cluster::JobCounts WorkUntilFinished(cluster::IngestWorker& worker,
                                            cluster::JobWatcher& watcher,
                                            std::chrono::seconds timeout) {
  cluster::JobCounts counts;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!counts.finished() && std::chrono::steady_clock::now() < deadline) {
    auto worked = worker.WorkOnce();
    EXPECT_TRUE(worked.ok()) << worked.status().ToString();
    if (!worked.ok()) break;
    auto polled = watcher.Poll(std::chrono::milliseconds(10));
    EXPECT_TRUE(polled.ok()) << polled.status().ToString();
    if (!polled.ok()) break;
    counts = *polled;
  }
  return counts;
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_INGEST_WORK_H_
