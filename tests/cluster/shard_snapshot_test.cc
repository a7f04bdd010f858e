// Shard snapshots between replicas (snapshot_protocol.h, snapshot_service.h, shard_restore.h):
// the wire format refuses a damaged chunk; on the three-server NATS cluster, a restore installs a
// replica's copy over a stale one, while a transfer cut off (a replica that stops answering
// mid-transfer, a damaged chunk, a copy `accept` refuses) installs nothing, is reported naming
// the shard and each replica, and the next replica is asked; the serving replica deletes its
// copy when the transfer ends or is abandoned.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/shard_restore.h"
#include "cluster/snapshot_protocol.h"
#include "cluster/snapshot_service.h"
#include "testing/cluster_fixture.h"

namespace alike::cluster {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::kClusterOptions;

constexpr uint64_t kRecordsPerMessage = 40;

TEST(SnapshotProtocolTest, ChunksRoundTripAndEveryDamagedByteIsRefused) {
  const std::string data = "some bytes of a checkpoint";
  const std::string frame = EncodeSnapshotChunk(3, 4096, data);
  auto chunk = DecodeSnapshotChunk(frame);
  ASSERT_TRUE(chunk.ok()) << chunk.status().ToString();
  EXPECT_EQ(chunk->file, 3u);
  EXPECT_EQ(chunk->offset, 4096u);
  EXPECT_EQ(chunk->data, data);
  for (size_t i = 0; i < frame.size(); ++i) {
    std::string damaged = frame;
    damaged[i] ^= 0x04;
    EXPECT_EQ(DecodeSnapshotChunk(damaged).status().code(), Status::Code::kCorruption)
        << "byte " << i;
  }
  for (const size_t cut : {frame.size() - 1, size_t{10}}) {
    EXPECT_EQ(DecodeSnapshotChunk(frame.substr(0, cut)).status().code(), Status::Code::kCorruption);
  }
  auto error = DecodeSnapshotChunk(EncodeSnapshotError(Status::NotFound("no transfer x")));
  EXPECT_EQ(error.status().code(), Status::Code::kNotFound);
  EXPECT_EQ(error.status().message(), "no transfer x");

  const SnapshotManifest manifest{
      .transfer = "t-1",
      .chunk_bytes = 100,
      .files = {{.path = "ALIKE", .size = 48}, {.path = "collections/c-0/checkpoint", .size = 9}}};
  auto decoded = DecodeSnapshotManifest(EncodeSnapshotManifest(manifest));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(decoded->transfer, "t-1");
  EXPECT_EQ(decoded->chunk_bytes, 100u);
  ASSERT_EQ(decoded->files.size(), 2u);
  EXPECT_EQ(decoded->files[1].path, "collections/c-0/checkpoint");
  EXPECT_EQ(decoded->files[1].size, 9u);
  for (const std::string bad :
       {"../x", "/etc/passwd", "a//b", "collections/../../x", "", "a/./b"}) {
    SnapshotManifest unsafe = manifest;
    unsafe.files[0].path = bad;
    EXPECT_EQ(DecodeSnapshotManifest(EncodeSnapshotManifest(unsafe)).status().code(),
              Status::Code::kCorruption)
        << "'" << bad << "'";
  }

  EXPECT_EQ(ShardSnapshotSubject("c", 12, "n1"), "alike.c.snap.12.n1");
  EXPECT_EQ(NodeSnapshotSubjects("c", "n1"), "alike.c.snap.*.n1");
  auto shard = ShardOfSnapshotSubject("alike.c.snap.12.n1");
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(*shard, 12u);
  auto named_snap = ShardOfSnapshotSubject(ShardSnapshotSubject("snap", 3, "snap"));
  ASSERT_TRUE(named_snap.ok()) << named_snap.status().ToString();
  EXPECT_EQ(*named_snap, 3u);
  for (const char* bad :
       {"alike.c.q.12.n1", "alike.c.snap.x.n1", "alike.c.snap.12", "alike.snap.q.snap.1.n1"}) {
    EXPECT_FALSE(ShardOfSnapshotSubject(bad).ok()) << bad;
  }
  auto request = DecodeSnapshotRequest(EncodeSnapshotRequest(
      {.op = SnapshotRequest::Op::kChunk, .transfer = "t-1", .file = 2, .offset = 77}));
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->op, SnapshotRequest::Op::kChunk);
  EXPECT_EQ(request->transfer, "t-1");
  EXPECT_EQ(request->file, 2u);
  EXPECT_EQ(request->offset, 77u);
  EXPECT_EQ(DecodeSnapshotRequest(R"({"op": "drop"})").status().code(),
            Status::Code::kInvalidArgument);
}

