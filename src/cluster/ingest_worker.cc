#include "cluster/ingest_worker.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <utility>

#include "alike/picture_files.h"
#include "cluster/outage_clock.h"
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
  OutageClock outage(options_.outage_limit);
  while (!stop) {
    auto worked = WorkOnce();
    if (worked.ok()) {
      outage.Succeeded();
      continue;
    }
    if (outage.Failed() && options_.on_outage) options_.on_outage(worked.status());
    if (outage.Expired()) return outage.GiveUp(worked.status());
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
  ItemWrites writes;
  writes.records.resize(writers_.size());
  if (message.deliveries() > kMaxDeliveries) {
    for (const std::string& path : item->paths) {
      writes.events.push_back(
          {.path = path,
           .outcome = Outcome::kFailed,
           .error = "given up after " + std::to_string(kMaxDeliveries) +
                    " deliveries: each worker that took it stopped before finishing"});
    }
  } else {
    auto roots = options_.roots.empty() ? RootsOf(item->job) : options_.roots;
    if (!roots.ok()) return roots.status();
    for (const std::string& path : item->paths) {
      ALIKE_RETURN_IF_ERROR(Index(path, *roots, writes));
      // Not waited for: a lost notice only risks an early redelivery, which the ids make harmless.
      (void)message.InProgress();
    }
  }
  ALIKE_RETURN_IF_ERROR(Store(item->job, writes));
  return message.Ack();
}

Status IngestWorker::Index(const std::string& path, const std::vector<std::string>& roots,
                           ItemWrites& writes) {
  IngestEvent& event = writes.events.emplace_back(IngestEvent{.path = path});
  if (!UnderAny(path, roots)) {
    event.outcome = Outcome::kFailed;
    event.error = roots.empty() ? "no roots to index under (job unknown to the cluster)"
                                : "outside the roots indexed (" + JoinList(roots, ", ") + ")";
    return Status::OK();
  }
  Status lookup;
  bool known = false;
  auto picture = describer_.Describe(path, [&](const std::string& hash) {
    // The same content twice in one item: the first path stores it, as across items.
    if (writes.contents.count(hash) > 0) return known = true;
    auto entry =
        RetryWhileTransient(ControlBudget(nats_), [&](auto) { return pictures_->Get(hash); });
    if (!entry.ok() && entry.status().code() != Status::Code::kNotFound) {
      lookup = entry.status();
      return true;
    }
    if (entry.ok() && !entry->deleted) {
      const std::optional<PictureEntry> stored = DecodePictureEntry(entry->value);
      known = stored && stored->models == models_key_;
    }
    return known;
  });
  ALIKE_RETURN_IF_ERROR(lookup);
  if (!picture.ok()) {
    event.outcome = Outcome::kFailed;
    event.error = picture.status().ToString();
    return Status::OK();
  }
  const uint64_t image = ImageIdOfContent(picture->content_hash);
  event.image = image;
  if (known) {
    event.outcome = Outcome::kKnown;
    return Status::OK();
  }
  const std::vector<std::vector<Record>> records = PictureRecords(*picture, path);
  std::vector<PreparedWrite> prepared(records.size());
  for (size_t s = 0; s < records.size(); ++s) {
    if (records[s].empty()) continue;
    auto write = writers_[s]->writer().PrepareUpsert(records[s]);
    if (!write.ok()) {
      event.outcome = Outcome::kFailed;
      event.error = library_.spaces[s].embedder + ": " + write.status().ToString();
      return Status::OK();
    }
    // Named by content and models, not by this writer: see the header comment.
    for (size_t m = 0; m < write->messages.size(); ++m) {
      write->messages[m].msg_id =
          picture->content_hash + "-" + models_key_ + "-" + std::to_string(m);
    }
    prepared[s] = std::move(*write);
  }
  for (size_t s = 0; s < prepared.size(); ++s) writes.records[s].push_back(std::move(prepared[s]));
  writes.contents[picture->content_hash] =
      EncodePictureEntry({.image = image, .path = path, .models = models_key_});
  event.outcome = Outcome::kIndexed;
  return Status::OK();
}

Status IngestWorker::Store(const std::string& job, const ItemWrites& writes) {
  // The vectors first: a picture's bucket entry says "known" only once they are all stored.
  for (size_t s = 0; s < writers_.size(); ++s) {
    auto token = writers_[s]->writer().PublishAll(writes.records[s]);
    if (!token.ok()) return token.status();
  }
  std::vector<OutgoingMessage> outgoing;
  for (const auto& [hash, entry] : writes.contents) {
    outgoing.push_back({pictures_->PutSubject(hash), entry, ""});
  }
  std::vector<std::string> encoded;
  encoded.reserve(writes.events.size());
  for (const IngestEvent& event : writes.events) {
    encoded.push_back(EncodeIngestEvent(event));
    outgoing.push_back(
        {EventSubject(library_.name, job), encoded.back(), EventMessageId(job, event.path)});
  }
  ALIKE_RETURN_IF_ERROR(PublishControl(outgoing));
  if (options_.on_event) {
    for (const IngestEvent& event : writes.events) options_.on_event(job, event);
  }
  return Status::OK();
}

Status IngestWorker::PublishControl(std::span<const OutgoingMessage> messages) {
  return RetryWhileTransient(
             ControlBudget(nats_),
             [&](auto left) { return nats_.PublishAll(messages, std::min(left, nats_.timeout())); })
      .status();
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

Status IngestWorker::Split(const WorkItem& item) {
  std::vector<std::string> items;
  items.reserve(item.paths.size());
  std::vector<OutgoingMessage> outgoing;
  for (const std::string& path : item.paths) {
    items.push_back(EncodeWorkItem({.job = item.job, .paths = {path}}));
    outgoing.push_back(
        {WorkSubject(library_.name), items.back(), "split-" + EventMessageId(item.job, path)});
  }
  return PublishControl(outgoing);
}

}  // namespace alike::cluster
