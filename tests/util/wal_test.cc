#include "util/wal.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "util/crc32c.h"
#include "util/file.h"

namespace alike {
namespace {

// The size, or UINT64_MAX so that a failed stat fails the comparison instead of crashing the test.
uint64_t SizeOf(const std::string& path) {
  auto size = FileSize(path);
  return size.ok() ? *size : UINT64_MAX;
}

using Record = std::pair<uint8_t, std::string>;

class WalTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "alike_wal_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/wal";
  }
  void TearDown() override { EXPECT_TRUE(RemoveAll(dir_).ok()); }

  void WriteLog(const std::vector<Record>& records, bool sync = false) {
    auto writer = WalWriter::Open(path_, sync);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    for (const auto& [type, payload] : records) {
      ASSERT_TRUE((*writer)->Append(type, payload).ok());
    }
    ASSERT_TRUE((*writer)->Close().ok());
  }

  // Replays path_, failing the test on error.
  std::vector<Record> Replay(WalReadStats* stats = nullptr) {
    std::vector<Record> out;
    Status s = ReadWal(
        path_,
        [&](uint8_t type, std::string_view payload) {
          out.emplace_back(type, std::string(payload));
          return Status::OK();
        },
        stats);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return out;
  }

  Status ReplayStatus() {
    return ReadWal(
        path_, [](uint8_t, std::string_view) { return Status::OK(); }, nullptr);
  }

  std::string Contents() {
    auto content = ReadFileToString(path_);
    EXPECT_TRUE(content.ok()) << content.status().ToString();
    return content.ok() ? *content : std::string();
  }

  // Overwrites the log without syncing: test setup, not a durability path.
  void SetContents(const std::string& data) {
    ASSERT_TRUE(RemoveAll(path_).ok());
    auto f = AppendFile::Open(path_);
    ASSERT_TRUE(f.ok());
    ASSERT_TRUE((*f)->Append(data.data(), data.size()).ok());
    ASSERT_TRUE((*f)->Close().ok());
  }

  std::string dir_;
  std::string path_;
};

std::string Payload(size_t n, char seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(seed + i * 31);
  return s;
}

// Record header fields for hand-built logs.
std::string RecordHeader(uint32_t masked_crc, uint32_t length, uint8_t type) {
  std::string h(kWalRecordHeaderSize, '\0');
  std::memcpy(h.data(), &masked_crc, 4);
  std::memcpy(h.data() + 4, &length, 4);
  h[8] = static_cast<char>(type);
  return h;
}

TEST_F(WalTest, MissingFileIsAnEmptyLog) {
  WalReadStats stats;
  stats.records = 99;
  EXPECT_TRUE(Replay(&stats).empty());
  EXPECT_EQ(stats.records, 0u);
  EXPECT_EQ(stats.truncated_bytes, 0u);
  EXPECT_FALSE(FileExists(path_));
}

TEST_F(WalTest, NewLogHasOnlyTheHeader) {
  WriteLog({});
  std::string content = Contents();
  ASSERT_EQ(content.size(), kWalFileHeaderSize);
  EXPECT_EQ(content.substr(0, 8), "ALIKEWAL");
  uint32_t version;
  std::memcpy(&version, content.data() + 8, 4);
  EXPECT_EQ(version, 1u);
  EXPECT_TRUE(Replay().empty());
  EXPECT_FALSE(FileExists(path_ + ".tmp"));
}

TEST_F(WalTest, RoundTripsRecordsOfVariedSizes) {
  std::vector<Record> records;
  for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{8}, size_t{9}, size_t{255}, size_t{4096},
                   size_t{1} << 20, size_t{0}, size_t{77}}) {
    records.emplace_back(static_cast<uint8_t>(records.size() * 37), Payload(n, 'a'));
  }
  records.emplace_back(255, "");
  WriteLog(records);
  WalReadStats stats;
  EXPECT_EQ(Replay(&stats), records);
  EXPECT_EQ(stats.records, records.size());
  EXPECT_EQ(stats.truncated_bytes, 0u);
  EXPECT_EQ(stats.valid_bytes, Contents().size());
}