// Stands in for a replica on node `node`: passes the first `answered` snapshot requests on to
// the replica on node `to`, and its replies back (with the last byte of every chunk flipped if
// `damage_chunks`); then neither passes on nor answers anything, as a replica that died.
class ReplicaProxy {
 public:
  ReplicaProxy(const std::string& urls, const std::string& collection, const std::string& node,
               const std::string& to, int answered, bool damage_chunks) {
    auto nats = NatsConnection::Connect({.servers = urls});
    EXPECT_TRUE(nats.ok()) << nats.status().ToString();
    if (!nats.ok()) return;
    nats_ = std::move(*nats);
    auto subscription = nats_->Subscribe(
        NodeSnapshotSubjects(collection, node), "", [=, this](const IncomingMessage& m) {
          auto shard = ShardOfSnapshotSubject(m.subject);
          if (!shard.ok() || requests_++ >= answered) return;
          auto reply =
              nats_->Request(ShardSnapshotSubject(collection, *shard, to), m.data, seconds(5));
          if (!reply.ok()) return;
          if (damage_chunks && reply->starts_with("ASC1")) reply->back() ^= 0x01;
          nats_->Respond(m.reply, *reply);
        });
    EXPECT_TRUE(subscription.ok()) << subscription.status().ToString();
    if (subscription.ok()) subscription_ = std::move(*subscription);
  }

 private:
  int requests_ = 0;  // the subscription's delivery thread only
  std::unique_ptr<NatsConnection> nats_;
  std::unique_ptr<Subscription> subscription_;  // last: gone before the rest
};

class ShardSnapshotTest : public test::NatsClusterTest {
 protected:
  // Collection `name` of `db`, as a replica that applied `messages` stream messages of
  // kRecordsPerMessage records each (ids from first_id on), checkpointed halfway so that a
  // snapshot holds a checkpoint and a log.
  std::shared_ptr<Collection> MakeShard(Database& db, const std::string& name, uint64_t messages,
                                        uint64_t first_id) {
    auto collection = db.CreateCollection(name, kClusterOptions);
    EXPECT_TRUE(collection.ok()) << collection.status().ToString();
    if (!collection.ok()) return nullptr;
    for (uint64_t seq = 1; seq <= messages; ++seq) {
      auto record = EncodeUpsertLogRecord(
          kClusterOptions,
          test::MakeClusterRecords(first_id + (seq - 1) * kRecordsPerMessage, kRecordsPerMessage));
      EXPECT_TRUE(record.ok());
      EXPECT_TRUE((*collection)->ApplyReplicated(*record, seq).ok());
      if (seq == messages / 2) {
        EXPECT_TRUE((*collection)->Checkpoint().ok());
      }
    }
    return *collection;
  }

  static std::vector<std::string> Entries(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      names.push_back(entry.path().filename());
    }
    return names;
  }
};

