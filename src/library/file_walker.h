// Finding the image files under the paths a user names. Files named directly are always
// candidates (the decoder decides whether they are images); inside directories only files with
// an image extension are, and hidden entries (".alike", ".thumbnails", ...) are skipped.
// Symlinked directories are followed, each real directory at most once, so a symlink loop ends.
//
// Thread-safety: a pure function; call it from one thread per walk.
#ifndef ALIKE_LIBRARY_FILE_WALKER_H_
#define ALIKE_LIBRARY_FILE_WALKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace alike::library {

struct FoundFile {
  std::string path;  // absolute, lexically normal (symlinks not resolved)
  int64_t size = 0;
  int64_t mtime_ns = 0;
};

// True for the extensions alike looks at inside directories (case-insensitive).
bool HasImageExtension(std::string_view path);

// The absolute, lexically normal form of `path`, the form the catalog stores.
std::string NormalPath(const std::string& path);

// Whether `path` is `root` or lies below it (both in NormalPath form).
bool IsUnder(const std::string& path, const std::string& root);

// Size and mtime of a regular file (following symlinks); nullopt when it is missing or not one.
std::optional<FoundFile> StatFile(const std::string& path);

// Calls on_file for each candidate and on_error(path, reason) for each path that cannot be read
// (missing, permission denied, not a regular file). Stops early when `cancel` is set.
using WalkErrorHandler = std::function<void(const std::string& path, const std::string& reason)>;
void WalkFiles(const std::string& root, const std::function<void(FoundFile)>& on_file,
               const WalkErrorHandler& on_error, const std::atomic<bool>* cancel);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_FILE_WALKER_H_
