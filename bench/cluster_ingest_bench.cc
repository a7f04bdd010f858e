// alike-bench cluster-ingest: pictures/s of distributed indexing (`alike index --cluster` and
// `alike worker`, src/cluster/ingest*.h) against one machine's `alike index` of the same photos,
// measured in the same run.
//
//   alike-bench cluster-ingest [--pictures 120] [--embedders cnn,color] [--workers 1,2]
//                              [--photos DIR] [--nats-server PATH]
//
// It starts three clustered nats-servers on 127.0.0.1 (cluster/local_nats_cluster.h, as the
// cluster tests do). For each worker count W: one machine indexes --pictures photos with W jobs
// into a fresh library (alike::Library::Index); then a fresh cluster image library of the same
// embedders gets the same photos queued as one job, and W in-process IngestWorkers (one thread
// each, as `alike worker -j W`, sharing one describer and one connection) index it; the time is
// from the first item fetched to the job's last event. Pictures/s of each and their ratio: on a
// machine of a few cores the point is the overhead of the cluster path (publishing vectors to
// replicated streams, the pictures bucket, events), not the speed-up of more machines.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "alike/embed.h"
#include "alike/library.h"
#include "alike/picture_files.h"
#include "bench_util.h"
#include "cluster/image_library.h"
#include "cluster/ingest.h"
#include "cluster/ingest_job.h"
#include "cluster/ingest_worker.h"
#include "cluster/local_nats_cluster.h"
#include "cluster/nats_client.h"
#include "commands.h"
#include "table.h"
#include "util/text.h"

namespace alike::bench {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct ClusterIngestArgs {
  size_t pictures = 120;
  std::string embedders = "cnn,color";
  std::vector<unsigned> workers = {1, 2};
  std::string photos = std::string(ALIKE_BENCH_FLOWERS_DIR);
  std::string nats_server = ALIKE_BENCH_NATS_SERVER;
};

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

std::vector<std::string> Photos(const ClusterIngestArgs& args) {
  std::vector<std::string> paths;
  WalkPictureFiles(
      args.photos, [&](const std::string& path) { paths.push_back(path); },
      [](const std::string&, const std::string&) {});
  std::sort(paths.begin(), paths.end());
  if (paths.size() < args.pictures) {
    Fail("--photos " + args.photos + " holds " + std::to_string(paths.size()) +
         " pictures, fewer than --pictures");
  }
  paths.resize(args.pictures);
  return paths;
}

double OneMachine(const std::vector<std::string>& paths, const std::vector<std::string>& embedders,
                  unsigned jobs, const std::string& dir) {
  auto lib = Library::Open(dir, {.create_if_missing = true, .embedders = embedders});
  CheckOk(lib.status(), "one machine's library");
  const auto start = Clock::now();
  auto report = (*lib)->Index(paths, {.jobs = jobs}, nullptr);
  CheckOk(report.status(), "one machine's index");
  return Seconds(Clock::now() - start);
}

double OnCluster(cluster::NatsConnection& nats, const PictureDescriber& describer,
                 const std::vector<std::string>& paths, unsigned workers,
                 const std::string& library) {
  CheckOk(cluster::CreateImageLibrary(nats, cluster::ImageLibraryFor(library, describer),
                                      {.shard_count = 4}),
          "cluster library");
  CheckOk(cluster::AddIngestStreams(nats, library, 3), "ingest streams");
  const std::string job = cluster::NewJobId();
  auto queued = cluster::QueueJob(nats, library, job, {}, {.listed = paths});
  CheckOk(queued.status(), "queue the job");
  auto watcher = cluster::JobWatcher::Create(nats, library, job);
  CheckOk(watcher.status(), "job watcher");
  std::vector<std::unique_ptr<cluster::IngestWorker>> pool;
  for (unsigned i = 0; i < workers; ++i) {
    auto worker = cluster::IngestWorker::Create(nats, library, describer, {});
    CheckOk(worker.status(), "worker");
    pool.push_back(std::move(*worker));
  }
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (auto& worker : pool) {
    threads.emplace_back([&, w = worker.get()] { CheckOk(w->Run(stop), "worker run"); });
  }
  cluster::JobCounts counts;
  while (!counts.finished()) {
    auto polled = (*watcher)->Poll(std::chrono::milliseconds(100));
    CheckOk(polled.status(), "job progress");
    counts = *polled;
  }
  const double took = Seconds(Clock::now() - start);
  stop = true;
  for (std::thread& t : threads) t.join();
  if (counts.failed > 0) Fail(std::to_string(counts.failed) + " pictures failed on the cluster");
  return took;
}

int RunClusterIngest(const ClusterIngestArgs& args) {
  if (args.nats_server.empty()) Fail("nats-server was not found at configure time: --nats-server");
  const std::vector<std::string> paths = Photos(args);
  const std::vector<std::string> embedders = SplitList(args.embedders);
  const std::string dir =
      fs::temp_directory_path() / ("alike-bench-cluster-ingest-" + std::to_string(::getpid()));
  fs::create_directories(dir + "/nats");
  std::printf("alike-bench cluster-ingest: %zu photos of %s, embedders %s, %s, %s\n", paths.size(),
              args.photos.c_str(), args.embedders.c_str(), CpuModel().c_str(), Now().c_str());
  auto describer = PictureDescriber::Open(embedders);
  CheckOk(describer.status(), "embedders");
  auto nats_cluster = cluster::LocalNatsCluster::Start(args.nats_server, dir + "/nats");
  CheckOk(nats_cluster.status(), "nats-server cluster");
  auto nats = cluster::NatsConnection::Connect({.servers = (*nats_cluster)->urls()});
  CheckOk(nats.status(), "connect");

  Table table({"workers", "one machine (pictures/s)", "cluster (pictures/s)", "cluster / one"});
  for (unsigned w : args.workers) {
    const double one = OneMachine(paths, embedders, w, dir + "/one-" + std::to_string(w));
    const double on_cluster = OnCluster(**nats, **describer, paths, w, "bench" + std::to_string(w));
    const double one_rate = paths.size() / one;
    const double cluster_rate = paths.size() / on_cluster;
    table.AddRow({std::to_string(w), FormatFixed(one_rate, 1), FormatFixed(cluster_rate, 1),
                  FormatFixed(cluster_rate / one_rate, 2) + "x"});
  }
  table.Print(stdout);
  std::error_code ec;
  fs::remove_all(dir, ec);
  return 0;
}

}  // namespace

Command AddClusterIngestCommand(CLI::App& app) {
  auto args = std::make_shared<ClusterIngestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "cluster-ingest",
      "Pictures/s of alike worker(s) on a 3-server loopback cluster against one machine's index");
  cmd->add_option("--pictures", args->pictures, "Photos to index")->capture_default_str();
  cmd->add_option("--embedders", args->embedders, "Embedders, comma-separated")
      ->capture_default_str();
  cmd->add_option("--workers", args->workers, "Worker counts (one machine: index jobs)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--photos", args->photos, "Directory of photos")->capture_default_str();
  cmd->add_option("--nats-server", args->nats_server, "The nats-server program")
      ->capture_default_str();
  return {cmd, [args] { return RunClusterIngest(*args); }};
}

}  // namespace alike::bench
