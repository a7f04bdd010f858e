#include "server/index_jobs.h"

#include <algorithm>
#include <utility>

namespace alike::server {

struct IndexJobs::Entry {
  IndexJob job;             // guarded by IndexJobs::mu_
  IndexJobRequest request;  // read by the worker only, once queued
  std::atomic<bool> cancel{false};
};

namespace {

using SystemClock = std::chrono::system_clock;

// A failure event's path and reason ("<path>: <reason>" in the library's message).
JobFailure FailureOf(const IndexEvent& event) {
  const std::string prefix = event.path + ": ";
  if (!event.path.empty() && event.message.starts_with(prefix)) {
    return {event.path, event.message.substr(prefix.size())};
  }
  return {event.path, event.message};
}

void Count(IndexJob& job, const IndexEvent& event) {
  switch (event.kind) {
    case IndexEvent::Kind::kIndexed:
      ++job.indexed;
      break;
    case IndexEvent::Kind::kDuplicate:
      ++job.duplicates;
      break;
    case IndexEvent::Kind::kFailed:
      ++job.failed;
      if (job.failures.size() < IndexJobs::kMaxListedFailures) {
        job.failures.push_back(FailureOf(event));
      }
      break;
    case IndexEvent::Kind::kRemoved:
      ++job.removed;
      break;
    case IndexEvent::Kind::kNote:
      break;
  }
}

}  // namespace

const char* JobStateName(JobState state) {
  switch (state) {
    case JobState::kQueued:
      return "queued";
    case JobState::kRunning:
      return "running";
    case JobState::kDone:
      return "done";
    case JobState::kFailed:
      return "failed";
    case JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

const char* StoppedByName(StoppedBy who) {
  switch (who) {
    case StoppedBy::kNobody:
      return "";
    case StoppedBy::kClient:
      return "client";
    case StoppedBy::kShutdown:
      return "shutdown";
    case StoppedBy::kTimeLimit:
      return "time_limit";
  }
  return "";
}

IndexJobs::IndexJobs(Library& library, std::chrono::seconds time_limit)
    : library_(library), time_limit_(time_limit) {
  worker_ = std::thread([this] { WorkLoop(); });
}

IndexJobs::~IndexJobs() { Shutdown(); }

Result<IndexJob> IndexJobs::Start(IndexJobRequest request) {
  std::lock_guard lock(mu_);
  if (shutting_down_) return Status::FailedPrecondition("the server is shutting down");
  if (queue_.size() >= kMaxQueued) {
    return Status::FailedPrecondition(std::to_string(queue_.size()) +
                                      " index jobs are waiting already: try again later");
  }
  auto entry = std::make_shared<Entry>();
  entry->job.id = next_id_++;
  entry->job.paths = request.paths;
  entry->job.created = SystemClock::now();
  entry->request = std::move(request);
  jobs_.push_back(entry);
  queue_.push_back(entry);
  changed_.notify_all();
  return SnapshotLocked(*entry);
}

Result<IndexJob> IndexJobs::Get(uint64_t id) const {
  std::lock_guard lock(mu_);
  const auto entry = FindLocked(id);
  if (!entry) return Status::NotFound("no index job " + std::to_string(id));
  return SnapshotLocked(*entry);
}

std::vector<IndexJob> IndexJobs::List() const {
  std::lock_guard lock(mu_);
  std::vector<IndexJob> out;
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) out.push_back(SnapshotLocked(**it));
  return out;
}

Result<IndexJob> IndexJobs::Cancel(uint64_t id) {
  std::lock_guard lock(mu_);
  const auto entry = FindLocked(id);
  if (!entry) return Status::NotFound("no index job " + std::to_string(id));
  IndexJob& job = entry->job;
  if (job.ended()) {
    return Status::FailedPrecondition("index job " + std::to_string(id) + " has ended (" +
                                      JobStateName(job.state) + ")");
  }
  if (job.stopped_by == StoppedBy::kNobody) job.stopped_by = StoppedBy::kClient;
  entry->cancel = true;
  if (job.state == JobState::kQueued) {
    std::erase(queue_, entry);
    job.state = JobState::kCancelled;
    job.finished = SystemClock::now();
    ForgetOldLocked();
    changed_.notify_all();
  }
  return SnapshotLocked(*entry);
}

Result<IndexJob> IndexJobs::Wait(uint64_t id) {
  std::unique_lock lock(mu_);
  const auto entry = FindLocked(id);
  if (!entry) return Status::NotFound("no index job " + std::to_string(id));
  changed_.wait(lock, [&] { return entry->job.ended(); });
  return SnapshotLocked(*entry);
}

void IndexJobs::Shutdown() {
  {
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    for (const auto& entry : jobs_) {
      if (entry->job.ended()) continue;
      if (entry->job.stopped_by == StoppedBy::kNobody) entry->job.stopped_by = StoppedBy::kShutdown;
      entry->cancel = true;
      if (entry->job.state == JobState::kQueued) {
        entry->job.state = JobState::kCancelled;
        entry->job.finished = SystemClock::now();
      }
    }
    queue_.clear();
    changed_.notify_all();
  }
  // Stop() (a signal's thread) and the destructor may both get here.
  std::lock_guard join(join_mu_);
  if (worker_.joinable()) worker_.join();
}

void IndexJobs::WorkLoop() {
  for (;;) {
    std::shared_ptr<Entry> entry;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return shutting_down_ || !queue_.empty(); });
      if (shutting_down_) return;
      entry = queue_.front();
      queue_.pop_front();
      entry->job.state = JobState::kRunning;
      entry->job.started = SystemClock::now();
    }
    Run(*entry);
  }
}

