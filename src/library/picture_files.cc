// alike/picture_files.h: the library's file walker, for callers outside the library.
#include "alike/picture_files.h"

#include "library/file_walker.h"

namespace alike {

std::string NormalPicturePath(const std::string& path) { return library::NormalPath(path); }

bool PathIsUnder(const std::string& path, const std::string& root) {
  return library::IsUnder(library::NormalPath(path), library::NormalPath(root));
}

void WalkPictureFiles(
    const std::string& root, const std::function<void(const std::string& path)>& on_file,
    const std::function<void(const std::string& path, const std::string& reason)>& on_error,
    const std::atomic<bool>* cancel) {
  library::WalkFiles(
      root, [&](library::FoundFile file) { on_file(file.path); }, on_error, cancel);
}

}  // namespace alike
