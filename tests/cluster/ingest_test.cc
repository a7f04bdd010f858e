// Distributed indexing on a loopback cluster of three NATS servers: `alike index --cluster` queues
// the shared flower photos (plus a byte-identical copy, two broken files, and hostile work items),
// two `alike worker` processes index them while one worker is killed with SIGKILL mid-run and one
// NATS server is killed; the cluster then holds exactly what one machine's `alike index` of the
// same photos holds (the same vectors and facts per picture, no picture twice, none missing), each
// bad file is reported once, and a second run of the same command indexes nothing again.
#include "cluster/ingest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "alike/embed.h"
#include "alike/library.h"
#include "cluster/image_library.h"
#include "cluster/ingest_job.h"
#include "cluster/ingest_worker.h"
#include "cluster/shard_replica.h"
#include "cluster/shards.h"
#include "cluster/subprocess.h"
#include "testing/cli.h"
#include "testing/cluster_fixture.h"
#include "testing/ingest_work.h"
#include "testing/nats_cluster.h"
#include "testing/temp_dir.h"

namespace alike::cluster {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kFlowers = std::string(ALIKE_SHARED_DIR) + "/data/categories/flowers/flowers";
// Cheap embedders (no weights): the test is about what reaches the cluster, not about the models;
// PictureDescriberTest shows the describer equals a library for cnn too.
const std::vector<std::string> kEmbedders = {"color", "pdq"};
constexpr char kLibrary[] = "ingest";

// The records of a cluster collection, read back from its shard streams.
std::vector<Record> StreamRecords(NatsConnection& nats, const std::string& collection,
                                  const ClusterSettings& settings, const std::string& dir) {
  std::vector<Record> out;
  for (uint32_t shard = 0; shard < settings.shard_count; ++shard) {
    auto db = Database::Open(dir + "/" + std::to_string(shard));
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return out;
    auto local = (*db)->CreateCollection("shard", settings.collection);
    EXPECT_TRUE(local.ok()) << local.status().ToString();
    auto replica = ShardReplica::Open(nats, ShardStreamName(collection, shard),
                                      ShardSubject(collection, shard), *local);
    EXPECT_TRUE(replica.ok()) << replica.status().ToString();
    auto state = nats.GetStreamState(ShardStreamName(collection, shard));
    EXPECT_TRUE(state.ok()) << state.status().ToString();
    if (!replica.ok() || !state.ok()) return out;
    const Status caught_up = (*replica)->CatchUpTo(state->last_seq, seconds(30));
    EXPECT_TRUE(caught_up.ok()) << caught_up.ToString();
    EXPECT_TRUE((*local)
                    ->ForEach([&](const Record& r) {
                      out.push_back(r);
                      return true;
                    })
                    .ok());
  }
  return out;
}

// A payload without the fields that differ between one machine and a cluster by design.
nlohmann::json Facts(const std::string& payload) {
  nlohmann::json j = nlohmann::json::parse(payload);
  for (const char* key : {"image", "path", "hash"}) j.erase(key);
  return j;
}

class ClusterIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = test::NatsSkipReason(); !why.empty()) GTEST_SKIP() << why;
    if (!fs::exists(kFlowers)) GTEST_SKIP() << kFlowers << " is absent";
    fs::create_directories(dir_.Sub("nats"));
    auto started = test::StartNatsCluster(dir_.Sub("nats"));
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    cluster_ = std::move(*started);
    auto nats = NatsConnection::Connect({.servers = cluster_->urls()});
    ASSERT_TRUE(nats.ok()) << nats.status().ToString();
    nats_ = std::move(*nats);
  }

  // 12 flowers, a byte-identical copy of one, a file that is not a picture and a truncated JPEG.
  std::string MakePhotos() {
    const fs::path photos = dir_.Sub("photos");
    fs::create_directories(photos / "more");
    for (const char* kind : {"daisy", "rose", "tulip", "sunflower"}) {
      int taken = 0;
      for (const auto& entry : fs::directory_iterator(fs::path(kFlowers) / kind)) {
        if (taken++ == 3) break;
        fs::copy_file(entry.path(),
                      photos / (std::string(kind) + "-" + entry.path().filename().string()));
      }
    }
    const fs::path first = *fs::directory_iterator(photos);
    fs::copy_file(first, photos / "more" / "copy.jpg");
    std::ofstream(photos / "more" / "notes.jpg") << "not a picture";
    std::string jpeg;
    {
      std::ifstream in(first, std::ios::binary);
      jpeg.assign(std::istreambuf_iterator<char>(in), {});
    }
    std::ofstream(photos / "more" / "truncated.jpg", std::ios::binary)
        << jpeg.substr(0, jpeg.size() / 3);
    return photos.string();
  }

  std::unique_ptr<Subprocess> StartWorker(const std::string& name) {
    auto worker = Subprocess::Start(
        {ALIKE_CLI_PATH, "--json", "worker", "--cluster", cluster_->urls(), "--library", kLibrary},
        dir_.Sub(name + ".log"));
    EXPECT_TRUE(worker.ok()) << worker.status().ToString();
    return worker.ok() ? std::move(*worker) : nullptr;
  }

  // Polls the job until it finished (at most `timeout`).
  JobCounts WaitForJob(const std::string& job, JobWatcher& watcher, milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    JobCounts counts;
    while (std::chrono::steady_clock::now() < deadline) {
      auto polled = watcher.Poll(milliseconds(500));
      // A killed server fails polls until JetStream moved on (IOError); nothing else may.
      if (!polled.ok()) {
        EXPECT_EQ(polled.status().code(), Status::Code::kIOError) << polled.status().ToString();
        continue;
      }
      counts = *polled;
      if (counts.finished()) break;
    }
    EXPECT_TRUE(counts.finished())
        << job << ": " << counts.done() << " of " << counts.total.value_or(0) << " done";
    return counts;
  }

  void TearDown() override {
    if (!HasFailure()) return;
    for (const char* log : {"worker-a.log", "worker-b.log"}) {
      std::ifstream in(dir_.Sub(log));
      std::cerr << "--- " << log << "\n" << in.rdbuf() << "\n";
    }
  }

  test::TempDir dir_;
  std::unique_ptr<LocalNatsCluster> cluster_;
  std::unique_ptr<NatsConnection> nats_;
};