void IndexJobs::Run(Entry& entry) {
  IndexOptions options = entry.request.options;
  options.cancel = &entry.cancel;
  const auto deadline = std::chrono::steady_clock::now() + time_limit_;
  // Called on the library's threads, one report at a time.
  const IndexObserver observer = [&](const IndexEvent* event, const IndexProgress& progress) {
    std::lock_guard lock(mu_);
    IndexJob& job = entry.job;
    if (std::chrono::steady_clock::now() > deadline && !entry.cancel.exchange(true)) {
      job.stopped_by = StoppedBy::kTimeLimit;
    }
    if (progress.walk_finished) job.total = progress.found;
    job.done = progress.done;
    job.unchanged = progress.unchanged;
    if (event) Count(job, *event);
  };
  auto report = library_.Index(entry.request.resolved, options, observer);

  std::lock_guard lock(mu_);
  IndexJob& job = entry.job;
  job.finished = SystemClock::now();
  if (!report.ok()) {
    job.state = JobState::kFailed;
    job.error = report.status();
  } else {
    // The report's counts are the library's own final word.
    job.indexed = report->indexed;
    job.duplicates = report->duplicates;
    job.unchanged = report->unchanged;
    job.failed = report->failed;
    job.removed = report->removed;
    job.state = report->cancelled ? JobState::kCancelled : JobState::kDone;
    // A cancel that came after the last file changed nothing.
    if (!report->cancelled) job.stopped_by = StoppedBy::kNobody;
  }
  ForgetOldLocked();
  changed_.notify_all();
}

std::shared_ptr<IndexJobs::Entry> IndexJobs::FindLocked(uint64_t id) const {
  for (const auto& entry : jobs_) {
    if (entry->job.id == id) return entry;
  }
  return nullptr;
}

IndexJob IndexJobs::SnapshotLocked(const Entry& entry) const {
  IndexJob job = entry.job;
  if (job.started) {
    const auto end = job.finished.value_or(SystemClock::now());
    job.seconds = std::max(0.0, std::chrono::duration<double>(end - *job.started).count());
    if (job.seconds > 0) job.rate = static_cast<double>(job.done) / job.seconds;
  }
  if (job.state == JobState::kRunning && job.total && job.rate > 0) {
    job.eta_seconds = static_cast<double>(*job.total - std::min(job.done, *job.total)) / job.rate;
  }
  return job;
}

void IndexJobs::ForgetOldLocked() {
  size_t ended = 0;
  for (const auto& entry : jobs_) ended += entry->job.ended();
  for (auto it = jobs_.begin(); ended > kHistory && it != jobs_.end();) {
    if ((*it)->job.ended()) {
      it = jobs_.erase(it);
      --ended;
    } else {
      ++it;
    }
  }
}

}  // namespace alike::server
