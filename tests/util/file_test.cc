#include "util/file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>
#include <string>
#include <vector>

#include "util/crc32c.h"

namespace alike {
namespace {

// The size, or UINT64_MAX so that a failed stat fails the comparison instead of crashing the test.
uint64_t SizeOf(const std::string& path) {
  auto size = FileSize(path);
  return size.ok() ? *size : UINT64_MAX;
}

class FileTest : public testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = testing::TempDir() + "alike_file_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { EXPECT_TRUE(RemoveAll(dir_).ok()); }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  std::string dir_;
};

std::string RandomString(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(FileTest, AppendFileAppendsTruncatesAndReopens) {
  const std::string path = Path("log");
  {
    auto f = AppendFile::Open(path);
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_EQ((*f)->size(), 0u);
    ASSERT_TRUE((*f)->Append("hello ", 6).ok());
    ASSERT_TRUE((*f)->Append("world", 5).ok());
    EXPECT_EQ((*f)->size(), 11u);
    ASSERT_TRUE((*f)->Sync().ok());
    ASSERT_TRUE((*f)->Truncate(5).ok());
    EXPECT_EQ((*f)->size(), 5u);
    ASSERT_TRUE((*f)->Append("!", 1).ok());  // Continues from the cut, not the old end.
    ASSERT_TRUE((*f)->Close().ok());
    EXPECT_EQ((*f)->Append("x", 1).code(), Status::Code::kFailedPrecondition);
  }
  auto f = AppendFile::Open(path);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ((*f)->size(), 6u);
  ASSERT_TRUE((*f)->Append("?", 1).ok());
  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "hello!?");
}

TEST_F(FileTest, ErrorsNameThePath) {
  const std::string missing = Path("missing");
  auto content = ReadFileToString(missing);
  ASSERT_FALSE(content.ok());
  EXPECT_EQ(content.status().code(), Status::Code::kIOError);
  EXPECT_NE(content.status().message().find(missing), std::string::npos);
  EXPECT_NE(content.status().message().find("No such file"), std::string::npos);
  EXPECT_FALSE(FileSize(missing).ok());
  EXPECT_FALSE(FileExists(missing));
  EXPECT_FALSE(AppendFile::Open(Path("no/such/dir/log")).ok());
}

TEST_F(FileTest, ReadFileToStringReadsEmptyAndLargeFiles) {
  ASSERT_TRUE(WriteFileAtomically(Path("empty"), "").ok());
  auto empty = ReadFileToString(Path("empty"));
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, "");
  const std::string big = RandomString(3 << 20, 7);
  ASSERT_TRUE(WriteFileAtomically(Path("big"), big).ok());
  auto read = ReadFileToString(Path("big"));
  ASSERT_TRUE(read.ok());
  EXPECT_TRUE(*read == big);
}

TEST_F(FileTest, ReadFileRangeReadsFromAnOffsetUpToTheEnd) {
  const std::string data = RandomString(10000, 3);
  ASSERT_TRUE(WriteFileAtomically(Path("f"), data).ok());
  auto middle = ReadFileRange(Path("f"), 4000, 1000);
  ASSERT_TRUE(middle.ok()) << middle.status().ToString();
  EXPECT_TRUE(*middle == data.substr(4000, 1000));
  auto tail = ReadFileRange(Path("f"), 9500, 1000);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(*tail == data.substr(9500)) << "fewer bytes at the end";
  auto past = ReadFileRange(Path("f"), 20000, 10);
  ASSERT_TRUE(past.ok());
  EXPECT_TRUE(past->empty());
  auto missing = ReadFileRange(Path("missing"), 0, 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find(Path("missing")), std::string::npos);
}

TEST_F(FileTest, WriteFileAtomicallyReplacesContent) {
  const std::string path = Path("MANIFEST");
  ASSERT_TRUE(WriteFileAtomically(path, "first version").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, "second");
  EXPECT_FALSE(FileExists(path + ".tmp"));
  auto size = FileSize(path);
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(*size, 6u);
  EXPECT_FALSE(WriteFileAtomically(Path("no/dir/x"), "data").ok());
}

