#include "server/api_keys.h"

#include <gtest/gtest.h>

#include "util/text.h"

namespace alike::server {
namespace {

// Built by appending: GCC 12 warns falsely (-Wrestrict) on chains of operator+ at -O3.
std::string Line(const std::string& key, const std::string& scope) {
  std::string line = HexString(HashKey(key));
  line.append(" ").append(scope).append(" someone\n");
  return line;
}

TEST(ApiKeysTest, ScopesComeFromTheMatchingHash) {
  std::string text = "# comment\n\n";
  text.append(Line("reader-key", "read")).append(Line("writer-key", "write"));
  auto store = KeyStore::Parse(text, "keys");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store->size(), 2u);
  EXPECT_EQ(store->Check("reader-key"), Scope::kRead);
  EXPECT_EQ(store->Check("writer-key"), Scope::kWrite);
  EXPECT_EQ(store->Check("writer-ke"), Scope::kNone);
  EXPECT_EQ(store->Check(""), Scope::kNone);
  // The file holds hashes: the hash itself is not a key.
  EXPECT_EQ(store->Check(HexString(HashKey("writer-key"))), Scope::kNone);
}

TEST(ApiKeysTest, HashIsSha256) {
  EXPECT_EQ(HexString(HashKey("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ApiKeysTest, MalformedLinesAreRefusedWithTheirLineNumber) {
  auto bad_hash = KeyStore::Parse("abcd write\n", "keys");
  ASSERT_FALSE(bad_hash.ok());
  EXPECT_NE(bad_hash.status().message().find("keys:1"), std::string::npos);
  auto bad_scope = KeyStore::Parse(std::string("\n").append(Line("k", "admin")), "keys");
  ASSERT_FALSE(bad_scope.ok());
  EXPECT_NE(bad_scope.status().message().find("keys:2"), std::string::npos);
}

TEST(ApiKeysTest, MissingFileIsAnError) {
  EXPECT_FALSE(KeyStore::Load("/nonexistent/alike-keys").ok());
}

}  // namespace
}  // namespace alike::server