TEST_F(ClusterIngestTest, TwoWorkersOneKilledAndAServerKilledIndexWhatOneMachineIndexes) {
  const std::string photos = MakePhotos();
  // One machine.
  const std::string one_machine = dir_.Sub("one-machine");
  {
    auto lib = Library::Open(one_machine, {.create_if_missing = true, .embedders = kEmbedders});
    ASSERT_TRUE(lib.ok()) << lib.status().ToString();
    const std::vector<std::string> roots = {photos};
    auto report = (*lib)->Index(roots, {.jobs = 1}, nullptr);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    EXPECT_EQ(report->failed, 2u);
  }

  // The cluster library, with a short ack wait so the killed worker's item comes back soon.
  auto describer = PictureDescriber::Open(kEmbedders);
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  const ImageLibrary library = ImageLibraryFor(kLibrary, **describer);
  ASSERT_TRUE(CreateImageLibrary(*nats_, library, test::TestSettings(2)).ok());
  ASSERT_TRUE(AddIngestStreams(*nats_, kLibrary, 3, milliseconds(3000)).ok());

  // Hostile work items: a path outside the job's roots, and a message that is not a work item.
  ASSERT_TRUE(nats_
                  ->Publish(WorkSubject(kLibrary),
                            EncodeWorkItem({.job = "jhostile", .paths = {"/etc/passwd"}}), "h1",
                            seconds(5))
                  .ok());
  ASSERT_TRUE(
      nats_->Publish(WorkSubject(kLibrary), "{\"not\": \"an item\"", "h2", seconds(5)).ok());

  test::TempDir cli;
  const test::RunResult queued =
      test::RunAlike(cli, "--json index --cluster " + cluster_->urls() + " --library " + kLibrary +
                              " --detach --batch 4 " + photos);
  ASSERT_EQ(queued.exit_code, 0) << queued.err;
  const nlohmann::json line = test::JsonLines(queued.out).at(0);
  const std::string job = line.at("job");
  EXPECT_EQ(line.at("total"), 15) << queued.out;
  auto watcher = JobWatcher::Create(*nats_, kLibrary, job);
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();

  // Worker A alone until it has done a few pictures, then B; A is killed mid-run, then a server.
  auto a = StartWorker("worker-a");
  auto b_started = std::chrono::steady_clock::now() + seconds(60);
  while (std::chrono::steady_clock::now() < b_started) {
    auto counts = (*watcher)->Poll(milliseconds(200));
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    if (counts->done() >= 2) break;
  }
  auto b = StartWorker("worker-b");
  a->Kill();
  cluster_->Kill(1);
  const JobCounts counts = WaitForJob(job, **watcher, seconds(120));
  EXPECT_EQ(counts.total, 15u);
  EXPECT_EQ(counts.failed, 2u);
  EXPECT_EQ(counts.indexed + counts.known, 13u);
  std::set<std::string> failed;
  for (const IngestEvent& f : (*watcher)->failures()) {
    EXPECT_TRUE(failed.insert(fs::path(f.path).filename().string()).second) << f.path;
    EXPECT_NE(f.error.find(f.path), std::string::npos) << f.error;
  }
  EXPECT_EQ(failed, (std::set<std::string>{"notes.jpg", "truncated.jpg"}));
  // What follows reads the results back and runs the command again: on the whole cluster, so
  // that no call waits out a request to the lost server (7-13 s of this test before).
  ASSERT_TRUE(cluster_->Restart(1).ok());

  // The hostile path was refused (reported in its own job), the malformed item dropped.
  auto hostile = JobWatcher::Create(*nats_, kLibrary, "jhostile");
  ASSERT_TRUE(hostile.ok()) << hostile.status().ToString();
  auto hostile_counts = (*hostile)->Poll(milliseconds(2000));
  ASSERT_TRUE(hostile_counts.ok()) << hostile_counts.status().ToString();
  ASSERT_EQ((*hostile)->failures().size(), 1u);
  EXPECT_NE((*hostile)->failures()[0].error.find("roots"), std::string::npos)
      << (*hostile)->failures()[0].error;

  // The cluster holds what one machine holds: per space, the same vectors with the same facts,
  // each content once.
  auto db = Database::Open(one_machine, {});
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  for (const ImageLibrarySpace& space : library.spaces) {
    auto settings = ReadClusterSettings(*nats_, space.collection);
    ASSERT_TRUE(settings.ok()) << settings.status().ToString();
    const std::vector<Record> on_cluster =
        StreamRecords(*nats_, space.collection, *settings, dir_.Sub("read-" + space.embedder));
    auto local = (*db)->GetCollection("image." + space.embedder);
    ASSERT_TRUE(local.ok()) << local.status().ToString();
    std::map<std::string, Record> by_hash;
    for (const Record& r : on_cluster) {
      const nlohmann::json p = nlohmann::json::parse(r.payload);
      EXPECT_EQ(r.id >> 12, ImageIdOfContent(p.at("hash").get<std::string>())) << r.payload;
      EXPECT_TRUE(by_hash.emplace(p.at("hash"), r).second) << "content twice: " << r.payload;
      EXPECT_TRUE(fs::exists(p.at("path").get<std::string>())) << r.payload;
    }
    EXPECT_EQ(on_cluster.size(), (*local)->Count()) << space.embedder;
    size_t matched = 0;
    ASSERT_TRUE((*local)
                    ->ForEach([&](const Record& mine) {
                      for (const auto& [hash, theirs] : by_hash) {
                        if (Facts(theirs.payload) != Facts(mine.payload)) continue;
                        EXPECT_EQ(theirs.vector, mine.vector) << space.embedder << " " << hash;
                        EXPECT_EQ(theirs.binary, mine.binary) << space.embedder << " " << hash;
                        ++matched;
                      }
                      return true;
                    })
                    .ok());
    EXPECT_EQ(matched, on_cluster.size()) << space.embedder;
  }

  // The same command again: everything known, nothing indexed twice.
  const test::RunResult again =
      test::RunAlike(cli, "--json index --cluster " + cluster_->urls() + " --library " + kLibrary +
                              " --detach " + photos);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  const std::string second = test::JsonLines(again.out).at(0).at("job");
  auto second_watcher = JobWatcher::Create(*nats_, kLibrary, second);
  ASSERT_TRUE(second_watcher.ok()) << second_watcher.status().ToString();
  const JobCounts repeated = WaitForJob(second, **second_watcher, seconds(120));
  EXPECT_EQ(repeated.indexed, 0u);
  EXPECT_EQ(repeated.known, 13u);
  EXPECT_EQ(repeated.failed, 2u);  // the two broken files fail again
  b->Kill();
}