TEST_F(FileTest, ListDirReturnsSortedNamesOnly) {
  ASSERT_TRUE(WriteFileAtomically(Path("b"), "1").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("a"), "2").ok());
  ASSERT_TRUE(CreateDir(Path("c")).ok());
  auto names = ListDir(dir_);
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));
  auto empty = ListDir(Path("c"));
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto missing = ListDir(Path("nope"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), Status::Code::kIOError);
}

TEST_F(FileTest, CreateDirRemoveAllRenameAndSizes) {
  const std::string nested = Path("x/y/z");
  ASSERT_TRUE(CreateDir(nested).ok());
  ASSERT_TRUE(CreateDir(nested).ok());  // Already there is fine.
  ASSERT_TRUE(SyncDir(nested).ok());
  ASSERT_TRUE(WriteFileAtomically(nested + "/f1", std::string(100, 'a')).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("x/f2"), std::string(23, 'b')).ok());
  ASSERT_EQ(::symlink("f2", Path("x/link").c_str()), 0);  // Not followed, not counted.
  auto total = DirectorySize(Path("x"));
  ASSERT_TRUE(total.ok()) << total.status().ToString();
  EXPECT_EQ(*total, 123u);
  EXPECT_FALSE(CreateDir(Path("x/f2")).ok());  // A file is in the way.

  ASSERT_TRUE(RenameFile(Path("x/f2"), Path("x/f3")).ok());
  EXPECT_FALSE(FileExists(Path("x/f2")));
  EXPECT_TRUE(FileExists(Path("x/f3")));
  EXPECT_FALSE(RenameFile(Path("x/f2"), Path("x/f4")).ok());

  ASSERT_TRUE(CopyFileDurably(Path("x/f3"), Path("copy")).ok());
  auto copied = ReadFileToString(Path("copy"));
  ASSERT_TRUE(copied.ok());
  EXPECT_EQ(*copied, std::string(23, 'b'));

  ASSERT_TRUE(TruncateFile(Path("copy"), 3).ok());
  EXPECT_EQ(SizeOf(Path("copy")), 3u);

  ASSERT_TRUE(RemoveAll(Path("x")).ok());
  EXPECT_FALSE(FileExists(Path("x")));
  EXPECT_TRUE(RemoveAll(Path("x")).ok());  // Already gone is fine.
  EXPECT_EQ(ParentDir("file"), ".");
  EXPECT_EQ(ParentDir("/a/b"), "/a");
}

TEST_F(FileTest, CopyFileDurablyCopiesLargeFiles) {
  const std::string data = RandomString((2 << 20) + 17, 3);
  ASSERT_TRUE(WriteFileAtomically(Path("src"), data).ok());
  ASSERT_TRUE(WriteFileAtomically(Path("dst"), "old and longer than nothing").ok());
  ASSERT_TRUE(CopyFileDurably(Path("src"), Path("dst")).ok());
  auto copied = ReadFileToString(Path("dst"));
  ASSERT_TRUE(copied.ok());
  EXPECT_TRUE(*copied == data);
  EXPECT_FALSE(CopyFileDurably(Path("missing"), Path("dst2")).ok());
}

