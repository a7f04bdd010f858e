#include "library/file_walker.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <set>
#include <utility>
#include <vector>

namespace alike::library {
namespace {

int64_t MtimeNs(const struct stat& st) {
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

struct Walk {
  const std::function<void(FoundFile)>& on_file;
  const WalkErrorHandler& on_error;
  const std::atomic<bool>* cancel;
  std::set<std::pair<dev_t, ino_t>> visited;  // real directories already walked

  bool Cancelled() const { return cancel && cancel->load(std::memory_order_relaxed); }

  void Error(const std::string& path, int err) { on_error(path, std::strerror(err)); }

  // `named`: the user named this path, so it is a candidate whatever its extension.
  void Visit(const std::string& path, bool named) {
    if (Cancelled()) return;
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {  // follows symlinks; ELOOP for a self-loop
      Error(path, errno);
      return;
    }
    if (S_ISDIR(st.st_mode)) {
      if (!visited.insert({st.st_dev, st.st_ino}).second) return;  // a loop or a second link
      VisitDirectory(path);
    } else if (S_ISREG(st.st_mode)) {
      if (named || HasImageExtension(path)) on_file({path, st.st_size, MtimeNs(st)});
    } else if (named) {
      on_error(path, "not a regular file");
    }
  }

  void VisitDirectory(const std::string& dir) {
    std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
    if (!d) {
      Error(dir, errno);
      return;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d.get())) {
      if (e->d_name[0] != '.') names.push_back(e->d_name);  // hidden, "." and ".."
    }
    d.reset();
    std::sort(names.begin(), names.end());  // a stable order makes runs and tests repeatable
    for (const std::string& name : names) Visit(dir == "/" ? "/" + name : dir + "/" + name, false);
  }
};

}  // namespace

bool HasImageExtension(std::string_view path) {
  const size_t dot = path.rfind('.');
  if (dot == std::string_view::npos || path.find('/', dot) != std::string_view::npos) return false;
  std::string ext(path.substr(dot + 1));
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static constexpr std::string_view kExtensions[] = {
      "jpg", "jpeg", "jpe",  "jfif", "png",  "webp", "tif", "tiff", "bmp", "dib",
      "gif", "heic", "heif", "hif",  "avif", "pnm",  "ppm", "pgm",  "pbm"};
  return std::find(std::begin(kExtensions), std::end(kExtensions), ext) != std::end(kExtensions);
}

std::string NormalPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::path abs = std::filesystem::absolute(path, ec);
  if (ec) abs = path;
  std::string out = abs.lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool IsUnder(const std::string& path, const std::string& root) {
  return path == root || root == "/" ||
         (path.size() > root.size() && path.starts_with(root) && path[root.size()] == '/');
}

std::optional<FoundFile> StatFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return FoundFile{path, st.st_size, MtimeNs(st)};
}

void WalkFiles(const std::string& root, const std::function<void(FoundFile)>& on_file,
               const WalkErrorHandler& on_error, const std::atomic<bool>* cancel) {
  Walk walk{on_file, on_error, cancel, {}};
  walk.Visit(NormalPath(root), true);
}

}  // namespace alike::library