// In one process on the shared cluster (fast, and run under the sanitizers): a worker that takes an
// item and dies before acknowledging it loses nothing (the item comes again, split into one item a
// path), a missing file is reported once, and an item that is not one is dropped.
class IngestWorkerTest : public test::NatsClusterTest {};

TEST_F(IngestWorkerTest, AnItemNotAcknowledgedComesAgainSplitAndBadInputIsReportedOnce) {
  if (!fs::exists(kFlowers)) GTEST_SKIP() << kFlowers << " is absent";
  const std::string name = "ingestunit";
  auto describer = PictureDescriber::Open({"color"});
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  ASSERT_TRUE(
      CreateImageLibrary(*nats_, ImageLibraryFor(name, **describer), test::TestSettings(1)).ok());
  ASSERT_TRUE(AddIngestStreams(*nats_, name, 3, milliseconds(1000)).ok());
  std::vector<std::string> paths;
  for (const char* kind : {"daisy", "rose"}) {
    paths.push_back((*fs::directory_iterator(fs::path(kFlowers) / kind)).path().string());
  }
  paths.push_back(local_.Sub("missing.jpg"));
  auto queued = QueueJob(*nats_, name, "junit", {}, {.batch = 3, .listed = paths});
  ASSERT_TRUE(queued.ok()) << queued.status().ToString();
  EXPECT_EQ(queued->total, 3u);
  ASSERT_TRUE(nats_->Publish(WorkSubject(name), "[1, 2", "garbage", seconds(5)).ok());

  {
    // A worker that takes the job's one item and dies without acknowledging it.
    auto dying = nats_->SharedPullConsumer(WorkStreamName(name), WorkSubject(name), kIngestConsumer,
                                           milliseconds(1000));
    ASSERT_TRUE(dying.ok()) << dying.status().ToString();
    auto taken = (*dying)->Fetch(1, seconds(5));
    ASSERT_TRUE(taken.ok()) << taken.status().ToString();
    ASSERT_EQ(taken->size(), 1u);
    EXPECT_EQ(taken->front().deliveries(), 1u);
  }

  std::vector<std::string> seen;
  IngestWorkerOptions options;
  options.fetch_wait = milliseconds(500);
  options.on_event = [&](const std::string& job, const IngestEvent& e) {
    EXPECT_EQ(job, "junit");
    seen.push_back(fs::path(e.path).filename().string() + ":" + OutcomeName(e.outcome));
  };
  auto worker = IngestWorker::Create(*nats_, name, **describer, options);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  auto watcher = JobWatcher::Create(*nats_, name, "junit");
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  const JobCounts counts = test::WorkUntilFinished(**worker, **watcher, seconds(60));
  ASSERT_TRUE(counts.finished()) << counts.done();
  EXPECT_EQ(counts.indexed, 2u);
  EXPECT_EQ(counts.failed, 1u);
  ASSERT_EQ((*watcher)->failures().size(), 1u);
  EXPECT_NE((*watcher)->failures()[0].error.find("missing.jpg"), std::string::npos)
      << (*watcher)->failures()[0].error;
  // Each path once: the item came again as three items of one path each.
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen.size(), 3u) << ::testing::PrintToString(seen);
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
  // Nothing is left to work on: the garbage was dropped, the split items acknowledged.
  auto idle = (*worker)->WorkOnce();
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_FALSE(*idle);
}

