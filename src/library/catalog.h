// Catalog: what an alike library knows about its images, kept in SQLite beside the vector
// collections (<library>/catalog.sqlite). One row per distinct picture content (files with the
// same bytes share it, all their paths listed), the files that hold it with the size and mtime
// that let a re-run skip unchanged files, which embedder version produced its vectors, its
// thumbnail, EXIF facts and user tags; and, when faces are indexed, the persons and which
// person each face (a vector of the "face" space) shows.
//
// The catalog is the source of truth for "this file is indexed": a file row is written only after
// its vectors are durable in the collections, so a crash in between leaves a file that the next
// run indexes again (upserts are idempotent), never a file that claims vectors it lacks. Image
// rows that lost every file are orphans; the library deletes their vectors, then the rows.
//
// Image ids are never reused (AUTOINCREMENT): a stale vector can never name a newer image.
//
// Thread-safety: every method may be called concurrently; one mutex serialises them (the
// operations are short; the expensive work of indexing happens outside).
#ifndef ALIKE_LIBRARY_CATALOG_H_
#define ALIKE_LIBRARY_CATALOG_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"
#include "library/sqlite.h"

namespace alike::library {

// Facts about one picture, read while indexing it.
struct ImageFacts {
  std::string hash;  // hex SHA-256 of the file's bytes
  int64_t bytes = 0;
  int width = 0;  // full-resolution, upright
  int height = 0;
  std::string format;
  std::string taken;   // EXIF date as "YYYY-MM-DDTHH:MM:SS", or empty
  std::string camera;  // "Make Model", or empty
  std::optional<double> latitude;
  std::optional<double> longitude;
};

struct ImageRecord {
  uint64_t id = 0;
  ImageFacts facts;
  int64_t added = 0;  // unix seconds
  std::vector<std::string> paths;
  std::vector<std::string> tags;
};

struct FileRow {
  std::string path;  // absolute, lexically normal
  int64_t size = 0;
  int64_t mtime_ns = 0;
  uint64_t image_id = 0;
};

// One embedder's vector space in this library.
struct SpaceRow {
  std::string embedder;  // "cnn"
  std::string version;   // the embedder's version when the space was filled
  uint32_t dimension = 0;
};

// What one indexed file adds, committed once its vectors are durable.
struct IndexedFile {
  FileRow file;
  std::map<std::string, std::string> embedded;  // embedder -> version now stored
  std::vector<uint8_t> thumbnail;               // JPEG; empty keeps the current one
};

// A face (a vector of the "face" space) and the person it shows.
struct FaceRow {
  uint64_t vector_id = 0;
  uint64_t image_id = 0;
  uint64_t person_id = 0;
};

struct PersonRow {
  uint64_t id = 0;
  std::string name;  // empty until named
};

// A face joining a person: an existing one, or the `new_person`-th of those the call creates.
struct FaceAssignment {
  uint64_t vector_id = 0;
  uint64_t image_id = 0;
  std::optional<uint64_t> person;
  size_t new_person = 0;  // when `person` is empty
};

struct CatalogCounts {
  uint64_t images = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;  // sum over distinct images
  uint64_t thumbnail_bytes = 0;
};

class Catalog {
 public:
  // `vfs`: as SqliteDb::Open.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path,
                                               const std::string& vfs = "");

  // --- reading
  Result<std::vector<FileRow>> Files() const;
  Result<std::optional<uint64_t>> FindImage(const std::string& hash) const;
  // The image a catalogued file holds (`path` as FileRow stores it).
  Result<std::optional<uint64_t>> FindFile(const std::string& path) const;
  Result<std::optional<ImageRecord>> GetImage(uint64_t id) const;
  // image id -> (embedder -> version) for every image with vectors.
  Result<std::map<uint64_t, std::map<std::string, std::string>>> Embedded() const;
  Result<std::vector<uint8_t>> Thumbnail(uint64_t id) const;
  Result<CatalogCounts> Counts() const;
  Result<std::map<std::string, SpaceRow>> Spaces() const;
  Result<std::optional<std::string>> Setting(const std::string& key) const;

  // --- writing (each call is one durable transaction)
  // Ids of the images with these facts, creating the rows that are missing.
  Result<std::vector<uint64_t>> AddImages(std::span<const ImageFacts> facts);
  // Records files and their vectors; returns images that no longer have any file (a path that
  // now holds different content moves to the new image).
  Result<std::vector<uint64_t>> CommitIndexed(std::span<const IndexedFile> files);
  // Forgets these paths; returns images left without any file.
  Result<std::vector<uint64_t>> RemoveFiles(std::span<const std::string> paths);
  // Images without any file (left by a crash between the steps above).
  Result<std::vector<uint64_t>> Orphans() const;
  // Deletes image rows with their thumbnails, tags and embedding records.
  Status DeleteImages(std::span<const uint64_t> ids);
  Status SetSpace(const SpaceRow& space);
  // Drops a space and every record of vectors in it (its model changed or it was removed).
  Status DropSpace(const std::string& embedder);
  Status SetSetting(const std::string& key, const std::string& value);
  Status SetTags(uint64_t id, std::span<const std::string> tags);

  // --- faces and persons (catalog_faces.cc). Persons without faces are deleted by every call
  // that can leave one so, whatever its name.
  Result<std::vector<FaceRow>> Faces() const;
  Result<std::vector<PersonRow>> Persons() const;
  Result<std::optional<uint64_t>> FindPerson(const std::string& name) const;
  Result<std::optional<PersonRow>> PersonOfFace(uint64_t vector_id) const;
  Result<std::vector<uint64_t>> FacesOfPerson(uint64_t person_id) const;
  // Records where faces belong, creating `new_persons` persons, and forgets the face rows
  // `gone` (faces whose vectors no longer exist).
  Status AssignFaces(std::span<const FaceAssignment> faces, size_t new_persons,
                     std::span<const uint64_t> gone);
  // Names a person. A name another person already has merges this one into that person (the
  // way to join a person the clustering split); returns the id that carries the name.
  Result<uint64_t> NamePerson(uint64_t id, const std::string& name);
  Status ForgetFaces(std::span<const uint64_t> vector_ids);
  Status ForgetAllFaces();
  // Rewrites the file without free pages and empties its write-ahead log, so that rows deleted
  // before survive nowhere in the catalog's files.
  Status Vacuum();

  // A consistent copy of the catalog (for snapshots).
  Status BackupTo(const std::string& dest) const;

 private:
  explicit Catalog(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}
  Result<std::vector<uint64_t>> OrphansLocked() const;

  mutable std::mutex mu_;
  std::unique_ptr<SqliteDb> db_;  // guarded by mu_
};

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_CATALOG_H_