TEST_F(WalTest, SyncEachWriteAndSizeTracking) {
  auto writer = WalWriter::Open(path_, /*sync_each_write=*/true);
  ASSERT_TRUE(writer.ok());
  EXPECT_EQ((*writer)->size(), kWalFileHeaderSize);
  ASSERT_TRUE((*writer)->Append(1, "abc").ok());
  EXPECT_EQ((*writer)->size(), kWalFileHeaderSize + kWalRecordHeaderSize + 3);
  ASSERT_TRUE((*writer)->Sync().ok());
  EXPECT_EQ(SizeOf(path_), (*writer)->size());
  EXPECT_EQ(Replay(), (std::vector<Record>{{1, "abc"}}));
}

TEST_F(WalTest, ReopenAppendsAfterExistingRecords) {
  WriteLog({{1, "one"}, {2, "two"}});
  EXPECT_EQ(Replay().size(), 2u);
  WriteLog({{3, "three"}});
  EXPECT_EQ(Replay(), (std::vector<Record>{{1, "one"}, {2, "two"}, {3, "three"}}));
}

TEST_F(WalTest, EveryTruncationKeepsExactlyTheCompleteRecords) {
  const std::vector<Record> records = {
      {1, ""}, {2, "x"}, {3, Payload(7, 'q')}, {4, Payload(20, 'r')}};
  // Small on purpose: every cut costs an fsync (the repair), and there is one cut per byte.
  WriteLog(records);
  const std::string full = Contents();
  std::vector<uint64_t> ends = {kWalFileHeaderSize};  // ends[i]: end of the first i records.
  for (const auto& r : records) {
    ends.push_back(ends.back() + kWalRecordHeaderSize + r.second.size());
  }
  ASSERT_EQ(ends.back(), full.size());

  for (size_t cut = 0; cut <= full.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    SetContents(full.substr(0, cut));
    size_t complete = 0;
    while (complete < records.size() && ends[complete + 1] <= cut) ++complete;
    // Below the header size only a torn creation is possible: the whole file goes.
    const uint64_t boundary = cut < kWalFileHeaderSize ? 0 : ends[complete];

    WalReadStats stats;
    std::vector<Record> got = Replay(&stats);
    ASSERT_EQ(got, std::vector<Record>(records.begin(), records.begin() + complete));
    ASSERT_EQ(stats.valid_bytes, boundary);
    ASSERT_EQ(stats.truncated_bytes, cut - boundary);
    ASSERT_EQ(SizeOf(path_), boundary);

    // The repaired log accepts appends that a later replay sees.
    WriteLog({{9, "after"}});
    got = Replay(&stats);
    ASSERT_EQ(got.size(), complete + 1);
    ASSERT_EQ(got.back(), Record(9, "after"));
    ASSERT_EQ(stats.truncated_bytes, 0u);
  }
}

TEST_F(WalTest, CorruptPayloadDropsThatRecordAndAllAfter) {
  const std::vector<Record> records = {{1, "alpha"}, {2, "bravo"}, {3, "charlie"}, {4, "delta"}};
  WriteLog(records);
  const std::string full = Contents();
  const size_t third_start = kWalFileHeaderSize + 2 * kWalRecordHeaderSize + 5 + 5;
  // Damage the payload, the type, the length and the checksum of the third record in turn.
  for (size_t offset : {third_start + kWalRecordHeaderSize + 3, third_start + 8, third_start + 5,
                        third_start + 1}) {
    SCOPED_TRACE("flip at " + std::to_string(offset));
    std::string damaged = full;
    damaged[offset] ^= 0x10;
    SetContents(damaged);
    WalReadStats stats;
    EXPECT_EQ(Replay(&stats), std::vector<Record>(records.begin(), records.begin() + 2));
    EXPECT_EQ(stats.valid_bytes, third_start);
    EXPECT_EQ(stats.truncated_bytes, full.size() - third_start);
    EXPECT_EQ(Contents(), full.substr(0, third_start));
  }
}

