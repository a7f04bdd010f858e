#include "cluster/ingest_worker.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "alike/picture_files.h"
#include "cluster/retry.h"
#include "cluster/settings.h"
#include "util/text.h"

namespace alike::cluster {

namespace {

// What the pictures bucket holds for one content: enough to answer "known" without a search.
struct PictureEntry {
  uint64_t image = 0;
  std::string path;
  std::string models;  // ModelsKey of the models it was indexed with
};

std::string EncodePictureEntry(const PictureEntry& e) {
  return nlohmann::json{{"image", e.image}, {"path", e.path}, {"models", e.models}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::optional<PictureEntry> DecodePictureEntry(std::string_view text) {
  const nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("image") || !j.contains("models")) return std::nullopt;
  try {
    return PictureEntry{j.at("image").get<uint64_t>(), j.value("path", ""),
                        j.at("models").get<std::string>()};
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged entry: index the content again, which rewrites it
  }
}

bool UnderAny(const std::string& path, const std::vector<std::string>& roots) {
  for (const std::string& root : roots) {
    if (PathIsUnder(path, root)) return true;
  }
  return false;
}

}  // namespace

Result<std::unique_ptr<IngestWorker>> IngestWorker::Create(NatsConnection& nats,
                                                           const std::string& library,
                                                           const PictureDescriber& describer,
                                                           IngestWorkerOptions options) {
  auto lib = ReadImageLibrary(nats, library);
  if (!lib.ok()) return lib.status();
  ALIKE_RETURN_IF_ERROR(CheckSameModels(*lib, describer));
  std::unique_ptr<IngestWorker> w(
      new IngestWorker(nats, std::move(*lib), describer, std::move(options)));
  for (const ImageLibrarySpace& space : w->library_.spaces) {
    auto writer = RetryWhileTransient(
        ControlBudget(nats), [&](auto) { return CollectionWriter::Open(nats, space.collection); });
    if (!writer.ok()) return writer.status();
    w->writers_.push_back(std::move(*writer));
  }
  auto buckets = RetryWhileTransient(ControlBudget(nats), [&](auto) -> Status {
    auto pictures = nats.ExistingKeyValueBucket(PicturesBucketName(library));
    if (!pictures.ok()) return pictures.status();
    auto jobs = nats.ExistingKeyValueBucket(JobsBucketName(library));
    if (!jobs.ok()) return jobs.status();
    w->pictures_ = std::move(*pictures);
    w->jobs_ = std::move(*jobs);
    return Status::OK();
  });
  ALIKE_RETURN_IF_ERROR(buckets);
  auto consumer = RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats.SharedPullConsumer(WorkStreamName(library), WorkSubject(library), kIngestConsumer,
                                   kDefaultAckWait);
  });
  if (!consumer.ok()) return consumer.status();
  w->consumer_ = std::move(*consumer);
  return w;
}

IngestWorker::IngestWorker(NatsConnection& nats, ImageLibrary library,
                           const PictureDescriber& describer, IngestWorkerOptions options)
    : nats_(nats),
      library_(std::move(library)),
      describer_(describer),
      options_(std::move(options)),
      models_key_(ModelsKey(library_)) {}

Result<bool> IngestWorker::WorkOnce() {
  auto fetched = consumer_->Fetch(1, options_.fetch_wait);
  if (!fetched.ok()) return fetched.status();
  for (WorkMessage& message : *fetched) ALIKE_RETURN_IF_ERROR(Work(message));
  return !fetched->empty();
}

