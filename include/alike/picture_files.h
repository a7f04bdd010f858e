// Which files `alike index` looks at, for programs that hand pictures to alike by path (an alike
// cluster's `index --cluster`, which walks on one machine and indexes on others).
//
// Thread-safety: pure functions; call WalkPictureFiles from one thread per walk.
#ifndef ALIKE_PICTURE_FILES_H_
#define ALIKE_PICTURE_FILES_H_

#include <atomic>
#include <functional>
#include <string>

namespace alike {

// The absolute, lexically normal form of `path` (symlinks not resolved), as a library stores it.
std::string NormalPicturePath(const std::string& path);

// Whether `path` is `root` or lies below it, both taken in NormalPicturePath form (".." cannot
// climb out of `root`).
bool PathIsUnder(const std::string& path, const std::string& root);

// Calls on_file with each candidate picture under `root` (NormalPicturePath form): a file named
// directly always, inside directories the files with an image extension, hidden entries skipped,
// symlinked directories followed once each; on_error(path, reason) for each path that cannot be
// read. Stops early when `cancel` is set.
void WalkPictureFiles(
    const std::string& root, const std::function<void(const std::string& path)>& on_file,
    const std::function<void(const std::string& path, const std::string& reason)>& on_error,
    const std::atomic<bool>* cancel = nullptr);

}  // namespace alike

#endif  // ALIKE_PICTURE_FILES_H_
