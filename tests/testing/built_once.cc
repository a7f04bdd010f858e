#include "testing/built_once.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace alike::test {

namespace fs = std::filesystem;

namespace {

// Holds an exclusive flock on a file for its lifetime.
class FileLock {
 public:
  explicit FileLock(const std::string& path) : fd_(open(path.c_str(), O_CREAT | O_RDWR, 0644)) {
    EXPECT_GE(fd_, 0) << path << ": " << strerror(errno);
    if (fd_ >= 0) {
      EXPECT_EQ(flock(fd_, LOCK_EX), 0) << path << ": " << strerror(errno);
    }
  }
  ~FileLock() {
    if (fd_ >= 0) close(fd_);  // closing releases the lock
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// Names this build of the test binary.
std::string BinaryKey() {
  struct stat st {};
  EXPECT_EQ(stat("/proc/self/exe", &st), 0) << strerror(errno);
  return std::to_string(st.st_size) + "-" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

std::string BuiltOnce(const std::string& name,
                      const std::function<bool(const std::string&)>& build) {
  const fs::path root = fs::read_symlink("/proc/self/exe").parent_path() / "built-once";
  fs::create_directories(root);
  const FileLock lock((root / (name + ".lock")).string());
  const std::string prefix = name + "@";
  const fs::path dir = root / (prefix + BinaryKey());
  const fs::path done = fs::path(dir.string() + ".done");
  if (fs::exists(done)) return dir.string();

  // Another build's directories (and a half-built one of this build) go.
  for (const fs::directory_entry& entry : fs::directory_iterator(root)) {
    if (entry.path().filename().string().starts_with(prefix)) fs::remove_all(entry.path());
  }
  fs::create_directories(dir);
  if (!build(dir.string())) {
    fs::remove_all(dir);
    return "";
  }
  std::ofstream(done.string()) << "built\n";
  return dir.string();
}

}  // namespace alike::test
