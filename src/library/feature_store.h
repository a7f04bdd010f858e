// FeatureStore: each picture's copy-verification features (search/copy_verifier.h), described once
// at index time so that copy search matches a candidate without decoding its file and running ORB
// on it again, which is most of what a copy query costs.
//
// One file per library, `copy_features.log`, in the write-ahead log format (util/wal.h: records
// checksummed with CRC-32C, a torn or corrupt tail cut off when it is opened):
//
//   record kVersion, first:  "alike-features 1 " + the describer's version (CopyVerifier::Version)
//   record kPut:             u64 image id, u32 original width and height (full-resolution upright
//                            picture), u32 described width and height, u32 keypoints n, u32 bytes
//                            per descriptor d; n x (f32 x, f32 y); n x d descriptor bytes
//   record kErase:           u64 image id
//
// All little-endian. The last record of an image wins. Open reads the whole file once to build
// the image -> record index, and maps the file (util/mapped_file.h) for reading: Get copies a
// record out of the map. Bytes of erased or replaced records stay until Compact rewrites the file
// without them (to a temporary name, then a rename), which the library runs at the end of every
// index run and removal that left any: a removed picture's features leave the disk when that
// command returns.
//
// The store is a cache of what the pictures say, so damage is repaired by forgetting: a file from
// another version, or one that is not a feature log at all, is replaced by an empty one; a corrupt
// record cuts the log there. repair_note() says what was done, and the pictures whose features went
// get them again at the next index run. A crash while writing loses nothing acknowledged: Put is
// durable when it returns, before the catalog says the picture is indexed.
//
// Writes go through a FileSystem (util/file_system.h), so tests can fail any one of them.
//
// Thread-safety: Get, Contains and the size accessors may run on many threads at once, alongside
// one writer (Put, Erase, Compact), which the caller serialises.
#ifndef ALIKE_LIBRARY_FEATURE_STORE_H_
#define ALIKE_LIBRARY_FEATURE_STORE_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "alike/status.h"
#include "search/copy_verifier.h"
#include "util/file_system.h"
#include "util/mapped_file.h"
#include "util/wal.h"

namespace alike::library {

inline constexpr char kFeatureStoreFile[] = "copy_features.log";

// A picture's cached features and the size of the picture they were described from.
struct PictureFeatures {
  int original_width = 0;  // full-resolution upright picture
  int original_height = 0;
  search::LocalFeatures features;  // features.size: the picture as described (decoded, shrunk)
};

class FeatureStore {
 public:
  // Opens (creating when absent) the store at `path` for features described by `version`,
  // repairing it as the header says.
  static Result<std::unique_ptr<FeatureStore>> Open(const std::string& path,
                                                    const std::string& version,
                                                    FileSystem& fs = PosixFileSystem());

  FeatureStore(const FeatureStore&) = delete;
  FeatureStore& operator=(const FeatureStore&) = delete;

  // Stores these pictures' features (replacing any earlier ones), durable when it returns OK.
  // Descriptors must be 8-bit (ORB).
  Status Put(std::span<const std::pair<uint64_t, PictureFeatures>> pictures);
  // Forgets these pictures; their bytes stay on disk until Compact.
  Status Erase(std::span<const uint64_t> image_ids);
  // Rewrites the file without erased or replaced records, when there are any.
  Status Compact();

  // Nothing when the picture has no features here.
  Result<std::optional<PictureFeatures>> Get(uint64_t image_id) const;
  bool Contains(uint64_t image_id) const;
  size_t pictures() const;
  uint64_t file_bytes() const;
  uint64_t dead_bytes() const;  // of erased or replaced records
  // What Open found wrong and repaired, for the user; empty when nothing.
  const std::string& repair_note() const { return repair_note_; }

 private:
  struct Location {
    uint64_t offset;  // of the payload in the file
    uint32_t length;
  };
  using Index = std::unordered_map<uint64_t, Location>;

  FeatureStore(std::string path, std::string version, FileSystem& fs)
      : path_(std::move(path)), version_(std::move(version)), fs_(fs) {}

  // Reads the file into index_; an error other than IOError means it cannot be used.
  Status Load();
  // Replaces the file with an empty store.
  Status Reset();
  // The map covering at least `end` bytes of the file; the caller holds mu_.
  Result<std::shared_ptr<const MappedFile>> MapCovering(uint64_t end) const;
  std::string VersionRecord() const;
  std::string CompactionPath() const { return path_ + ".compact"; }

  const std::string path_;
  const std::string version_;
  FileSystem& fs_;
  std::string repair_note_;
  std::unique_ptr<WalWriter> writer_;  // the writer's alone
  Status writer_lost_;  // why writer_ is null: a compaction could not reopen the file it made

  mutable std::mutex mu_;
  Index index_;                                    // guarded by mu_
  uint64_t dead_bytes_ = 0;                        // guarded by mu_
  uint64_t file_bytes_ = 0;                        // guarded by mu_
  mutable std::shared_ptr<const MappedFile> map_;  // guarded by mu_
};

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_FEATURE_STORE_H_
