// The server-side folders a client may name (`alike serve --roots DIR...`). A path given by a
// client is resolved the way the kernel would open it (every symlink and ".." followed) and
// must land inside a root; a folder must also hold no symlink that leads out of the roots, since
// indexing follows symlinked folders. With no roots configured, no server-side path is allowed.
//
// What is checked is the tree at the time of the request: a symlink planted into a root after
// the check can still be followed, so roots must be folders that untrusted users cannot write.
//
// Thread-safety: immutable after construction; Resolve may be called from many threads.
#ifndef ALIKE_SERVER_ROOTS_H_
#define ALIKE_SERVER_ROOTS_H_

#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::server {

class Roots {
 public:
  // Each root must exist and be a directory; it is kept in canonical form.
  static Result<Roots> Make(const std::vector<std::string>& dirs);

  bool empty() const { return roots_.empty(); }
  const std::vector<std::string>& dirs() const { return roots_; }

  // The canonical path of `path` (relative paths are taken from the first root), or
  // kNotFound when it does not exist, kFailedPrecondition ("outside the roots") when it, or a
  // symlink under it, leads outside every root.
  Result<std::string> Resolve(const std::string& path) const;

 private:
  bool Contains(const std::string& canonical) const;

  std::vector<std::string> roots_;
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_ROOTS_H_
