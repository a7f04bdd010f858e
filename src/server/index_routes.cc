// Indexing server-side paths as jobs: POST /v1/index queues one and answers 202 with a Location
// to follow (or, with ?wait=true, answers once it has ended, as the route did before jobs);
// GET lists and follows jobs; DELETE cancels one.
#include <ctime>
#include <string>
#include <vector>

#include "server/api.h"
#include "server/api_error.h"
#include "server/http_input.h"
#include "server/index_jobs.h"

namespace alike::server {
namespace {

using nlohmann::json;

// "2026-11-28T09:15:02Z"
std::string UtcTime(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

json UtcTimeOrNull(const std::optional<std::chrono::system_clock::time_point>& t) {
  return t ? json(UtcTime(*t)) : json(nullptr);
}

json JobJson(const IndexJob& job) {
  json failures = json::array();
  for (const JobFailure& f : job.failures)
    failures.push_back({{"path", f.path}, {"reason", f.reason}});
  return {
      {"id", job.id},
      {"state", JobStateName(job.state)},
      {"paths", job.paths},
      {"total", job.total ? json(*job.total) : json(nullptr)},
      {"done", job.done},
      {"indexed", job.indexed},
      {"duplicates", job.duplicates},
      {"unchanged", job.unchanged},
      {"failed", job.failed},
      {"removed", job.removed},
      {"failures", std::move(failures)},
      {"rate", job.rate},
      {"eta_seconds", job.eta_seconds ? json(*job.eta_seconds) : json(nullptr)},
      {"seconds", job.seconds},
      {"stopped_by",
       job.stopped_by == StoppedBy::kNobody ? json(nullptr) : json(StoppedByName(job.stopped_by))},
      {"error", job.error.ok() ? json(nullptr)
                               : json{{"code", Status::CodeName(job.error.code())},
                                      {"message", job.error.message()}}},
      {"created", UtcTime(job.created)},
      {"started", UtcTimeOrNull(job.started)},
      {"finished", UtcTimeOrNull(job.finished)}};
}

// The job a request's body asks for, its paths resolved inside the roots.
Result<IndexJobRequest> JobRequestFrom(const Api& api, const httplib::Request& req) {
  auto body = JsonBody(req);
  if (!body.ok()) return body.status();
  const json& given = (*body)["paths"];
  if (!given.is_array() || given.empty()) {
    return Status::InvalidArgument("give \"paths\": a list of server-side paths");
  }
  IndexJobRequest request;
  for (const json& p : given) {
    request.paths.push_back(p.get<std::string>());
    auto resolved = api.roots.Resolve(request.paths.back());
    if (!resolved.ok()) return resolved.status();
    request.resolved.push_back(*resolved);
  }
  request.options = {
      .jobs = 0, .prune = body->value("prune", false), .max_pixels = api.options.max_pixels};
  if (body->contains("embedders")) {
    request.options.embedders = (*body)["embedders"].get<std::vector<std::string>>();
  }
  return request;
}

void StartJob(Api& api, const httplib::Request& req, httplib::Response& res) {
  const std::string wait = req.get_param_value("wait");
  if (wait != "" && wait != "true" && wait != "false") {
    return SetError(res, 400, "invalid_argument", "wait is true or false");
  }
  auto request = JobRequestFrom(api, req);
  if (!request.ok() && request.status().code() == Status::Code::kFailedPrecondition) {
    // Roots::Resolve's answer for a path outside every root.
    return SetError(res, 403, "path_forbidden", request.status().message());
  }
  if (!request.ok()) return SetError(res, request.status());
  auto job = api.jobs.Start(std::move(*request));
  if (!job.ok()) return SetError(res, job.status());
  if (wait != "true") {
    res.set_header("Location", "/v1/index/jobs/" + std::to_string(job->id));
    return SetJson(res, JobJson(*job), 202);
  }
  auto ended = api.jobs.Wait(job->id);
  if (!ended.ok()) return SetError(res, ended.status());
  if (ended->state == JobState::kFailed) return SetError(res, ended->error);
  json out = JobJson(*ended);
  out["cancelled"] = ended->state == JobState::kCancelled;
  SetJson(res, out);
}

void ListJobs(Api& api, const httplib::Request&, httplib::Response& res) {
  json jobs = json::array();
  for (const IndexJob& job : api.jobs.List()) jobs.push_back(JobJson(job));
  SetJson(res, {{"jobs", std::move(jobs)}});
}

void GetJob(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto job = api.jobs.Get(*id);
  if (!job.ok()) return SetError(res, job.status());
  SetJson(res, JobJson(*job));
}

void CancelJob(Api& api, const httplib::Request& req, httplib::Response& res) {
  auto id = PathId(req);
  if (!id.ok()) return SetError(res, id.status());
  auto job = api.jobs.Cancel(*id);
  if (!job.ok()) return SetError(res, job.status());
  // A running job stops at its next file: 202 until then.
  SetJson(res, JobJson(*job), job->ended() ? 200 : 202);
}

}  // namespace

void AddIndexRoutes(Router& router, Api& api) {
  router.Add("POST", "/v1/index", Scope::kWrite, With(api, StartJob));
  router.Add("GET", "/v1/index/jobs", Scope::kRead, With(api, ListJobs));
  router.Add("GET", "/v1/index/jobs/{id}", Scope::kRead, With(api, GetJob));
  router.Add("DELETE", "/v1/index/jobs/{id}", Scope::kWrite, With(api, CancelJob));
}

}  // namespace alike::server
