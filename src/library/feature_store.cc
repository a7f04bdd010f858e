#include "library/feature_store.h"

#include <cstring>
#include <vector>

#include "util/file.h"

namespace alike::library {
namespace {

enum RecordType : uint8_t { kVersion = 1, kPut = 2, kErase = 3 };

constexpr char kFormat[] = "alike-features 1 ";
// id, original width and height, described width and height, keypoints, descriptor bytes.
constexpr size_t kPutHeaderSize = 8 + 6 * 4;

template <typename T>
void AppendRaw(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

std::string EncodePut(uint64_t image_id, const PictureFeatures& p) {
  const cv::Mat& d = p.features.descriptors;
  const auto n = static_cast<uint32_t>(p.features.points.size());
  const auto width = static_cast<uint32_t>(n > 0 ? d.cols : 0);
  std::string out;
  out.reserve(kPutHeaderSize + n * (8 + width));
  AppendRaw(out, image_id);
  for (const int v :
       {p.original_width, p.original_height, p.features.size.width, p.features.size.height}) {
    AppendRaw(out, static_cast<uint32_t>(v));
  }
  AppendRaw(out, n);
  AppendRaw(out, width);
  out.append(reinterpret_cast<const char*>(p.features.points.data()), n * sizeof(cv::Point2f));
  for (uint32_t row = 0; row < n; ++row) out.append(d.ptr<char>(row), width);
  return out;
}

uint64_t ImageIdOf(std::string_view payload) {
  uint64_t id;
  std::memcpy(&id, payload.data(), sizeof(id));
  return id;
}

// Whether a put record's lengths add up (its checksum held, so only a bug or another format fails).
bool WellFormedPut(std::string_view payload) {
  if (payload.size() < kPutHeaderSize) return false;
  uint32_t n, width;
  std::memcpy(&n, payload.data() + 24, 4);
  std::memcpy(&width, payload.data() + 28, 4);
  return payload.size() == kPutHeaderSize + uint64_t{n} * (8 + width);
}

PictureFeatures DecodePut(const uint8_t* payload) {
  uint32_t fields[6];
  std::memcpy(fields, payload + 8, sizeof(fields));
  PictureFeatures p;
  p.original_width = static_cast<int>(fields[0]);
  p.original_height = static_cast<int>(fields[1]);
  p.features.size = cv::Size(static_cast<int>(fields[2]), static_cast<int>(fields[3]));
  const uint32_t n = fields[4], width = fields[5];
  const uint8_t* points = payload + kPutHeaderSize;
  if (n > 0) {  // (memcpy must not be given the null data() of an empty vector)
    p.features.points.resize(n);
    std::memcpy(p.features.points.data(), points, n * sizeof(cv::Point2f));
    p.features.descriptors.create(static_cast<int>(n), static_cast<int>(width), CV_8U);
    std::memcpy(p.features.descriptors.data, points + n * sizeof(cv::Point2f), size_t{n} * width);
  }
  return p;
}

}  // namespace

Result<std::unique_ptr<FeatureStore>> FeatureStore::Open(const std::string& path,
                                                         const std::string& version,
                                                         FileSystem& fs) {
  std::unique_ptr<FeatureStore> store(new FeatureStore(path, version, fs));
  // A compaction that a crash interrupted left its half-written file: it may hold erased features.
  ALIKE_RETURN_IF_ERROR(RemoveAll(store->CompactionPath(), fs));
  Status loaded = store->Load();
  if (loaded.code() == Status::Code::kIOError) return loaded;
  if (!loaded.ok()) {
    store->repair_note_ =
        loaded.message() + "; the copy features are described again at the next index run";
    ALIKE_RETURN_IF_ERROR(store->Reset());
  }
  return store;
}

std::string FeatureStore::VersionRecord() const { return kFormat + version_; }

Status FeatureStore::Load() {
  Index index;
  uint64_t dead = 0, offset = kWalFileHeaderSize;
  bool versioned = false;
  WalReadStats stats;
  Status read = ReadWal(
      path_,
      [&](uint8_t type, std::string_view payload) {
        const uint64_t at = offset + kWalRecordHeaderSize;
        offset = at + payload.size();
        if (!versioned) {
          if (type != kVersion || payload != VersionRecord()) {
            return Status::NotSupported(path_ + " holds features of another version (" +
                                        std::string(payload.substr(0, 80)) + ")");
          }
          versioned = true;
          return Status::OK();
        }
        if (type == kPut && WellFormedPut(payload)) {
          auto [it, added] =
              index.try_emplace(ImageIdOf(payload), Location{at, uint32_t(payload.size())});
          if (!added) {
            dead += kWalRecordHeaderSize + it->second.length;
            it->second = Location{at, uint32_t(payload.size())};
          }
        } else if (type == kErase && payload.size() == sizeof(uint64_t)) {
          dead += kWalRecordHeaderSize + payload.size();
          if (auto it = index.find(ImageIdOf(payload)); it != index.end()) {
            dead += kWalRecordHeaderSize + it->second.length;
            index.erase(it);
          }
        } else {
          return Status::Corruption(path_ + ": a feature record of type " + std::to_string(type) +
                                    " and " + std::to_string(payload.size()) +
                                    " bytes makes no sense");
        }
        return Status::OK();
      },
      &stats, fs_);
  ALIKE_RETURN_IF_ERROR(read);
  if (stats.truncated_bytes > 0) {
    repair_note_ = path_ + ": cut " + std::to_string(stats.truncated_bytes) +
                   " torn or corrupt bytes off the end; the pictures they held are described "
                   "again at the next index run";
  }
  auto writer = WalWriter::Open(path_, /*sync_each_write=*/false, fs_);
  if (!writer.ok()) return writer.status();
  writer_ = std::move(*writer);
  if (!versioned) {
    ALIKE_RETURN_IF_ERROR(writer_->Append(kVersion, VersionRecord()));
    ALIKE_RETURN_IF_ERROR(writer_->Sync());
  }
  std::lock_guard lock(mu_);
  index_ = std::move(index);
  dead_bytes_ = dead;
  file_bytes_ = writer_->size();
  map_.reset();
  return Status::OK();
}

Status FeatureStore::Reset() {
  writer_.reset();
  ALIKE_RETURN_IF_ERROR(RemoveAll(path_, fs_));
  return Load();
}

Status FeatureStore::Put(std::span<const std::pair<uint64_t, PictureFeatures>> pictures) {
  if (!writer_) return writer_lost_;
  std::vector<std::pair<uint64_t, Location>> written;
  for (const auto& [image_id, p] : pictures) {
    if (!p.features.points.empty() &&
        (p.features.descriptors.type() != CV_8U ||
         p.features.descriptors.rows != int(p.features.points.size()))) {
      return Status::InvalidArgument("copy features of image " + std::to_string(image_id) +
                                     ": need one 8-bit descriptor row per keypoint");
    }
    const std::string payload = EncodePut(image_id, p);
    const uint64_t at = writer_->size() + kWalRecordHeaderSize;
    ALIKE_RETURN_IF_ERROR(writer_->Append(kPut, payload));
    written.emplace_back(image_id, Location{at, uint32_t(payload.size())});
  }
  ALIKE_RETURN_IF_ERROR(writer_->Sync());
  std::lock_guard lock(mu_);
  for (const auto& [image_id, location] : written) {
    auto [it, added] = index_.try_emplace(image_id, location);
    if (!added) {
      dead_bytes_ += kWalRecordHeaderSize + it->second.length;
      it->second = location;
    }
  }
  file_bytes_ = writer_->size();
  return Status::OK();
}

Status FeatureStore::Erase(std::span<const uint64_t> image_ids) {
  if (!writer_) return writer_lost_;
  std::vector<uint64_t> present;
  for (const uint64_t id : image_ids) {
    if (Contains(id)) present.push_back(id);
  }
  if (present.empty()) return Status::OK();
  for (const uint64_t id : present) {
    ALIKE_RETURN_IF_ERROR(
        writer_->Append(kErase, std::string_view(reinterpret_cast<const char*>(&id), sizeof(id))));
  }
  ALIKE_RETURN_IF_ERROR(writer_->Sync());
  std::lock_guard lock(mu_);
  for (const uint64_t id : present) {
    auto it = index_.find(id);
    dead_bytes_ += 2 * kWalRecordHeaderSize + it->second.length + sizeof(id);
    index_.erase(it);
  }
  file_bytes_ = writer_->size();
  return Status::OK();
}

Status FeatureStore::Compact() {
  if (!writer_) return writer_lost_;
  Index live;
  std::shared_ptr<const MappedFile> map;
  {
    std::lock_guard lock(mu_);
    if (dead_bytes_ == 0) return Status::OK();
    live = index_;
    auto covering = MapCovering(file_bytes_);
    if (!covering.ok()) return covering.status();
    map = *covering;
  }
  // Written in full under another name, then renamed over the old file: a crash leaves one or
  // the other, whole. Readers holding the old map keep reading it until they let go.
  const std::string temp = CompactionPath();
  ALIKE_RETURN_IF_ERROR(RemoveAll(temp, fs_));
  uint64_t compacted_bytes = 0;
  {
    auto out = WalWriter::Open(temp, /*sync_each_write=*/false, fs_);
    if (!out.ok()) return out.status();
    Status s = (*out)->Append(kVersion, VersionRecord());
    for (auto& [image_id, location] : live) {
      if (!s.ok()) break;
      const uint64_t at = (*out)->size() + kWalRecordHeaderSize;
      s = (*out)->Append(
          kPut, std::string_view(reinterpret_cast<const char*>(map->data() + location.offset),
                                 location.length));
      location.offset = at;
    }
    if (s.ok()) s = (*out)->Sync();
    compacted_bytes = (*out)->size();
    if (s.ok()) s = (*out)->Close();
    if (!s.ok()) {
      (void)RemoveAll(temp, fs_);  // the write's error is the one to report
      return s;
    }
  }
  ALIKE_RETURN_IF_ERROR(RenameFile(temp, path_, fs_));
  // From here the old file is gone whatever happens: the state must follow the new one.
  {
    std::lock_guard lock(mu_);
    index_ = std::move(live);
    dead_bytes_ = 0;
    file_bytes_ = compacted_bytes;
    map_.reset();
  }
  writer_.reset();
  auto writer = WalWriter::Open(path_, /*sync_each_write=*/false, fs_);
  if (!writer.ok()) {
    writer_lost_ = writer.status();  // readable still; reopening makes it writable again
    return writer_lost_;
  }
  writer_ = std::move(*writer);
  return SyncDir(ParentDir(path_), fs_);
}

Result<std::shared_ptr<const MappedFile>> FeatureStore::MapCovering(uint64_t end) const {
  if (map_ && map_->size() >= end) return map_;
  if (end > file_bytes_) return Status::Corruption(path_ + " is shorter than its index says");
  auto mapped = MappedFile::Map(path_, 0, file_bytes_);
  if (!mapped.ok()) return mapped.status();
  map_ = std::move(*mapped);
  return map_;
}

Result<std::optional<PictureFeatures>> FeatureStore::Get(uint64_t image_id) const {
  Location location;
  std::shared_ptr<const MappedFile> map;
  {
    // The location and the map are taken together: a compaction moves every record.
    std::lock_guard lock(mu_);
    auto it = index_.find(image_id);
    if (it == index_.end()) return std::optional<PictureFeatures>();
    location = it->second;
    auto covering = MapCovering(location.offset + location.length);
    if (!covering.ok()) return covering.status();
    map = std::move(*covering);
  }
  return std::optional<PictureFeatures>(DecodePut(map->data() + location.offset));
}

bool FeatureStore::Contains(uint64_t image_id) const {
  std::lock_guard lock(mu_);
  return index_.contains(image_id);
}

size_t FeatureStore::pictures() const {
  std::lock_guard lock(mu_);
  return index_.size();
}

uint64_t FeatureStore::file_bytes() const {
  std::lock_guard lock(mu_);
  return file_bytes_;
}

uint64_t FeatureStore::dead_bytes() const {
  std::lock_guard lock(mu_);
  return dead_bytes_;
}

}  // namespace alike::library
