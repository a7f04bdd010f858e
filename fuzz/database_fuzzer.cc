// A database directory holding one fuzzed file: the manifest, a collection's options, its
// checkpoint or its write-ahead log (the input's first byte picks which; the rest are those of a
// small valid database). Database::Open must refuse it with an error or open it to data that
// holds together: every record readable, of the collection's dimension, with an object payload.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "alike/vector_db.h"

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kDimension = 4;

void Check(bool condition) {
  if (!condition) std::abort();
}

fs::path WorkDir() {
  const char* tmp = std::getenv("TMPDIR");
  return fs::path(tmp != nullptr ? tmp : "/tmp") / ("alike-fuzz-db-" + std::to_string(getpid()));
}

// The files of a database with a checkpoint and a log behind it, as (relative path, bytes).
std::vector<std::pair<std::string, std::string>> MakeTemplate(const fs::path& dir) {
  fs::remove_all(dir);
  // The delete below must not compact: that would checkpoint the log away.
  auto db = alike::Database::Open(
      dir.string(), {.sync = alike::SyncPolicy::kNone, .compact_deleted_fraction = 0.9});
  Check(db.ok());
  auto col = (*db)->CreateCollection("c", {.dimension = kDimension});
  Check(col.ok());
  std::vector<alike::Record> records;
  for (uint64_t id = 1; id <= 4; ++id) {
    records.push_back({.id = id,
                       .vector = {float(id), 1, 0, -1},
                       .payload = R"({"n":)" + std::to_string(id) + R"(,"tags":["a","b"]})"});
  }
  Check((*col)->Upsert(records).ok());
  Check((*col)->Checkpoint().ok());
  records.resize(2);
  records[0].id = 7;
  Check((*col)->Upsert(records).ok());
  const uint64_t gone[] = {2};
  Check((*col)->Delete(gone).ok());

  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename() == "LOCK") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    files.emplace_back(fs::relative(entry.path(), dir).string(),
                       std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::sort(files.begin(), files.end());
  return files;
}

void CheckOpened(alike::Database& db) {
  for (const std::string& name : db.ListCollections()) {
    auto col = db.GetCollection(name);
    if (!col.ok()) continue;
    const uint32_t dimension = (*col)->options().dimension;
    uint64_t seen = 0;
    const auto status = (*col)->ForEach([&](const alike::Record& r) {
      Check(r.vector.size() == dimension || r.binary.size() * 8 == dimension);
      Check(!r.payload.empty() && r.payload.front() == '{');
      ++seen;
      return true;
    });
    if (status.ok()) Check(seen == (*col)->Count());
    if ((*col)->options().metric != alike::Metric::kHamming) {
      const std::vector<float> query(dimension, 0.5f);
      (void)(*col)->Search({.vector = query}, {.k = 3, .filter = R"({"n":{"$gte":1}})"});
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const fs::path dir = WorkDir();
  static const auto files = MakeTemplate(dir);
  if (size == 0) return 0;
  fs::remove_all(dir);
  const size_t fuzzed = data[0] % files.size();
  for (size_t i = 0; i < files.size(); ++i) {
    const fs::path path = dir / files[i].first;
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    if (i == fuzzed) {
      out.write(reinterpret_cast<const char*>(data + 1), std::streamsize(size - 1));
    } else {
      out << files[i].second;
    }
  }
  auto db = alike::Database::Open(
      dir.string(), {.create_if_missing = false, .sync = alike::SyncPolicy::kNone, .threads = 1});
  if (db.ok()) CheckOpened(**db);
  return 0;
}
