#include "library/catalog.h"

#include <ctime>

namespace alike::library {
namespace {

// 2 added persons and faces (face clustering). The schema only ever adds tables with
// CREATE IF NOT EXISTS, so opening an older catalog migrates it in the same transaction that
// stamps the new version.
constexpr int kSchemaVersion = 2;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS images(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  hash TEXT NOT NULL UNIQUE,
  bytes INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  format TEXT NOT NULL,
  taken TEXT NOT NULL,
  camera TEXT NOT NULL,
  latitude REAL,
  longitude REAL,
  added INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS files(
  path TEXT PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images(id),
  size INTEGER NOT NULL,
  mtime_ns INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS files_by_image ON files(image_id);
CREATE TABLE IF NOT EXISTS embedded(
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  embedder TEXT NOT NULL,
  version TEXT NOT NULL,
  PRIMARY KEY(image_id, embedder));
CREATE TABLE IF NOT EXISTS thumbnails(
  image_id INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  jpeg BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS tags(
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  tag TEXT NOT NULL,
  PRIMARY KEY(image_id, tag));
CREATE TABLE IF NOT EXISTS spaces(
  embedder TEXT PRIMARY KEY,
  version TEXT NOT NULL,
  dimension INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS settings(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS persons(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT UNIQUE);
CREATE TABLE IF NOT EXISTS faces(
  vector_id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  person_id INTEGER NOT NULL REFERENCES persons(id) ON DELETE CASCADE);
CREATE INDEX IF NOT EXISTS faces_by_person ON faces(person_id);
CREATE INDEX IF NOT EXISTS faces_by_image ON faces(image_id);
)sql";

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path, const std::string& vfs) {
  auto db = SqliteDb::Open(path, vfs);
  if (!db.ok()) return db.status();
  auto version = (*db)->Prepare("PRAGMA user_version");
  if (!version.ok()) return version.status();
  auto row = version->Step();
  if (!row.ok()) return row.status();
  const int64_t found = version->Int(0);
  if (found > kSchemaVersion) {
    return Status::FailedPrecondition(path + ": catalog schema " + std::to_string(found) +
                                      " is from a newer alike (this one reads up to " +
                                      std::to_string(kSchemaVersion) + ")");
  }
  ALIKE_RETURN_IF_ERROR((*db)->Exec(std::string("BEGIN;") + kSchema + "PRAGMA user_version=" +
                                    std::to_string(kSchemaVersion) + ";COMMIT;"));
  return std::unique_ptr<Catalog>(new Catalog(std::move(*db)));
}

Result<std::vector<FileRow>> Catalog::Files() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT path, size, mtime_ns, image_id FROM files");
  if (!stmt.ok()) return stmt.status();
  std::vector<FileRow> rows;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) {
    rows.push_back({s.Text(0), s.Int(1), s.Int(2), static_cast<uint64_t>(s.Int(3))});
  }));
  return rows;
}

Result<std::optional<uint64_t>> Catalog::FindImage(const std::string& hash) const {
  std::lock_guard lock(mu_);
  return LookUpId(*db_, "SELECT id FROM images WHERE hash = ?1", hash);
}

Result<std::optional<uint64_t>> Catalog::FindFile(const std::string& path) const {
  std::lock_guard lock(mu_);
  return LookUpId(*db_, "SELECT image_id FROM files WHERE path = ?1", path);
}

Result<std::optional<ImageRecord>> Catalog::GetImage(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT hash, bytes, width, height, format, taken, camera, latitude, longitude, added "
      "FROM images WHERE id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(id));
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<ImageRecord>();
  ImageRecord r;
  r.id = id;
  r.facts.hash = stmt->Text(0);
  r.facts.bytes = stmt->Int(1);
  r.facts.width = static_cast<int>(stmt->Int(2));
  r.facts.height = static_cast<int>(stmt->Int(3));
  r.facts.format = stmt->Text(4);
  r.facts.taken = stmt->Text(5);
  r.facts.camera = stmt->Text(6);
  if (!stmt->IsNull(7)) r.facts.latitude = stmt->Double(7);
  if (!stmt->IsNull(8)) r.facts.longitude = stmt->Double(8);
  r.added = stmt->Int(9);
  auto paths = db_->Prepare("SELECT path FROM files WHERE image_id = ?1 ORDER BY path");
  if (!paths.ok()) return paths.status();
  paths->Bind(1, static_cast<int64_t>(id));
  ALIKE_RETURN_IF_ERROR(ForEachRow(*paths, [&](Statement& s) { r.paths.push_back(s.Text(0)); }));
  auto tags = db_->Prepare("SELECT tag FROM tags WHERE image_id = ?1 ORDER BY tag");
  if (!tags.ok()) return tags.status();
  tags->Bind(1, static_cast<int64_t>(id));
  ALIKE_RETURN_IF_ERROR(ForEachRow(*tags, [&](Statement& s) { r.tags.push_back(s.Text(0)); }));
  return std::optional<ImageRecord>(std::move(r));
}

Result<std::map<uint64_t, std::map<std::string, std::string>>> Catalog::Embedded() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT image_id, embedder, version FROM embedded");
  if (!stmt.ok()) return stmt.status();
  std::map<uint64_t, std::map<std::string, std::string>> out;
  ALIKE_RETURN_IF_ERROR(
      ForEachRow(*stmt, [&](Statement& s) { out[s.Int(0)][s.Text(1)] = s.Text(2); }));
  return out;
}

