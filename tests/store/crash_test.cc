// Crash test: a writer process is SIGKILLed at random moments, again and again. After each kill
// the database is reopened and must hold exactly the acknowledged writes, plus possibly the one
// write that was in flight, whole or not at all. Small checkpoint and compaction thresholds make
// kills land inside checkpoints and purges too, not only inside log appends.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "alike/vector_db.h"
#include "testing/child_process.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

constexpr uint32_t kDim = 16;
constexpr uint64_t kIdSpace = 400;

struct Stored {
  std::vector<float> vector;
  std::string payload;
  bool operator==(const Stored&) const = default;
};
using Model = std::map<uint64_t, Stored>;

DatabaseOptions CrashOptions() {
  DatabaseOptions o;
  o.checkpoint_log_bytes = 32 << 10;
  o.compact_deleted_fraction = 0.25;
  return o;
}

// Operation `n` of the deterministic write sequence: every fourth one deletes, the rest upsert
// 1-40 records over a small id space, so upserts also replace.
struct Op {
  std::vector<Record> upserts;
  std::vector<uint64_t> deletes;
};

Op MakeOp(uint64_t n) {
  std::mt19937_64 rng(n * 7919 + 1);
  Op op;
  if (n % 4 == 3) {
    for (int i = 0, count = 1 + rng() % 30; i < count; ++i) op.deletes.push_back(rng() % kIdSpace);
    return op;
  }
  std::normal_distribution<float> normal;
  for (int i = 0, count = 1 + rng() % 40; i < count; ++i) {
    Record r;
    r.id = rng() % kIdSpace;
    r.vector.resize(kDim);
    for (auto& x : r.vector) x = normal(rng);
    r.payload = nlohmann::json{{"op", n}, {"tag", std::string(rng() % 50, 'x')}}.dump();
    op.upserts.push_back(std::move(r));
  }
  return op;
}

void ApplyToModel(const Op& op, Model* model) {
  for (const auto& r : op.upserts) (*model)[r.id] = {r.vector, r.payload};
  for (uint64_t id : op.deletes) model->erase(id);
}

// The child: applies operations from `first` on, and after each acknowledged one writes its
// number to the pipe. It never returns; the parent kills it.
[[noreturn]] void RunWriter(const std::string& path, uint64_t first, int ack_fd) {
  auto db = Database::Open(path, CrashOptions());
  if (!db.ok()) _exit(3);
  auto c = (*db)->GetCollection("crash");
  if (!c.ok()) _exit(4);
  for (uint64_t n = first;; ++n) {
    Op op = MakeOp(n);
    Status s = op.upserts.empty() ? (*c)->Delete(op.deletes).status() : (*c)->Upsert(op.upserts);
    if (!s.ok()) _exit(5);
    if (write(ack_fd, &n, sizeof(n)) != sizeof(n)) _exit(6);
  }
}

Model ReadBack(Collection& c) {
  Model m;
  EXPECT_TRUE(c.ForEach([&](const Record& r) {
                 // Payload text is canonical JSON, as the model's is.
                 m[r.id] = {r.vector, r.payload};
                 return true;
               }).ok());
  return m;
}

// Per index kind: sq8 serves its checkpointed vectors from a memory map of the checkpoint, which
// every checkpoint replaces, so kills inside checkpoints test that path too.
class CrashTest : public ::testing::TestWithParam<IndexKind> {};

TEST_P(CrashTest, KillNineAtRandomMomentsLosesNoAcknowledgedWrite) {
  test::TempDir dir;
  const std::string path = dir.Sub("db");
  {
    auto db = Database::Open(path, CrashOptions());
    ASSERT_TRUE(db.ok());
    const CollectionOptions options{.dimension = kDim, .metric = Metric::kL2, .index = GetParam()};
    ASSERT_TRUE((*db)->CreateCollection("crash", options).ok());
  }
  const int rounds =
      std::getenv("ALIKE_CRASH_ROUNDS") ? std::atoi(std::getenv("ALIKE_CRASH_ROUNDS")) : 60;
  std::mt19937 rng(12345);
  Model model;  // state after operations [0, applied)
  uint64_t applied = 0;
  int in_flight_landed = 0;
  for (int round = 0; round < rounds; ++round) {
    const test::Child child =
        test::ForkWithPipe([&](int ack_fd) { RunWriter(path, applied, ack_fd); });
    // Kill at a random moment: sometimes during open and recovery, mostly amid writes.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 150000));
    kill(child.pid, SIGKILL);
    const int status = test::WaitFor(child);
    ASSERT_TRUE(WIFSIGNALED(status)) << "writer exited early with " << WEXITSTATUS(status);
    uint64_t n, acked_end = applied;  // one past the last acknowledged operation
    while (read(child.read_fd, &n, sizeof(n)) == sizeof(n)) {
      ASSERT_EQ(n, acked_end);
      acked_end = n + 1;
    }
    close(child.read_fd);
    for (uint64_t i = applied; i < acked_end; ++i) ApplyToModel(MakeOp(i), &model);
    applied = acked_end;

    auto db = Database::Open(path, CrashOptions());
    ASSERT_TRUE(db.ok()) << "round " << round << ": " << db.status().ToString();
    auto c = (*db)->GetCollection("crash");
    ASSERT_TRUE(c.ok());
    Model on_disk = ReadBack(**c);
    if (on_disk != model) {
      // Only the operation in flight at the kill may have landed, and only whole.
      Model with_next = model;
      ApplyToModel(MakeOp(applied), &with_next);
      ASSERT_TRUE(on_disk == with_next)
          << "round " << round << ": database holds neither the acknowledged state nor it plus "
          << "the in-flight write (" << on_disk.size() << " records, expected " << model.size()
          << " or " << with_next.size() << ")";
      model = std::move(with_next);
      ++applied;
      ++in_flight_landed;
    }
    // Searches over the recovered index find stored vectors.
    if (!model.empty()) {
      const auto& [id, stored] = *model.begin();
      auto hits = (*c)->Search({.vector = stored.vector}, {.k = 1});
      ASSERT_TRUE(hits.ok());
      ASSERT_EQ(hits->size(), 1u);
      EXPECT_EQ((*hits)[0].distance, 0.0f);
    }
  }
  std::printf("crash test: %d rounds, %llu operations acknowledged, %d in-flight writes landed\n",
              rounds, static_cast<unsigned long long>(applied), in_flight_landed);
  EXPECT_GT(applied, static_cast<uint64_t>(rounds))
      << "the writer must get work done between kills";
}

INSTANTIATE_TEST_SUITE_P(Kinds, CrashTest, ::testing::Values(IndexKind::kHnsw, IndexKind::kSq8),
                         [](const auto& info) { return std::string(IndexKindName(info.param)); });

}  // namespace
}  // namespace alike