// A publish of the item refused (here the events stream takes no message as large as an event):
// the worker does not acknowledge the item, which comes again and is then stored once.
TEST_F(IngestWorkerTest, AnItemWhosePublishIsRefusedIsNotAcknowledgedAndComesAgain) {
  if (!fs::exists(kFlowers)) GTEST_SKIP() << kFlowers << " is absent";
  const std::string name = "ingestrefused";
  auto describer = PictureDescriber::Open({"color"});
  ASSERT_TRUE(describer.ok()) << describer.status().ToString();
  ASSERT_TRUE(
      CreateImageLibrary(*nats_, ImageLibraryFor(name, **describer), test::TestSettings(1)).ok());
  ASSERT_TRUE(AddIngestStreams(*nats_, name, 3, milliseconds(1000)).ok());
  ASSERT_TRUE(nats_->DeleteStream(EventStreamName(name)).ok());
  ASSERT_TRUE(nats_
                  ->AddStream({.name = EventStreamName(name),
                               .subject = EventSubject(name, "*"),
                               .max_message_bytes = 16})
                  .ok());
  const std::string photo = (*fs::directory_iterator(fs::path(kFlowers) / "tulip")).path().string();
  ASSERT_TRUE(
      QueueJob(*nats_, name, "jrefused", {}, {.listed = std::vector<std::string>{photo}}).ok());

  IngestWorkerOptions options;
  options.fetch_wait = milliseconds(500);
  std::vector<IngestEvent> events;
  options.on_event = [&](const std::string&, const IngestEvent& e) { events.push_back(e); };
  auto worker = IngestWorker::Create(*nats_, name, **describer, options);
  ASSERT_TRUE(worker.ok()) << worker.status().ToString();
  auto refused = (*worker)->WorkOnce();
  ASSERT_FALSE(refused.ok()) << "the item was worked on although its event was refused";
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument) << refused.status().ToString();
  EXPECT_TRUE(events.empty());

  ASSERT_TRUE(nats_->DeleteStream(EventStreamName(name)).ok());
  ASSERT_TRUE(AddIngestStreams(*nats_, name, 3).ok());
  auto watcher = JobWatcher::Create(*nats_, name, "jrefused");
  ASSERT_TRUE(watcher.ok()) << watcher.status().ToString();
  const JobCounts counts = test::WorkUntilFinished(**worker, **watcher, seconds(30));
  ASSERT_TRUE(counts.finished()) << "the unacknowledged item did not come again";
  EXPECT_EQ(counts.failed, 0u);
  EXPECT_EQ(counts.done(), 1u);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(fs::path(events[0].path).filename(), fs::path(photo).filename());
  // Its vectors once: the second delivery found them stored (known) or was dropped by the ids.
  const std::string collection = ImageLibraryFor(name, **describer).spaces[0].collection;
  auto settings = ReadClusterSettings(*nats_, collection);
  ASSERT_TRUE(settings.ok()) << settings.status().ToString();
  const std::vector<Record> stored =
      StreamRecords(*nats_, collection, *settings, local_.Sub("refused-replicas"));
  EXPECT_EQ(stored.size(), 1u);
}

}  // namespace
}  // namespace alike::cluster
