// Where pictures uploaded through the API live: the library indexes files, so an upload becomes
// a file named by its content's SHA-256 in one folder (by default <library>/uploads), written
// durably before it is indexed. The same picture uploaded twice is one file.
//
// A crash can leave files here that the library does not hold (saved but never indexed, or the
// file of an image whose deletion was cut off, or a half-written temporary); the server discards
// them when it starts (DiscardUnlisted), so the folder holds exactly the library's uploads.
//
// Thread-safety: Save and Discard may be called from many threads; saves are serialised.
// DiscardUnlisted runs before anything else uses the store.
#ifndef ALIKE_SERVER_UPLOAD_STORE_H_
#define ALIKE_SERVER_UPLOAD_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "alike/status.h"

namespace alike::server {

class UploadStore {
 public:
  // Creates the folder if needed.
  static Result<std::unique_ptr<UploadStore>> Open(const std::string& dir);

  // The path of the stored file (kept when it exists already). `name` gives the extension.
  Result<std::string> Save(std::span<const uint8_t> data, const std::string& name);
  // Whether a path is one of this store's files.
  bool Owns(const std::string& path) const;
  // Deletes one of this store's files (other paths are left alone).
  void Discard(const std::string& path);
  // Deletes the files named as this store names them (so a folder shared with other files loses
  // none of those) for which `listed` is false, and temporaries; returns how many went.
  Result<size_t> DiscardUnlisted(const std::function<bool(const std::string& path)>& listed);

  // Use Open; `canonical_dir` must exist.
  explicit UploadStore(std::string canonical_dir) : dir_(std::move(canonical_dir)) {}

 private:
  const std::string dir_;  // canonical
  std::mutex mu_;          // one save at a time: two saves of one picture share a file name
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_UPLOAD_STORE_H_