TEST_F(ShardSnapshotTest, ACutOffOrDamagedTransferInstallsNothingAndTheNextReplicaIsAsked) {
  auto donor_db = Database::Open(local_.Sub("donor"));
  ASSERT_TRUE(donor_db.ok());
  std::shared_ptr<Collection> donor = MakeShard(**donor_db, "snap-0", 30, 0);
  ASSERT_TRUE(donor);
  const std::string donor_transfers = local_.Sub("donor-transfers");
  auto service = ShardSnapshotService::Start(
      *nats_, **donor_db, "snap", "donor", donor_transfers,
      [](uint32_t shard) -> Result<std::string> {
        if (shard == 0) return std::string("snap-0");
        return Status::NotFound("the donor does not serve shard " + std::to_string(shard));
      },
      {.chunk_bytes = 4096, .idle_timeout = milliseconds(500)});
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  constexpr int kAll = 1 << 30;
  ReplicaProxy damaging(cluster_->urls(), "snap", "damaging", "donor", kAll, true);
  // The beginning and two chunks, then silence.
  ReplicaProxy silent(cluster_->urls(), "snap", "silent", "donor", 3, false);

  auto receiver_db = Database::Open(local_.Sub("receiver"));
  ASSERT_TRUE(receiver_db.ok());
  std::shared_ptr<Collection> stale = MakeShard(**receiver_db, "snap-0", 5, 100000);
  ASSERT_TRUE(stale);
  auto receiver = NatsConnection::Connect({.servers = cluster_->urls(), .timeout = seconds(1)});
  ASSERT_TRUE(receiver.ok());
  ShardRestore restore{.collection = "snap",
                       .shard = 0,
                       .local_name = "snap-0",
                       .replicas = {"damaging", "silent", "nobody"},
                       .staging_dir = local_.Sub("receiver") + "/transfers/in-0",
                       .timeout = seconds(30)};
  auto failed = RestoreShard(**receiver, **receiver_db, restore);
  ASSERT_FALSE(failed.ok());
  const std::string& why = failed.status().message();
  EXPECT_NE(why.find("shard 0 of 'snap'"), std::string::npos) << why;
  const size_t damaged_at = why.find("'damaging': corruption");
  const size_t silent_at = why.find("'silent': io error");
  const size_t nobody_at = why.find("'nobody': io error");
  EXPECT_NE(damaged_at, std::string::npos) << why;
  EXPECT_NE(silent_at, std::string::npos) << why;
  EXPECT_NE(nobody_at, std::string::npos) << why;
  EXPECT_NE(why.find("fails its checksum"), std::string::npos) << why;
  EXPECT_LT(why.find("fails its checksum"), silent_at) << why;

  // Nothing was installed: the stale copy is as it was and goes on applying; nothing staged is
  // left.
  EXPECT_EQ(stale->Count(), 5 * kRecordsPerMessage);
  EXPECT_EQ(stale->replicated_seq(), 5u);
  auto sixth = EncodeUpsertLogRecord(kClusterOptions, test::MakeClusterRecords(200000, 1));
  ASSERT_TRUE(sixth.ok());
  EXPECT_TRUE(stale->ApplyReplicated(*sixth, 6).ok());
  EXPECT_FALSE(std::filesystem::exists(restore.staging_dir));
  EXPECT_EQ(Entries(local_.Sub("receiver") + "/collections"), std::vector<std::string>{"snap-0"});
  // The donor deleted both copies: the damaged transfer's when the receiver ended it, the cut-off
  // one's once it was abandoned.
  for (int wait = 0; wait < 100 && (*service)->transfers() > 0; ++wait) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_EQ((*service)->transfers(), 0u);
  EXPECT_TRUE(Entries(donor_transfers).empty());

  restore.replicas = {"damaging", "donor"};
  auto restored = RestoreShard(**receiver, **receiver_db, restore);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ((*restored)->replicated_seq(), 30u);
  EXPECT_EQ((*restored)->Count(), donor->Count());
  ASSERT_TRUE(donor
                  ->ForEach([&](const Record& want) {
                    auto got = (*restored)->Get(want.id);
                    EXPECT_TRUE(got.ok()) << "record " << want.id;
                    if (got.ok()) {
                      EXPECT_EQ(got->vector, want.vector) << "record " << want.id;
                      EXPECT_EQ(got->payload, want.payload) << "record " << want.id;
                    }
                    return got.ok();
                  })
                  .ok());
  EXPECT_FALSE(stale->ApplyReplicated(*sixth, 7).ok()) << "the replaced copy takes no more";
  EXPECT_EQ((*service)->transfers(), 0u) << "the receiver ended the transfer";
  EXPECT_FALSE(std::filesystem::exists(restore.staging_dir));

  // A copy that `accept` refuses is not installed; a shard the replica does not serve is refused.
  restore.replicas = {"donor"};
  restore.accept = [](const Collection& c) {
    return Status::FailedPrecondition("refused at sequence " + std::to_string(c.replicated_seq()));
  };
  auto refused = RestoreShard(**receiver, **receiver_db, restore);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("refused at sequence 30"), std::string::npos)
      << refused.status().ToString();
  EXPECT_TRUE((*restored)->ApplyReplicated(*sixth, 31).ok()) << "the installed copy stays";
  restore.shard = 1;
  restore.accept = nullptr;
  auto unserved = RestoreShard(**receiver, **receiver_db, restore);
  ASSERT_FALSE(unserved.ok());
  EXPECT_NE(unserved.status().message().find("does not serve shard 1"), std::string::npos)
      << unserved.status().ToString();
  restore.replicas = {};
  EXPECT_EQ(RestoreShard(**receiver, **receiver_db, restore).status().code(),
            Status::Code::kNotFound);
}

}  // namespace
}  // namespace alike::cluster
