#include "server/roots.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "testing/temp_dir.h"

namespace alike::server {
namespace {

namespace fs = std::filesystem;

class RootsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.Sub("root/album"));
    fs::create_directories(dir_.Sub("outside"));
    std::ofstream(dir_.Sub("root/album/a.jpg")) << "a";
    std::ofstream(dir_.Sub("outside/secret.jpg")) << "s";
    auto roots = Roots::Make({dir_.Sub("root")});
    ASSERT_TRUE(roots.ok()) << roots.status().ToString();
    roots_ = std::move(*roots);
  }

  bool Refused(const std::string& path) {
    auto r = roots_.Resolve(path);
    return !r.ok() && r.status().code() == Status::Code::kFailedPrecondition;
  }

  test::TempDir dir_;
  Roots roots_;
};

TEST_F(RootsTest, PathsInsideResolveToCanonicalForm) {
  const std::string root = fs::canonical(dir_.Sub("root")).string();
  auto file = roots_.Resolve(dir_.Sub("root/album/../album/a.jpg"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  EXPECT_EQ(*file, root + "/album/a.jpg");
  auto relative = roots_.Resolve("album");
  ASSERT_TRUE(relative.ok()) << relative.status().ToString();
  EXPECT_EQ(*relative, root + "/album");
}

TEST_F(RootsTest, DotDotCannotLeave) {
  EXPECT_TRUE(Refused(dir_.Sub("root/../outside/secret.jpg")));
  EXPECT_TRUE(Refused("../outside/secret.jpg"));
  EXPECT_TRUE(Refused("album/../../outside"));
  EXPECT_TRUE(Refused("/etc/passwd"));
  // Nonexistent paths outside are refused the same way: existence outside is not revealed.
  EXPECT_TRUE(Refused("../outside/none.jpg"));
  auto missing = roots_.Resolve("album/none.jpg");
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
}

TEST_F(RootsTest, SymlinksCannotLeave) {
  fs::create_symlink(dir_.Sub("outside/secret.jpg"), dir_.Sub("root/link.jpg"));
  fs::create_directory_symlink(dir_.Sub("outside"), dir_.Sub("root/linkdir"));
  EXPECT_TRUE(Refused(dir_.Sub("root/link.jpg")));
  EXPECT_TRUE(Refused("linkdir"));
  EXPECT_TRUE(Refused("linkdir/secret.jpg"));
  // A folder that holds a link leading out is refused whole: indexing would follow it.
  EXPECT_TRUE(Refused(dir_.Sub("root")));
  EXPECT_TRUE(roots_.Resolve("album").ok());
}

TEST_F(RootsTest, SymlinksWithinTheRootsAreFine) {
  fs::create_symlink(dir_.Sub("root/album/a.jpg"), dir_.Sub("root/alias.jpg"));
  EXPECT_TRUE(roots_.Resolve("alias.jpg").ok());
  EXPECT_TRUE(roots_.Resolve(dir_.Sub("root")).ok());
}

TEST(RootsNoneTest, NoRootsAllowsNothing) {
  Roots none;
  EXPECT_EQ(none.Resolve("/tmp").status().code(), Status::Code::kFailedPrecondition);
  EXPECT_FALSE(Roots::Make({"/nonexistent/alike-root"}).ok());
}

}  // namespace
}  // namespace alike::server
