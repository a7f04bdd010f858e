// Damaged files on disk, as a crash, a full disk or a bad sector leaves them: recovery cuts what
// can be cut and reports what cannot, naming the file; it never misreads or crashes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "alike/vector_db.h"
#include "testing/temp_dir.h"

namespace alike {
namespace {

namespace fs = std::filesystem;

std::vector<Record> Records(uint64_t first, size_t n) {
  std::vector<Record> rs(n);
  for (size_t i = 0; i < n; ++i) {
    rs[i].id = first + i;
    rs[i].vector = {static_cast<float>(i), 1.0f, -static_cast<float>(i % 7)};
    rs[i].payload = R"({"n":)" + std::to_string(i) + "}";
  }
  return rs;
}

class RecoveryTest : public ::testing::Test {
 protected:
  // A collection with 100 records in its checkpoint and 20 more in its log.
  void SetUp() override {
    auto db = Database::Open(path_);
    ASSERT_TRUE(db.ok());
    auto c = (*db)->CreateCollection("c", {.dimension = 3, .metric = Metric::kL2});
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Records(0, 100)).ok());
    ASSERT_TRUE((*c)->Checkpoint().ok());
    ASSERT_TRUE((*c)->Upsert(Records(100, 20)).ok());
  }

  std::string CollectionFile(const std::string& prefix) const {
    for (const auto& e : fs::directory_iterator(path_ + "/collections/c")) {
      if (e.path().filename().string().rfind(prefix, 0) == 0) return e.path().string();
    }
    return "";
  }

  static void FlipByte(const std::string& file, std::streamoff from_end) {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-from_end, std::ios::end);
    char c;
    f.get(c);
    f.seekp(-from_end, std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }

  test::TempDir dir_;
  std::string path_ = dir_.Sub("db");
};

TEST_F(RecoveryTest, GarbageAfterTheLastLogRecordIsCutAndNothingIsLost) {
  {
    std::ofstream log(CollectionFile("wal-"), std::ios::binary | std::ios::app);
    log << "\x13\x37garbage of a torn write";
  }
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto c = (*db)->GetCollection("c");
  EXPECT_EQ((*c)->Count(), 120u);
  // The log accepts new writes after the cut, and they survive another reopen.
  ASSERT_TRUE((*c)->Upsert(Records(500, 1)).ok());
  db->reset();
  db = Database::Open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ((*(*db)->GetCollection("c"))->Count(), 121u);
}

TEST_F(RecoveryTest, ACorruptLastLogRecordIsDroppedWhole) {
  FlipByte(CollectionFile("wal-"), 5);  // inside the payload of the 20-record batch
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*(*db)->GetCollection("c"))->Count(), 100u);
}

TEST_F(RecoveryTest, ACorruptCheckpointIsReportedNamingTheFile) {
  FlipByte(CollectionFile("checkpoint"), 200);
  auto db = Database::Open(path_);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), Status::Code::kCorruption) << db.status().ToString();
  EXPECT_NE(db.status().message().find("checkpoint"), std::string::npos) << db.status().ToString();
}

TEST_F(RecoveryTest, ATruncatedCheckpointIsReportedNotMisread) {
  const std::string file = CollectionFile("checkpoint");
  for (uint64_t keep :
       {uint64_t{0}, uint64_t{7}, uint64_t{40}, fs::file_size(file) / 2, fs::file_size(file) - 1}) {
    const std::string copy = dir_.Sub("copy");
    fs::remove_all(copy);
    fs::copy(path_, copy, fs::copy_options::recursive);
    fs::remove(copy + "/LOCK");
    fs::resize_file(copy + "/collections/c/checkpoint", keep);
    auto db = Database::Open(copy);
    ASSERT_FALSE(db.ok()) << "kept " << keep << " bytes";
    EXPECT_EQ(db.status().code(), Status::Code::kCorruption) << db.status().ToString();
  }
}

TEST_F(RecoveryTest, AnInterruptedCheckpointIsDiscarded) {
  std::ofstream(path_ + "/collections/c/checkpoint.tmp") << "half a checkpoint";
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*(*db)->GetCollection("c"))->Count(), 120u);
  EXPECT_FALSE(fs::exists(path_ + "/collections/c/checkpoint.tmp"));
}

TEST_F(RecoveryTest, AnInterruptedCreateOrDropLeavesNoCollectionBehind) {
  fs::create_directories(path_ + "/collections/.creating-half");
  fs::create_directories(path_ + "/collections/.dropping-old");
  auto db = Database::Open(path_);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_EQ((*db)->ListCollections(), std::vector<std::string>{"c"});
  EXPECT_FALSE(fs::exists(path_ + "/collections/.creating-half"));
}

TEST_F(RecoveryTest, OptionsFromANewerAlikeAreRefused) {
  std::ofstream(path_ + "/collections/c/options.json")
      << R"({"dimension":3,"metric":"l2","index":"hnsw","quantum":true})";
  auto db = Database::Open(path_);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.status().message().find("quantum"), std::string::npos) << db.status().ToString();
}

}  // namespace
}  // namespace alike
