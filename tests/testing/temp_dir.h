// A fresh directory for one test, removed with everything in it when the test ends.
#ifndef ALIKE_TESTS_TESTING_TEMP_DIR_H_
#define ALIKE_TESTS_TESTING_TEMP_DIR_H_

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace alike::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = ::testing::TempDir() + "alike-test-XXXXXX";
    char* made = mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_TEMP_DIR_H_
