#include "server/api_keys.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "util/text.h"

namespace alike::server {

KeyHash HashKey(std::string_view key) {
  KeyHash hash;
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), hash.data());
  return hash;
}

Result<KeyStore> KeyStore::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::IOError("cannot read the keys file " + path);
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path);
}

Result<KeyStore> KeyStore::Parse(std::string_view text, const std::string& source) {
  KeyStore store;
  std::istringstream in{std::string(text)};
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    std::istringstream fields(line);
    std::string hex, scope;
    if (!(fields >> hex) || hex[0] == '#') continue;
    const std::string where = source + ":" + std::to_string(number);
    Entry entry;
    auto bytes = ParseHex(hex, "the key hash");
    if (!bytes.ok() || bytes->size() != entry.hash.size()) {
      return Status::InvalidArgument(where + ": expected the 64 hex digits of a key's SHA-256");
    }
    std::copy(bytes->begin(), bytes->end(), entry.hash.begin());
    fields >> scope;
    if (scope == "read") {
      entry.scope = Scope::kRead;
    } else if (scope == "write") {
      entry.scope = Scope::kWrite;
    } else {
      return Status::InvalidArgument(where + ": the scope must be read or write, not '" + scope +
                                     "'");
    }
    store.keys_.push_back(entry);
  }
  return store;
}

Scope KeyStore::Check(std::string_view key) const {
  const KeyHash presented = HashKey(key);
  // Every stored hash is compared, whatever matched before, so the time taken says nothing
  // about which key (or how much of one) was right.
  Scope found = Scope::kNone;
  for (const Entry& e : keys_) {
    const bool match = CRYPTO_memcmp(e.hash.data(), presented.data(), presented.size()) == 0;
    if (match && e.scope > found) found = e.scope;
  }
  return found;
}

}  // namespace alike::server