Status IngestWorker::Run(const std::atomic<bool>& stop) {
  using Clock = std::chrono::steady_clock;
  std::optional<Clock::time_point> failing_since;
  while (!stop) {
    auto worked = WorkOnce();
    if (worked.ok()) {
      failing_since.reset();
      continue;
    }
    const auto now = Clock::now();
    if (!failing_since) {
      failing_since = now;
      if (options_.on_outage) options_.on_outage(worked.status());
    }
    if (now - *failing_since > options_.outage_limit) return worked.status();
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  return Status::OK();
}

Status IngestWorker::Work(WorkMessage& message) {
  auto item = DecodeWorkItem(message.data());
  if (!item.ok()) {
    // Nobody can work on it, now or later: drop it (the job's count then never completes, which
    // `alike cluster jobs` shows as pictures not done).
    ALIKE_RETURN_IF_ERROR(message.Terminate());
    return Status::OK();
  }
  if (message.deliveries() > 1 && item->paths.size() > 1) {
    ALIKE_RETURN_IF_ERROR(Split(*item));
    return message.Ack();
  }
  if (message.deliveries() > kMaxDeliveries) {
    for (const std::string& path : item->paths) {
      ALIKE_RETURN_IF_ERROR(Report(
          item->job, {.path = path,
                      .outcome = Outcome::kFailed,
                      .error = "given up after " + std::to_string(kMaxDeliveries) +
                               " deliveries: each worker that took it stopped before finishing"}));
    }
    return message.Ack();
  }
  auto roots = options_.roots.empty() ? RootsOf(item->job) : options_.roots;
  if (!roots.ok()) return roots.status();
  for (const std::string& path : item->paths) {
    auto event = Index(path, *roots);
    if (!event.ok()) return event.status();
    ALIKE_RETURN_IF_ERROR(Report(item->job, *event));
    // Not waited for: a lost notice only risks an early redelivery, which the ids make harmless.
    (void)message.InProgress();
  }
  return message.Ack();
}

Result<IngestEvent> IngestWorker::Index(const std::string& path,
                                        const std::vector<std::string>& roots) {
  IngestEvent event{.path = path};
  if (!UnderAny(path, roots)) {
    event.outcome = Outcome::kFailed;
    event.error = roots.empty() ? "no roots to index under (job unknown to the cluster)"
                                : "outside the roots indexed (" + JoinList(roots, ", ") + ")";
    return event;
  }
  Status lookup;
  std::optional<PictureEntry> known;
  auto picture = describer_.Describe(path, [&](const std::string& hash) {
    auto entry =
        RetryWhileTransient(ControlBudget(nats_), [&](auto) { return pictures_->Get(hash); });
    if (!entry.ok() && entry.status().code() != Status::Code::kNotFound) {
      lookup = entry.status();
      return true;
    }
    if (entry.ok() && !entry->deleted) {
      known = DecodePictureEntry(entry->value);
      if (known && known->models != models_key_) known.reset();
    }
    return known.has_value();
  });
  ALIKE_RETURN_IF_ERROR(lookup);
  if (!picture.ok()) {
    event.outcome = Outcome::kFailed;
    event.error = picture.status().ToString();
    return event;
  }
  const uint64_t image = ImageIdOfContent(picture->content_hash);
  event.image = image;
  if (known) {
    event.outcome = Outcome::kKnown;
    return event;
  }
  const std::vector<std::vector<Record>> records = PictureRecords(*picture, path);
  for (size_t s = 0; s < records.size(); ++s) {
    if (records[s].empty()) continue;
    auto write = writers_[s]->writer().PrepareUpsert(records[s]);
    if (!write.ok()) {
      event.outcome = Outcome::kFailed;
      event.error = library_.spaces[s].embedder + ": " + write.status().ToString();
      return event;
    }
    // Named by content and models, not by this writer: see the header comment.
    for (size_t m = 0; m < write->messages.size(); ++m) {
      write->messages[m].msg_id =
          picture->content_hash + "-" + models_key_ + "-" + std::to_string(m);
    }
    auto token = writers_[s]->writer().Publish(*write);
    if (!token.ok()) return token.status();
  }
  const std::string entry =
      EncodePictureEntry({.image = image, .path = path, .models = models_key_});
  ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats_), [&](auto) {
    return pictures_->Put(picture->content_hash, entry).status();
  }));
  event.outcome = Outcome::kIndexed;
  return event;
}

Result<std::vector<std::string>> IngestWorker::RootsOf(const std::string& job) {
  if (auto it = job_roots_.find(job); it != job_roots_.end()) return it->second;
  auto entry = RetryWhileTransient(ControlBudget(nats_), [&](auto) { return jobs_->Get(job); });
  if (!entry.ok() && entry.status().code() == Status::Code::kNotFound) {
    // A work item naming a job nobody started: none of its paths is under any root.
    return job_roots_[job] = {};
  }
  if (!entry.ok()) return entry.status();
  auto record = DecodeJobRecord(entry->value);
  return job_roots_[job] = record.ok() ? record->roots : std::vector<std::string>{};
}

Status IngestWorker::Report(const std::string& job, const IngestEvent& event) {
  ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats_), [&](auto) {
    return nats_
        .Publish(EventSubject(library_.name, job), EncodeIngestEvent(event),
                 EventMessageId(job, event.path), nats_.timeout())
        .status();
  }));
  if (options_.on_event) options_.on_event(job, event);
  return Status::OK();
}

Status IngestWorker::Split(const WorkItem& item) {
  for (const std::string& path : item.paths) {
    ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats_), [&](auto) {
      return nats_
          .Publish(WorkSubject(library_.name), EncodeWorkItem({.job = item.job, .paths = {path}}),
                   "split-" + EventMessageId(item.job, path), nats_.timeout())
          .status();
    }));
  }
  return Status::OK();
}

}  // namespace alike::cluster
