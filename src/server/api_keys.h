// API keys: who may read (search, fetch) and who may also write (add, delete, create).
//
// A keys file holds one key per line as the SHA-256 of the key, never the key itself:
//   # sha256-of-key                                                    scope  name
//   9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 write  ci
// so reading the file does not give a key away. Blank lines and lines starting with '#' are
// skipped. A request presents its key as "Authorization: Bearer KEY" or "X-API-Key: KEY"; the
// key is hashed and compared with every stored hash in constant time.
//
// Thread-safety: a loaded KeyStore is immutable; Check may be called from many threads.
#ifndef ALIKE_SERVER_API_KEYS_H_
#define ALIKE_SERVER_API_KEYS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::server {

// What a request may do. kWrite includes kRead.
enum class Scope { kNone, kRead, kWrite };

using KeyHash = std::array<uint8_t, 32>;

KeyHash HashKey(std::string_view key);

class KeyStore {
 public:
  // No keys: every request is allowed everything (the server only allows that on loopback).
  KeyStore() = default;
  static Result<KeyStore> Load(const std::string& path);
  // From "HASH SCOPE [NAME]" lines, as in the file; `source` names it in error messages.
  static Result<KeyStore> Parse(std::string_view text, const std::string& source);

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

  // The scope of a presented key; kNone when it matches no stored hash.
  Scope Check(std::string_view key) const;

 private:
  struct Entry {
    KeyHash hash;
    Scope scope;
  };
  std::vector<Entry> keys_;
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_API_KEYS_H_
