#include "server/roots.h"

#include <filesystem>

namespace alike::server {

namespace fs = std::filesystem;

Result<Roots> Roots::Make(const std::vector<std::string>& dirs) {
  Roots roots;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    const fs::path canonical = fs::canonical(dir, ec);
    if (ec || !fs::is_directory(canonical)) {
      return Status::InvalidArgument("root " + dir + " is not a directory");
    }
    roots.roots_.push_back(canonical.string());
  }
  return roots;
}

bool Roots::Contains(const std::string& canonical) const {
  for (const std::string& root : roots_) {
    if (canonical == root) return true;
    const std::string prefix = root == "/" ? root : root + "/";
    if (canonical.compare(0, prefix.size(), prefix) == 0) return true;
  }
  return false;
}

Result<std::string> Roots::Resolve(const std::string& path) const {
  if (roots_.empty()) {
    return Status::FailedPrecondition("this server reads no server-side paths (no --roots)");
  }
  if (path.empty() || path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("an empty path");
  }
  const fs::path given = fs::path(path).is_absolute() ? fs::path(path) : fs::path(roots_[0]) / path;
  std::error_code ec;
  const fs::path canonical = fs::canonical(given, ec);
  // Existence is only revealed inside the roots: outside them every path is the same refusal.
  if (ec) {
    const fs::path lexical = given.lexically_normal();
    if (!Contains(lexical.string())) {
      return Status::FailedPrecondition(path + " is outside the server's roots");
    }
    return Status::NotFound(path + " does not exist");
  }
  if (!Contains(canonical.string())) {
    return Status::FailedPrecondition(path + " is outside the server's roots");
  }
  if (fs::is_directory(canonical)) {
    fs::recursive_directory_iterator it(canonical, fs::directory_options::skip_permission_denied,
                                        ec);
    for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink(ec)) continue;
      const fs::path target = fs::canonical(it->path(), ec);
      if (ec) {
        ec.clear();  // a dangling link: indexing will skip it
        continue;
      }
      if (!Contains(target.string())) {
        return Status::FailedPrecondition(it->path().string() +
                                          " is a symlink that leads outside the server's roots");
      }
    }
    if (ec) return Status::IOError("cannot list " + canonical.string() + ": " + ec.message());
  }
  return canonical.string();
}

}  // namespace alike::server
