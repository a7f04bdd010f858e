#include "cluster/ingest_job.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>

#include "alike/picture_files.h"
#include "cluster/retry.h"
#include "cluster/settings.h"

namespace alike::cluster {

std::string NewJobId() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
  std::random_device random;
  char suffix[16];
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return std::string("j") + stamp + "-" + suffix;
}

Result<JobRecord> QueueJob(NatsConnection& nats, const std::string& library, const std::string& job,
                           const std::vector<std::string>& roots, const QueueJobOptions& options) {
  JobRecord record{.job = job,
                   .started_unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()};
  for (const std::string& root : roots) record.roots.push_back(NormalPicturePath(root));
  if (record.roots.empty() && options.listed) {
    for (const std::string& path : *options.listed) record.roots.push_back(NormalPicturePath(path));
  }
  if (record.roots.empty()) return Status::InvalidArgument("a job needs paths to index");
  auto jobs = RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats.ExistingKeyValueBucket(JobsBucketName(library));
  });
  if (!jobs.ok()) return jobs.status();
  const auto put_record = [&] {
    return RetryWhileTransient(ControlBudget(nats), [&](auto) {
      return (*jobs)->Put(job, EncodeJobRecord(record)).status();
    });
  };
  // The record first: a worker reads the job's roots from it.
  ALIKE_RETURN_IF_ERROR(put_record());

  uint64_t queued = 0;
  uint64_t items = 0;
  WorkItem item{.job = job, .paths = {}};
  Status failed;
  const auto flush = [&]() -> Status {
    if (item.paths.empty()) return Status::OK();
    const std::string msg_id = job + "-" + std::to_string(items);
    ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats), [&](auto) {
      return nats.Publish(WorkSubject(library), EncodeWorkItem(item), msg_id, nats.timeout())
          .status();
    }));
    ++items;
    queued += item.paths.size();
    item.paths.clear();
    if (options.on_queued) options.on_queued(queued);
    return Status::OK();
  };
  const auto add = [&](const std::string& path) {
    if (!failed.ok()) return;
    item.paths.push_back(path);
    if (item.paths.size() >= std::max<size_t>(options.batch, 1)) failed = flush();
  };
  const auto walk_error = [&](const std::string& path, const std::string& reason) {
    if (options.on_walk_error) options.on_walk_error(path, reason);
  };
  if (options.listed) {
    for (const std::string& path : *options.listed) {
      if (options.cancel && *options.cancel) break;
      add(NormalPicturePath(path));
    }
  } else {
    for (const std::string& root : record.roots) {
      WalkPictureFiles(root, add, walk_error, options.cancel);
    }
  }
  if (failed.ok()) failed = flush();
  ALIKE_RETURN_IF_ERROR(failed);
  record.total = queued;
  ALIKE_RETURN_IF_ERROR(put_record());
  return record;
}

Result<std::vector<JobRecord>> ListJobs(NatsConnection& nats, const std::string& library) {
  auto jobs = RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats.ExistingKeyValueBucket(JobsBucketName(library));
  });
  if (!jobs.ok() && jobs.status().code() == Status::Code::kNotFound) {
    return std::vector<JobRecord>();
  }
  if (!jobs.ok()) return jobs.status();
  auto watcher = (*jobs)->WatchAll();
  if (!watcher.ok()) return watcher.status();
  std::vector<JobRecord> out;
  const auto deadline = std::chrono::steady_clock::now() + ControlBudget(nats);
  while (!(*watcher)->caught_up()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IOError("listing the jobs of " + library + ": no answer in time");
    }
    auto entry = (*watcher)->Next(std::chrono::milliseconds(500));
    if (!entry.ok()) return entry.status();
    if (!*entry || (*entry)->deleted) continue;
    auto record = DecodeJobRecord((*entry)->value);
    if (record.ok()) out.push_back(std::move(*record));
  }
  std::sort(out.begin(), out.end(), [](const JobRecord& a, const JobRecord& b) {
    return a.started_unix_ms < b.started_unix_ms;
  });
  return out;
}

Result<std::unique_ptr<JobWatcher>> JobWatcher::Create(NatsConnection& nats,
                                                       const std::string& library,
                                                       const std::string& job) {
  std::unique_ptr<JobWatcher> w(new JobWatcher(nats, library, job));
  auto jobs = RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats.ExistingKeyValueBucket(JobsBucketName(library));
  });
  if (!jobs.ok()) return jobs.status();
  w->jobs_ = std::move(*jobs);
  auto events = RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats.PullFrom(EventStreamName(library), EventSubject(library, job), 1, nats.timeout());
  });
  if (!events.ok()) return events.status();
  w->events_ = std::move(*events);
  return w;
}

Result<JobCounts> JobWatcher::Poll(std::chrono::milliseconds wait) {
  auto entry = jobs_->Get(job_);
  if (!entry.ok() && entry.status().code() == Status::Code::kNotFound) {
    return Status::NotFound("no job " + job_ + " in image library " + library_);
  }
  if (!entry.ok()) return entry.status();
  auto record = DecodeJobRecord(entry->value);
  if (!record.ok()) return record.status();
  counts_.total = record->total;
  for (auto wait_now = wait;; wait_now = std::chrono::milliseconds(0)) {
    auto batch = events_->Fetch(256, wait_now);
    if (!batch.ok()) return batch.status();
    if (batch->empty()) break;
    for (const StreamMessage& m : *batch) {
      auto event = DecodeIngestEvent(m.data);
      if (!event.ok() || !seen_.insert(event->path).second) continue;
      switch (event->outcome) {
        case Outcome::kIndexed:
          ++counts_.indexed;
          break;
        case Outcome::kKnown:
          ++counts_.known;
          break;
        case Outcome::kFailed:
          ++counts_.failed;
          failures_.push_back(std::move(*event));
          break;
      }
    }
  }
  return counts_;
}

}  // namespace alike::cluster
