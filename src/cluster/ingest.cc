#include "cluster/ingest.h"

#include <nlohmann/json.hpp>

#include "cluster/retry.h"
#include "cluster/settings.h"
#include "util/text.h"

namespace alike::cluster {

std::string WorkStreamName(const std::string& library) {
  return "alike-ingest-" + library + "-work";
}
std::string WorkSubject(const std::string& library) { return "alike-ingest." + library + ".work"; }
std::string EventStreamName(const std::string& library) {
  return "alike-ingest-" + library + "-events";
}
std::string EventSubject(const std::string& library, const std::string& job) {
  return "alike-ingest." + library + ".events." + job;
}
std::string JobsBucketName(const std::string& library) {
  return "alike-ingest-" + library + "-jobs";
}

Status AddIngestStreams(NatsConnection& nats, const std::string& library, int replicas) {
  return RetryWhileTransient(ControlBudget(nats), [&](auto) -> Status {
    ALIKE_RETURN_IF_ERROR(nats.AddStream({.name = WorkStreamName(library),
                                          .subject = WorkSubject(library),
                                          .replicas = replicas,
                                          .work_queue = true}));
    ALIKE_RETURN_IF_ERROR(nats.AddStream({.name = EventStreamName(library),
                                          .subject = EventSubject(library, "*"),
                                          .replicas = replicas}));
    return nats.KeyValueBucket({.bucket = JobsBucketName(library), .replicas = replicas}).status();
  });
}

std::string EncodeWorkItem(const WorkItem& item) {
  return nlohmann::json{{"job", item.job}, {"paths", item.paths}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<WorkItem> DecodeWorkItem(std::string_view text) {
  WorkItem item;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    item.job = j.at("job").get<std::string>();
    item.paths = j.at("paths").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("malformed work item: ") + e.what());
  }
  if (item.job.empty()) return Status::InvalidArgument("malformed work item: no job");
  return item;
}

const char* OutcomeName(Outcome outcome) {
  switch (outcome) {
    case Outcome::kIndexed:
      return "indexed";
    case Outcome::kKnown:
      return "known";
    case Outcome::kFailed:
      return "failed";
  }
  return "?";
}

std::string EncodeIngestEvent(const IngestEvent& event) {
  nlohmann::json j = {{"path", event.path}, {"outcome", OutcomeName(event.outcome)}};
  if (event.outcome == Outcome::kFailed) {
    j["error"] = event.error;
  } else {
    j["image"] = event.image;
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<IngestEvent> DecodeIngestEvent(std::string_view text) {
  IngestEvent event;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    event.path = j.at("path").get<std::string>();
    const std::string outcome = j.at("outcome").get<std::string>();
    if (outcome == "indexed") {
      event.outcome = Outcome::kIndexed;
    } else if (outcome == "known") {
      event.outcome = Outcome::kKnown;
    } else if (outcome == "failed") {
      event.outcome = Outcome::kFailed;
    } else {
      return Status::Corruption("ingest event with outcome '" + outcome + "'");
    }
    event.image = j.value("image", uint64_t{0});
    event.error = j.value("error", "");
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed ingest event: ") + e.what());
  }
  return event;
}

std::string EventMessageId(const std::string& job, const std::string& path) {
  return job + "-" + StableHashHex(path);
}

std::string EncodeJobRecord(const JobRecord& job) {
  nlohmann::json j = {
      {"job", job.job}, {"roots", job.roots}, {"started_unix_ms", job.started_unix_ms}};
  if (job.total) j["total"] = *job.total;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<JobRecord> DecodeJobRecord(std::string_view text) {
  JobRecord job;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    job.job = j.at("job").get<std::string>();
    job.roots = j.at("roots").get<std::vector<std::string>>();
    job.started_unix_ms = j.at("started_unix_ms").get<int64_t>();
    if (j.contains("total")) job.total = j.at("total").get<uint64_t>();
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed job record: ") + e.what());
  }
  return job;
}

}  // namespace alike::cluster