Result<std::vector<uint8_t>> Catalog::Thumbnail(uint64_t id) const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT jpeg FROM thumbnails WHERE image_id = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, static_cast<int64_t>(id));
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no thumbnail for image " + std::to_string(id));
  return stmt->Blob(0);
}

Result<CatalogCounts> Catalog::Counts() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "SELECT (SELECT count(*) FROM images), (SELECT count(*) FROM files), "
      "(SELECT coalesce(sum(bytes), 0) FROM images), "
      "(SELECT coalesce(sum(length(jpeg)), 0) FROM thumbnails)");
  if (!stmt.ok()) return stmt.status();
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  return CatalogCounts{static_cast<uint64_t>(stmt->Int(0)), static_cast<uint64_t>(stmt->Int(1)),
                       static_cast<uint64_t>(stmt->Int(2)), static_cast<uint64_t>(stmt->Int(3))};
}

Result<std::map<std::string, SpaceRow>> Catalog::Spaces() const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT embedder, version, dimension FROM spaces");
  if (!stmt.ok()) return stmt.status();
  std::map<std::string, SpaceRow> out;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) {
    out[s.Text(0)] = {s.Text(0), s.Text(1), static_cast<uint32_t>(s.Int(2))};
  }));
  return out;
}

Result<std::optional<std::string>> Catalog::Setting(const std::string& key) const {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare("SELECT value FROM settings WHERE key = ?1");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, key);
  auto row = stmt->Step();
  if (!row.ok()) return row.status();
  if (!*row) return std::optional<std::string>();
  return std::optional<std::string>(stmt->Text(0));
}

Result<std::vector<uint64_t>> Catalog::AddImages(std::span<const ImageFacts> facts) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto find = db_->Prepare("SELECT id FROM images WHERE hash = ?1");
  auto insert = db_->Prepare(
      "INSERT INTO images(hash, bytes, width, height, format, taken, camera, latitude, "
      "longitude, added) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
  if (!find.ok()) return find.status();
  if (!insert.ok()) return insert.status();
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  std::vector<uint64_t> ids;
  for (const ImageFacts& f : facts) {
    find->Bind(1, f.hash);
    auto row = find->Step();
    if (!row.ok()) return row.status();
    if (*row) {
      ids.push_back(find->Int(0));
      find->Reset();
      continue;
    }
    find->Reset();
    insert->Bind(1, f.hash).Bind(2, f.bytes).Bind(3, int64_t{f.width}).Bind(4, int64_t{f.height});
    insert->Bind(5, f.format).Bind(6, f.taken).Bind(7, f.camera);
    insert->Bind(8, f.latitude).Bind(9, f.longitude).Bind(10, now);
    ALIKE_RETURN_IF_ERROR(insert->Run());
    ids.push_back(db_->LastInsertId());
  }
  ALIKE_RETURN_IF_ERROR(txn->Commit());
  return ids;
}

Result<std::vector<uint64_t>> Catalog::CommitIndexed(std::span<const IndexedFile> files) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto upsert_file = db_->Prepare(
      "INSERT INTO files(path, image_id, size, mtime_ns) VALUES(?1, ?2, ?3, ?4) "
      "ON CONFLICT(path) DO UPDATE SET image_id = ?2, size = ?3, mtime_ns = ?4");
  auto upsert_embedded = db_->Prepare(
      "INSERT INTO embedded(image_id, embedder, version) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(image_id, embedder) DO UPDATE SET version = ?3");
  auto upsert_thumb = db_->Prepare(
      "INSERT INTO thumbnails(image_id, jpeg) VALUES(?1, ?2) "
      "ON CONFLICT(image_id) DO UPDATE SET jpeg = ?2");
  if (!upsert_file.ok()) return upsert_file.status();
  if (!upsert_embedded.ok()) return upsert_embedded.status();
  if (!upsert_thumb.ok()) return upsert_thumb.status();
  for (const IndexedFile& f : files) {
    const auto id = static_cast<int64_t>(f.file.image_id);
    upsert_file->Bind(1, f.file.path).Bind(2, id).Bind(3, f.file.size).Bind(4, f.file.mtime_ns);
    ALIKE_RETURN_IF_ERROR(upsert_file->Run());
    for (const auto& [embedder, version] : f.embedded) {
      upsert_embedded->Bind(1, id).Bind(2, embedder).Bind(3, version);
      ALIKE_RETURN_IF_ERROR(upsert_embedded->Run());
    }
    if (!f.thumbnail.empty()) {
      upsert_thumb->Bind(1, id).BindBlob(2, f.thumbnail);
      ALIKE_RETURN_IF_ERROR(upsert_thumb->Run());
    }
  }
  auto orphans = OrphansLocked();
  if (!orphans.ok()) return orphans.status();
  ALIKE_RETURN_IF_ERROR(txn->Commit());
  return orphans;
}