TEST_F(WalTest, ZeroFilledTailIsTruncated) {
  // What a file system that extended the size but never wrote the data leaves behind.
  WriteLog({{1, "kept"}});
  const std::string good = Contents();
  SetContents(good + std::string(100, '\0'));
  WalReadStats stats;
  EXPECT_EQ(Replay(&stats), (std::vector<Record>{{1, "kept"}}));
  EXPECT_EQ(stats.truncated_bytes, 100u);
  EXPECT_EQ(Contents(), good);
}

TEST_F(WalTest, BadMagicIsCorruption) {
  SetContents("NOTAWAL!\x01\0\0\0\0\0\0\0 and then some");
  const std::string before = Contents();
  Status s = ReplayStatus();
  EXPECT_EQ(s.code(), Status::Code::kCorruption);
  EXPECT_EQ(s.message(), path_ + ": not an alike write-ahead log");
  EXPECT_EQ(Contents(), before);  // Someone else's file is never truncated.
  auto writer = WalWriter::Open(path_, false);
  ASSERT_FALSE(writer.ok());
  EXPECT_EQ(writer.status().code(), Status::Code::kCorruption);

  SetContents("JUNK");  // Shorter than a header and not a torn one.
  EXPECT_EQ(ReplayStatus().code(), Status::Code::kCorruption);
}

TEST_F(WalTest, NewerVersionIsNotSupported) {
  WriteLog({{1, "x"}});
  std::string content = Contents();
  const uint32_t version = 2;
  std::memcpy(content.data() + 8, &version, 4);
  SetContents(content);
  Status s = ReplayStatus();
  EXPECT_EQ(s.code(), Status::Code::kNotSupported);
  EXPECT_NE(s.message().find("version 2"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find(path_), std::string::npos);
  EXPECT_EQ(WalWriter::Open(path_, false).status().code(), Status::Code::kNotSupported);
}

TEST_F(WalTest, HugeLengthIsATornTailNotAnAllocation) {
  WriteLog({{1, "good"}});
  const std::string good = Contents();
  SetContents(good + RecordHeader(0x12345678, 0xfffffff0u, 7) + "garbage");
  WalReadStats stats;
  EXPECT_EQ(Replay(&stats), (std::vector<Record>{{1, "good"}}));
  EXPECT_EQ(stats.truncated_bytes, kWalRecordHeaderSize + 7);
  EXPECT_EQ(Contents(), good);

  // A length just over the limit with that many bytes really present (a sparse file): only the
  // 1 GiB bound stands between it and a 1 GiB allocation.
  SetContents(good + RecordHeader(0, static_cast<uint32_t>(kWalMaxPayload + 1), 7));
  ASSERT_TRUE(TruncateFile(path_, good.size() + kWalRecordHeaderSize + kWalMaxPayload + 8).ok());
  EXPECT_EQ(Replay(&stats).size(), 1u);
  EXPECT_EQ(SizeOf(path_), good.size());
}

TEST_F(WalTest, CallbackErrorStopsReplayWithoutTruncating) {
  WriteLog({{1, "a"}, {2, "b"}, {3, "c"}});
  const std::string full = Contents();
  SetContents(full + "torn");
  int seen = 0;
  Status s = ReadWal(
      path_,
      [&](uint8_t type, std::string_view) {
        ++seen;
        return type == 2 ? Status::InvalidArgument("bad record") : Status::OK();
      },
      nullptr);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(Contents().size(), full.size() + 4);
}

TEST_F(WalTest, RefusesPayloadsOverTheLimit) {
  // Address space only: the pages are never touched, since the size is checked first.
  const size_t n = kWalMaxPayload + 1;
  void* p = ::mmap(nullptr, n, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  auto writer = WalWriter::Open(path_, false);
  ASSERT_TRUE(writer.ok());
  Status s = (*writer)->Append(1, std::string_view(static_cast<const char*>(p), n));
  ::munmap(p, n);
  EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
  EXPECT_EQ((*writer)->size(), kWalFileHeaderSize);
  ASSERT_TRUE((*writer)->Append(2, "still fine").ok());
  EXPECT_EQ(Replay(), (std::vector<Record>{{2, "still fine"}}));
}

}  // namespace
}  // namespace alike
