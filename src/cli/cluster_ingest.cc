#include "cli/cluster_ingest.h"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <thread>

#include "alike/embed.h"
#include "cli/library_commands.h"
#include "cli/progress.h"
#include "cli/stop_signal.h"
#include "cluster/image_library.h"
#include "cluster/ingest.h"
#include "cluster/ingest_job.h"
#include "cluster/ingest_worker.h"
#include "cluster/nats_client.h"
#include "cluster/outage_clock.h"
#include "util/text.h"

namespace alike::cli {
namespace {

using cluster::JobCounts;

Result<std::unique_ptr<cluster::NatsConnection>> Connect(const std::string& servers,
                                                         const std::string& client) {
  if (servers.empty()) return Status::InvalidArgument("no NATS server URL given");
  return cluster::NatsConnection::Connect({.servers = servers, .client_name = client});
}

nlohmann::json CountsJson(const std::string& job, const JobCounts& c) {
  nlohmann::json j{{"job", job},         {"indexed", c.indexed}, {"known", c.known},
                   {"failed", c.failed}, {"done", c.done()},     {"finished", c.finished()}};
  if (c.total) j["total"] = *c.total;
  return j;
}

void PrintFailure(const cluster::IngestEvent& f, bool json) {
  if (json) {
    std::printf("%s\n", nlohmann::json{{"event", "failed"}, {"path", f.path}, {"error", f.error}}
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  } else {
    std::fprintf(stderr, "alike: skipped %s: %s\n", f.path.c_str(), f.error.c_str());
  }
}

// Follows a job until every path is done or `stop` is set: a progress bar on a terminal (failures
// as lines above it), JSON lines of the counts with --json, each failure printed once.
Result<JobCounts> Follow(CommandContext& ctx, cluster::NatsConnection& nats,
                         const std::string& library, const std::string& job,
                         const std::atomic<bool>& stop) {
  auto watcher = cluster::JobWatcher::Create(nats, library, job);
  if (!watcher.ok()) return watcher.status();
  Progress bar("indexing " + job, 0);
  size_t printed = 0;
  JobCounts counts;
  std::string last_json;
  // A server lost or a leader being elected fails a poll for a few seconds: ridden out as the
  // workers ride it out.
  cluster::OutageClock outage;
  while (!stop) {
    auto polled = (*watcher)->Poll(std::chrono::milliseconds(500));
    if (!polled.ok()) {
      if (polled.status().code() != Status::Code::kIOError) return polled.status();
      if (outage.Failed()) {
        bar.Clear();
        std::fprintf(stderr, "alike: %s\n", outage.Notice(polled.status()).c_str());
      }
      if (outage.Expired()) return outage.GiveUp(polled.status());
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    outage.Succeeded();
    const uint64_t before = counts.done();
    counts = *polled;
    bar.SetTotal(counts.total.value_or(0));
    const auto& failures = (*watcher)->failures();
    for (; printed < failures.size(); ++printed) {
      bar.Clear();
      PrintFailure(failures[printed], ctx.json);
    }
    bar.Advance(counts.done() - before);
    if (ctx.json) {
      const std::string line = CountsJson(job, counts).dump();
      if (line != last_json) std::printf("%s\n", line.c_str());
      std::fflush(stdout);
      last_json = line;
    }
    if (counts.finished()) break;
  }
  bar.Finish();
  return counts;
}

void PrintSummary(CommandContext& ctx, const std::string& job, const JobCounts& c) {
  if (ctx.json) return;  // the last counts line says it
  std::printf("job %s: %llu of %s pictures done: %llu indexed, %llu already indexed, %llu failed\n",
              job.c_str(), static_cast<unsigned long long>(c.done()),
              c.total ? std::to_string(*c.total).c_str() : "?",
              static_cast<unsigned long long>(c.indexed), static_cast<unsigned long long>(c.known),
              static_cast<unsigned long long>(c.failed));
}

Result<std::vector<std::string>> ReadList(const std::string& file) {
  std::ifstream in;
  if (file != "-") {
    in.open(file);
    if (!in) return Status::NotFound("cannot read the list " + file);
  }
  std::istream& from = file == "-" ? std::cin : in;
  std::vector<std::string> paths;
  for (std::string line; std::getline(from, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (line.find("://") != std::string::npos) {
      return Status::InvalidArgument("the list " + file + " names a URL (" + line +
                                     "): workers index files they can read; download first");
    }
    paths.push_back(line);
  }
  return paths;
}

// The library, created with the embedders asked for when it does not exist.
Result<cluster::ImageLibrary> LibraryFor(cluster::NatsConnection& nats, const ClusterIndexArgs& a) {
  auto existing = cluster::ReadImageLibrary(nats, a.library);
  if (existing.ok()) {
    // Only what was asked for must be there (--faces alone asks for faces alone).
    std::vector<std::string> asked = SplitList(a.embedders);
    if (a.faces) asked.push_back("face");
    for (const std::string& name : asked) {
      if (existing->Space(name) == nullptr) {
        return Status::FailedPrecondition("image library '" + a.library +
                                          "' has no space of embedder " + name +
                                          "; a cluster library keeps the embedders it was "
                                          "created with");
      }
    }
    return existing;
  }
  if (existing.status().code() != Status::Code::kNotFound) return existing.status();
  std::vector<std::string> names =
      a.embedders.empty() ? LibraryOptions{}.embedders : SplitList(a.embedders);
  if (a.faces) names.push_back("face");
  auto describer = PictureDescriber::Open(names);
  if (!describer.ok()) return describer.status();
  cluster::ClusterSettings settings;
  if (a.shards > 0) settings.shard_count = a.shards;
  const cluster::ImageLibrary library = cluster::ImageLibraryFor(a.library, **describer);
  ALIKE_RETURN_IF_ERROR(cluster::CreateImageLibrary(nats, library, settings));
  return library;
}

}  // namespace

void RunClusterIndex(CommandContext& ctx, const ClusterIndexArgs& a) {
  auto nats = Connect(a.nats, "alike index --cluster");
  if (!nats.ok()) return Fail(ctx, nats.status());
  auto library = LibraryFor(**nats, a);
  if (!library.ok()) return Fail(ctx, library.status());
  auto settings = cluster::ReadClusterSettings(**nats, library->spaces.front().collection);
  if (!settings.ok()) return Fail(ctx, settings.status());
  const Status streams = cluster::AddIngestStreams(**nats, a.library, settings->stream_replicas);
  if (!streams.ok()) return Fail(ctx, streams);

  std::atomic<bool> stop{false};
  StopOnSignal on_signal([&] { stop = true; });
  cluster::QueueJobOptions options{.batch = a.batch, .cancel = &stop};
  if (!a.from_list.empty()) {
    auto listed = ReadList(a.from_list);
    if (!listed.ok()) return Fail(ctx, listed.status());
    options.listed = std::move(*listed);
  }
  options.on_walk_error = [&](const std::string& path, const std::string& reason) {
    std::fprintf(stderr, "alike: skipped %s: %s\n", path.c_str(), reason.c_str());
  };
  const std::string job = cluster::NewJobId();
  Progress queueing("queueing " + job, 0);
  uint64_t queued_before = 0;
  options.on_queued = [&](uint64_t queued) {
    queueing.Advance(queued - queued_before);
    queued_before = queued;
  };
  auto record = cluster::QueueJob(**nats, a.library, job, a.paths, options);
  queueing.Finish();
  if (!record.ok()) return Fail(ctx, record.status());
  const uint64_t total = record->total.value_or(0);
  if (ctx.json) {
    std::printf("%s\n",
                nlohmann::json{{"event", "queued"}, {"job", job}, {"total", total}}.dump().c_str());
  } else if (!a.quiet) {
    std::printf("queued %llu pictures as job %s of image library %s\n",
                static_cast<unsigned long long>(total), job.c_str(), a.library.c_str());
  }
  if (a.detach || stop) {
    if (!ctx.json) {
      std::printf("follow it with: alike cluster jobs --nats %s --library %s %s --follow\n",
                  a.nats.c_str(), a.library.c_str(), job.c_str());
    }
    return;
  }
  auto counts = Follow(ctx, **nats, a.library, job, stop);
  if (!counts.ok()) return Fail(ctx, counts.status());
  PrintSummary(ctx, job, *counts);
  if (!counts->finished()) {
    if (!ctx.json) std::printf("detached: the workers go on with job %s\n", job.c_str());
    ctx.exit_code = kExitInterrupted;
  } else if (counts->failed > 0) {
    ctx.exit_code = kExitSomeFilesFailed;
  }
}

namespace {

struct WorkerArgs {
  std::string nats;
  std::string library = "images";
  unsigned jobs = 1;
  std::string roots;
  bool quiet = false;
};

void RunWorker(CommandContext& ctx, const WorkerArgs& a) {
  auto nats = Connect(a.nats, "alike worker");
  if (!nats.ok()) return Fail(ctx, nats.status());
  auto library = cluster::ReadImageLibrary(**nats, a.library);
  if (!library.ok()) return Fail(ctx, library.status());
  std::vector<std::string> names;
  for (const auto& space : library->spaces) names.push_back(space.embedder);
  auto describer = PictureDescriber::Open(names);
  if (!describer.ok()) return Fail(ctx, describer.status());

  std::mutex print_mu;
  std::atomic<uint64_t> indexed{0}, known{0}, failed{0};
  cluster::IngestWorkerOptions options{.roots = SplitList(a.roots)};
  options.on_event = [&](const std::string& job, const cluster::IngestEvent& e) {
    (e.outcome == cluster::Outcome::kIndexed ? indexed
     : e.outcome == cluster::Outcome::kKnown ? known
                                             : failed)++;
    const std::lock_guard<std::mutex> lock(print_mu);
    if (ctx.json) {
      nlohmann::json line{
          {"event", cluster::OutcomeName(e.outcome)}, {"job", job}, {"path", e.path}};
      if (e.outcome == cluster::Outcome::kFailed) line["error"] = e.error;
      std::printf("%s\n",
                  line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      std::fflush(stdout);
    } else if (e.outcome == cluster::Outcome::kFailed) {
      std::fprintf(stderr, "alike: skipped %s: %s\n", e.path.c_str(), e.error.c_str());
    }
  };
  const cluster::OutageClock notices(options.outage_limit);  // what Run's clocks say
  options.on_outage = [&](const Status& error) {
    const std::lock_guard<std::mutex> lock(print_mu);
    std::fprintf(stderr, "alike worker: %s (an unfinished item comes back)\n",
                 notices.Notice(error).c_str());
  };
  std::vector<std::unique_ptr<cluster::IngestWorker>> workers;
  // A server lost or an election under way as the worker starts: ridden out, as Run does.
  cluster::OutageClock starting(options.outage_limit);
  while (workers.size() < std::max(1u, a.jobs)) {
    auto worker = cluster::IngestWorker::Create(**nats, a.library, **describer, options);
    if (worker.ok()) {
      workers.push_back(std::move(*worker));
      starting.Succeeded();
      continue;
    }
    if (worker.status().code() != Status::Code::kIOError) return Fail(ctx, worker.status());
    if (starting.Failed()) options.on_outage(worker.status());
    if (starting.Expired()) return Fail(ctx, starting.GiveUp(worker.status()));
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (!a.quiet && !ctx.json) {
    std::fprintf(stderr, "alike worker: %zu thread(s) indexing image library %s; Ctrl-C stops\n",
                 workers.size(), a.library.c_str());
  }
  std::atomic<bool> stop{false};
  StopOnSignal on_signal([&] { stop = true; });
  Status first_error;
  std::mutex error_mu;
  std::vector<std::thread> threads;
  for (auto& worker : workers) {
    threads.emplace_back([&, w = worker.get()] {
      const Status s = w->Run(stop);
      if (s.ok()) return;
      const std::lock_guard<std::mutex> lock(error_mu);
      if (first_error.ok()) first_error = s;
      stop = true;
    });
  }
  for (std::thread& t : threads) t.join();
  if (!a.quiet && !ctx.json) {
    std::fprintf(stderr, "alike worker: %llu indexed, %llu already indexed, %llu failed\n",
                 static_cast<unsigned long long>(indexed.load()),
                 static_cast<unsigned long long>(known.load()),
                 static_cast<unsigned long long>(failed.load()));
  }
  if (!first_error.ok()) Fail(ctx, first_error);
}

struct JobsArgs {
  std::string nats;
  std::string library = "images";
  std::string job;
  bool failures = false;
  bool follow = false;
};

void RunJobs(CommandContext& ctx, const JobsArgs& a) {
  auto nats = Connect(a.nats, "alike cluster jobs");
  if (!nats.ok()) return Fail(ctx, nats.status());
  if (a.job.empty()) {
    auto jobs = cluster::ListJobs(**nats, a.library);
    if (!jobs.ok()) return Fail(ctx, jobs.status());
    nlohmann::json all = nlohmann::json::array();
    for (const cluster::JobRecord& record : *jobs) {
      auto watcher = cluster::JobWatcher::Create(**nats, a.library, record.job);
      if (!watcher.ok()) return Fail(ctx, watcher.status());
      auto counts = (*watcher)->Poll(std::chrono::milliseconds(0));
      if (!counts.ok()) return Fail(ctx, counts.status());
      nlohmann::json j = CountsJson(record.job, *counts);
      j["roots"] = record.roots;
      all.push_back(j);
      if (!ctx.json) PrintSummary(ctx, record.job, *counts);
    }
    if (ctx.json) std::printf("%s\n", all.dump().c_str());
    if (!ctx.json && jobs->empty()) std::printf("no jobs in image library %s\n", a.library.c_str());
    return;
  }
  std::atomic<bool> stop{false};
  StopOnSignal on_signal([&] { stop = true; });
  auto watcher = cluster::JobWatcher::Create(**nats, a.library, a.job);
  if (!watcher.ok()) return Fail(ctx, watcher.status());
  Result<JobCounts> counts = a.follow ? Follow(ctx, **nats, a.library, a.job, stop)
                                      : (*watcher)->Poll(std::chrono::milliseconds(0));
  if (!counts.ok()) return Fail(ctx, counts.status());
  if (a.failures) {
    if (!a.follow) {
      for (const auto& f : (*watcher)->failures()) PrintFailure(f, ctx.json);
    }
  }
  if (ctx.json && !a.follow) std::printf("%s\n", CountsJson(a.job, *counts).dump().c_str());
  PrintSummary(ctx, a.job, *counts);
}

}  // namespace

void AddWorkerCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<WorkerArgs>();
  CLI::App* cmd = app.add_subcommand(
      "worker",
      "Index pictures of an image library's jobs on a cluster (alike index --cluster queues "
      "them), until SIGTERM or Ctrl-C");
  cmd->add_option("--cluster", args->nats, "NATS server URL(s), comma-separated")->required();
  cmd->add_option("--library", args->library, "Image library name")->capture_default_str();
  cmd->add_option("-j,--jobs", args->jobs, "Pictures worked on at once")->capture_default_str();
  cmd->add_option("--roots", args->roots,
                  "Index only paths under these directories, comma-separated (default: the "
                  "paths each job was queued with)");
  cmd->add_flag("-q,--quiet", args->quiet, "Print only problems");
  cmd->callback([&ctx, args] { RunWorker(ctx, *args); });
}

void AddJobsCommand(CLI::App& cluster, CommandContext& ctx) {
  auto args = std::make_shared<JobsArgs>();
  CLI::App* cmd = cluster.add_subcommand(
      "jobs", "An image library's indexing jobs: their progress; one job's failures; follow one");
  cmd->add_option("--nats", args->nats, "NATS server URL(s), comma-separated")->required();
  cmd->add_option("--library", args->library, "Image library name")->capture_default_str();
  cmd->add_option("job", args->job, "One job (default: list them all)");
  cmd->add_flag("--failures", args->failures, "Print the job's failed pictures and why");
  cmd->add_flag("--follow", args->follow, "Follow the job until it is done (re-attach)");
  cmd->callback([&ctx, args] { RunJobs(ctx, *args); });
}

}  // namespace alike::cli
