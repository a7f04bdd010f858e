#include "server/upload_store.h"

#include <cctype>
#include <filesystem>
#include <memory>
#include <vector>

#include "server/api_keys.h"
#include "util/file.h"
#include "util/text.h"

namespace alike::server {
namespace {

namespace fs = std::filesystem;

// The client's extension when it looks like one (".jpg"), so the files are easy to browse; the
// library recognises the format from the bytes either way.
std::string Extension(const std::string& name) {
  const std::string ext = fs::path(name).extension().string();
  if (ext.size() < 2 || ext.size() > 6) return ".img";
  for (size_t i = 1; i < ext.size(); ++i) {
    if (!std::isalnum(static_cast<unsigned char>(ext[i]))) return ".img";
  }
  std::string lower = ext;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower;
}

// "<64 hex digits><extension>" as Save names files, and ".tmp" after that name while one is
// written; `temporary` says which.
bool NamedByStore(const std::string& name, bool& temporary) {
  constexpr size_t kHexDigits = 64;
  if (name.size() <= kHexDigits || name[kHexDigits] != '.') return false;
  for (size_t i = 0; i < kHexDigits; ++i) {
    if (!std::isxdigit(static_cast<unsigned char>(name[i]))) return false;
  }
  temporary = name.ends_with(".tmp");
  return true;
}

}  // namespace

Result<std::unique_ptr<UploadStore>> UploadStore::Open(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path canonical = fs::canonical(dir, ec);
  if (ec) return Status::IOError("cannot create the uploads folder " + dir + ": " + ec.message());
  return std::make_unique<UploadStore>(canonical.string());
}

Result<std::string> UploadStore::Save(std::span<const uint8_t> data, const std::string& name) {
  const std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
  const std::string path = dir_ + "/" + HexString(HashKey(bytes)) + Extension(name);
  std::lock_guard lock(mu_);
  if (FileExists(path)) return path;
  ALIKE_RETURN_IF_ERROR(WriteFileAtomically(path, bytes));
  return path;
}

bool UploadStore::Owns(const std::string& path) const {
  return fs::path(path).parent_path() == dir_;
}

void UploadStore::Discard(const std::string& path) {
  if (!Owns(path)) return;
  std::lock_guard lock(mu_);
  std::error_code ec;
  fs::remove(path, ec);  // already gone is fine
}

Result<size_t> UploadStore::DiscardUnlisted(
    const std::function<bool(const std::string& path)>& listed) {
  std::error_code ec;
  std::vector<std::string> doomed;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_, ec)) {
    bool temporary = false;
    const std::string path = entry.path().string();
    if (!NamedByStore(entry.path().filename().string(), temporary)) continue;
    if (temporary || !listed(path)) doomed.push_back(path);
  }
  if (ec) return Status::IOError("cannot list the uploads folder " + dir_ + ": " + ec.message());
  for (const std::string& path : doomed) {
    if (!fs::remove(path, ec) && ec) {
      return Status::IOError("cannot remove the leftover upload " + path + ": " + ec.message());
    }
  }
  return doomed.size();
}

}  // namespace alike::server