Result<std::vector<uint64_t>> Catalog::RemoveFiles(std::span<const std::string> paths) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto remove = db_->Prepare("DELETE FROM files WHERE path = ?1");
  if (!remove.ok()) return remove.status();
  for (const std::string& p : paths) {
    remove->Bind(1, p);
    ALIKE_RETURN_IF_ERROR(remove->Run());
  }
  auto orphans = OrphansLocked();
  if (!orphans.ok()) return orphans.status();
  ALIKE_RETURN_IF_ERROR(txn->Commit());
  return orphans;
}

Result<std::vector<uint64_t>> Catalog::Orphans() const {
  std::lock_guard lock(mu_);
  return OrphansLocked();
}

Result<std::vector<uint64_t>> Catalog::OrphansLocked() const {
  auto stmt = db_->Prepare(
      "SELECT id FROM images WHERE NOT EXISTS (SELECT 1 FROM files WHERE image_id = images.id)");
  if (!stmt.ok()) return stmt.status();
  std::vector<uint64_t> ids;
  ALIKE_RETURN_IF_ERROR(ForEachRow(*stmt, [&](Statement& s) { ids.push_back(s.Int(0)); }));
  return ids;
}

Status Catalog::DeleteImages(std::span<const uint64_t> ids) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto remove = db_->Prepare("DELETE FROM images WHERE id = ?1");
  if (!remove.ok()) return remove.status();
  for (uint64_t id : ids) {
    remove->Bind(1, static_cast<int64_t>(id));
    ALIKE_RETURN_IF_ERROR(remove->Run());
  }
  return txn->Commit();
}

Status Catalog::SetSpace(const SpaceRow& space) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "INSERT INTO spaces(embedder, version, dimension) VALUES(?1, ?2, ?3) "
      "ON CONFLICT(embedder) DO UPDATE SET version = ?2, dimension = ?3");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, space.embedder).Bind(2, space.version).Bind(3, int64_t{space.dimension});
  return stmt->Run();
}

Status Catalog::DropSpace(const std::string& embedder) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  for (const char* sql :
       {"DELETE FROM embedded WHERE embedder = ?1", "DELETE FROM spaces WHERE embedder = ?1"}) {
    auto stmt = db_->Prepare(sql);
    if (!stmt.ok()) return stmt.status();
    stmt->Bind(1, embedder);
    ALIKE_RETURN_IF_ERROR(stmt->Run());
  }
  return txn->Commit();
}

Status Catalog::SetSetting(const std::string& key, const std::string& value) {
  std::lock_guard lock(mu_);
  auto stmt = db_->Prepare(
      "INSERT INTO settings(key, value) VALUES(?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2");
  if (!stmt.ok()) return stmt.status();
  stmt->Bind(1, key).Bind(2, value);
  return stmt->Run();
}

Status Catalog::SetTags(uint64_t id, std::span<const std::string> tags) {
  std::lock_guard lock(mu_);
  auto txn = Transaction::Begin(*db_);
  if (!txn.ok()) return txn.status();
  auto clear = db_->Prepare("DELETE FROM tags WHERE image_id = ?1");
  auto insert = db_->Prepare("INSERT OR IGNORE INTO tags(image_id, tag) VALUES(?1, ?2)");
  if (!clear.ok()) return clear.status();
  if (!insert.ok()) return insert.status();
  clear->Bind(1, static_cast<int64_t>(id));
  ALIKE_RETURN_IF_ERROR(clear->Run());
  for (const std::string& tag : tags) {
    insert->Bind(1, static_cast<int64_t>(id)).Bind(2, tag);
    ALIKE_RETURN_IF_ERROR(insert->Run());
  }
  return txn->Commit();
}

Status Catalog::BackupTo(const std::string& dest) const {
  std::lock_guard lock(mu_);
  return db_->BackupTo(dest);
}

}  // namespace alike::library