TEST_F(FileTest, FileLockConflictsWithinOneProcess) {
  const std::string path = Path("LOCK");
  auto first = FileLock::Acquire(path);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = FileLock::Acquire(path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_EQ(second.status().message(), "database " + dir_ + " is in use by another process");
  first = Status::Internal("released");  // Destroys the lock.
  auto third = FileLock::Acquire(path);
  EXPECT_TRUE(third.ok()) << third.status().ToString();
}

TEST_F(FileTest, FileLockConflictsAcrossProcesses) {
  const std::string path = Path("LOCK");
  int locked[2];
  int release[2];
  ASSERT_EQ(::pipe(locked), 0);
  ASSERT_EQ(::pipe(release), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // The child sticks to async-signal-safe calls: it was forked from a possibly threaded process.
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    char ok = (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) == 0) ? 'y' : 'n';
    if (::write(locked[1], &ok, 1) != 1) ::_exit(2);
    char c;
    ::close(release[1]);
    while (::read(release[0], &c, 1) > 0) {
    }
    ::_exit(0);
  }
  ::close(locked[1]);
  ::close(release[0]);
  char ok = 0;
  ASSERT_EQ(::read(locked[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  auto lock = FileLock::Acquire(path);
  ASSERT_FALSE(lock.ok());
  EXPECT_EQ(lock.status().code(), Status::Code::kFailedPrecondition);
  EXPECT_NE(lock.status().message().find("is in use by another process"), std::string::npos);

  ::close(release[1]);  // Lets the child exit, which drops its lock.
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  ::close(locked[0]);
  auto after = FileLock::Acquire(path);
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

TEST_F(FileTest, FileSinkAndSourceRoundTripWithCrc) {
  const std::string path = Path("checkpoint");
  // Small writes that fill the buffer, writes that straddle it, and bulk writes that bypass it.
  const std::string data = RandomString(6 << 20, 5);
  const std::vector<size_t> pieces = {0,       1,   7,   4096,    (1 << 20) - 3, 10,
                                      3 << 20, 100, 999, 1 << 20, 12345};
  size_t total = 0;
  {
    auto sink = FileSink::Create(path);
    ASSERT_TRUE(sink.ok()) << sink.status().ToString();
    ASSERT_TRUE((*sink)->WritePod<uint64_t>(42).ok());
    for (size_t n : pieces) {
      ASSERT_TRUE((*sink)->Write(data.data() + total, n).ok());
      total += n;
    }
    ASSERT_TRUE((*sink)->WriteString("tail").ok());
    EXPECT_EQ((*sink)->bytes_written(), 8 + total + 8 + 4);
    Status finished = (*sink)->Finish();
    ASSERT_TRUE(finished.ok()) << finished.ToString();
    EXPECT_EQ((*sink)->Write("x", 1).code(), Status::Code::kFailedPrecondition);

    auto content = ReadFileToString(path);
    ASSERT_TRUE(content.ok());
    ASSERT_EQ(content->size(), (*sink)->bytes_written());
    EXPECT_EQ((*sink)->crc(), Crc32c(content->data(), content->size()));
  }

  auto source = FileSource::Open(path);
  ASSERT_TRUE(source.ok()) << source.status().ToString();
  EXPECT_EQ((*source)->size(), 8 + total + 8 + 4);
  uint64_t magic = 0;
  ASSERT_TRUE((*source)->ReadPod(&magic).ok());
  EXPECT_EQ(magic, 42u);
  // Read back in a different split so buffer refills fall in other places.
  const std::vector<size_t> reads = {3, (2 << 20) + 5, 1, 70000, (1 << 20) - 1};
  std::string back;
  for (size_t n : reads) {
    std::string chunk(n, '\0');
    ASSERT_TRUE((*source)->Read(chunk.data(), n).ok());
    back += chunk;
  }
  std::string rest(total - back.size(), '\0');
  ASSERT_TRUE((*source)->Read(rest.data(), rest.size()).ok());
  back += rest;
  EXPECT_TRUE(back == data.substr(0, total));
  std::string tail;
  ASSERT_TRUE((*source)->ReadString(&tail).ok());
  EXPECT_EQ(tail, "tail");
  EXPECT_EQ((*source)->position(), (*source)->size());

  auto content = ReadFileToString(path);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ((*source)->crc(), Crc32c(content->data(), content->size()));

  char byte;
  Status eof = (*source)->Read(&byte, 1);
  EXPECT_EQ(eof.code(), Status::Code::kCorruption);
  EXPECT_NE(eof.message().find(path), std::string::npos);
}

TEST_F(FileTest, FileSourceReportsTruncationOnLargeAndSmallReads) {
  const std::string path = Path("short");
  ASSERT_TRUE(WriteFileAtomically(path, RandomString(100, 9)).ok());
  {
    auto source = FileSource::Open(path);
    ASSERT_TRUE(source.ok());
    std::string buf(50, '\0');
    ASSERT_TRUE((*source)->Read(buf.data(), 50).ok());
    Status s = (*source)->Read(buf.data(), 51);
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
    EXPECT_NE(s.message().find(path), std::string::npos);
  }
  {
    auto source = FileSource::Open(path);
    ASSERT_TRUE(source.ok());
    std::string big(FileSource::kBufferSize * 2, '\0');  // Takes the unbuffered path.
    Status s = (*source)->Read(big.data(), big.size());
    EXPECT_EQ(s.code(), Status::Code::kCorruption) << s.ToString();
  }
  EXPECT_FALSE(FileSource::Open(Path("missing")).ok());
  EXPECT_FALSE(FileSink::Create(Path("no/dir/file")).ok());
}

}  // namespace
}  // namespace alike
