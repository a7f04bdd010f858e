#include "cluster/snapshot_service.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

#include "util/file.h"

namespace alike::cluster {
namespace {

using Clock = std::chrono::steady_clock;

// The regular files under `root`, paths relative to it, with their sizes.
Result<std::vector<SnapshotFile>> ListFiles(const std::string& root) {
  namespace fs = std::filesystem;
  std::vector<SnapshotFile> files;
  std::error_code error;
  for (fs::recursive_directory_iterator it(root, error), end; !error && it != end;
       it.increment(error)) {
    if (!it->is_regular_file(error) || error) continue;
    const uint64_t size = it->file_size(error);
    if (error) break;
    files.push_back({.path = it->path().lexically_relative(root).generic_string(), .size = size});
  }
  if (error) return Status::IOError("listing snapshot " + root + ": " + error.message());
  std::sort(files.begin(), files.end(),
            [](const SnapshotFile& a, const SnapshotFile& b) { return a.path < b.path; });
  return files;
}

// A prefix for this service's transfer ids, so that a receiver still holding the id of a
// transfer of an earlier run of the service (on this node) never reads another's files.
std::string RandomIdPrefix() {
  std::random_device device;
  std::uniform_int_distribution<uint64_t> any;
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(any(device)));
  return text;
}

}  // namespace

ShardSnapshotService::ShardSnapshotService(NatsConnection& nats, Database& database,
                                           std::string work_dir, ServedShard served,
                                           SnapshotServiceOptions options)
    : nats_(nats),
      database_(database),
      work_dir_(std::move(work_dir)),
      served_(std::move(served)),
      options_(options),
      chunk_bytes_([&] {
        const size_t most = static_cast<size_t>(std::max<int64_t>(
            nats.max_payload() - static_cast<int64_t>(kSnapshotChunkHeaderBytes), 1));
        return options.chunk_bytes == 0 ? most : std::min(options.chunk_bytes, most);
      }()),
      id_prefix_(RandomIdPrefix()) {}

Result<std::unique_ptr<ShardSnapshotService>> ShardSnapshotService::Start(
    NatsConnection& nats, Database& database, const std::string& collection,
    const std::string& node, std::string work_dir, ServedShard served,
    SnapshotServiceOptions options) {
  ALIKE_RETURN_IF_ERROR(RemoveAll(work_dir));
  ALIKE_RETURN_IF_ERROR(CreateDir(work_dir));
  std::unique_ptr<ShardSnapshotService> service(
      new ShardSnapshotService(nats, database, std::move(work_dir), std::move(served), options));
  ShardSnapshotService* s = service.get();
  s->sweeper_ = std::thread([s] { s->SweepLoop(); });
  auto subscription = nats.Subscribe(NodeSnapshotSubjects(collection, node), "",
                                     [s](const IncomingMessage& m) { s->Answer(m); });
  if (!subscription.ok()) return subscription.status();
  s->subscription_ = std::move(*subscription);
  return service;
}

ShardSnapshotService::~ShardSnapshotService() {
  subscription_.reset();
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  stop_changed_.notify_all();
  if (sweeper_.joinable()) sweeper_.join();
  for (const auto& [id, transfer] : transfers_) (void)RemoveAll(transfer.dir);
}

size_t ShardSnapshotService::transfers() const {
  std::lock_guard lock(mutex_);
  return transfers_.size();
}

void ShardSnapshotService::Answer(const IncomingMessage& request) {
  if (request.reply.empty()) return;  // nobody to answer
  // A reply that cannot be sent is the requester's timeout to handle.
  nats_.Respond(request.reply, Reply(request));
}

std::string ShardSnapshotService::Reply(const IncomingMessage& message) {
  auto request = DecodeSnapshotRequest(message.data);
  if (!request.ok()) return EncodeSnapshotError(request.status());
  switch (request->op) {
    case SnapshotRequest::Op::kBegin: {
      auto shard = ShardOfSnapshotSubject(message.subject);
      if (!shard.ok()) return EncodeSnapshotError(shard.status());
      auto manifest = Begin(*shard);
      return manifest.ok() ? EncodeSnapshotManifest(*manifest)
                           : EncodeSnapshotError(manifest.status().WithContext(
                                 "snapshot of shard " + std::to_string(*shard)));
    }
    case SnapshotRequest::Op::kChunk: {
      auto chunk = Chunk(*request);
      return chunk.ok() ? std::move(*chunk) : EncodeSnapshotError(chunk.status());
    }
    case SnapshotRequest::Op::kEnd:
      End(request->transfer);
      return EncodeSnapshotEnded();
  }
  return EncodeSnapshotError(Status::Internal("unknown snapshot request"));
}

Result<SnapshotManifest> ShardSnapshotService::Begin(uint32_t shard) {
  auto local = served_(shard);
  if (!local.ok()) return local.status();
  {
    // Only this thread adds transfers, so there is still room once the lock is let go.
    std::lock_guard lock(mutex_);
    if (transfers_.size() >= options_.max_transfers) {
      return Status::IOError("this replica holds " + std::to_string(transfers_.size()) +
                             " snapshot transfers already, its most; try another");
    }
  }
  const std::string id = id_prefix_ + "-" + std::to_string(next_id_++);
  const std::string dir = work_dir_ + "/" + id;
  ALIKE_RETURN_IF_ERROR(database_.SnapshotCollection(*local, dir));
  auto files = ListFiles(dir);
  if (!files.ok()) {
    (void)RemoveAll(dir);
    return files.status();
  }
  const auto now = Clock::now();
  std::lock_guard lock(mutex_);
  transfers_[id] = {.dir = dir, .files = *files, .started = now, .last_request = now};
  return SnapshotManifest{
      .transfer = id, .chunk_bytes = static_cast<uint32_t>(chunk_bytes_), .files = *files};
}

Result<std::string> ShardSnapshotService::Chunk(const SnapshotRequest& request) {
  std::string path;
  uint64_t size = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = transfers_.find(request.transfer);
    if (it == transfers_.end()) {
      return Status::NotFound(
          "no snapshot transfer " + request.transfer + " (ended, or abandoned after " +
          std::to_string(options_.idle_timeout.count()) + " ms without a request)");
    }
    Transfer& transfer = it->second;
    if (request.file >= transfer.files.size() ||
        request.offset > transfer.files[request.file].size) {
      return Status::InvalidArgument("snapshot transfer " + request.transfer + " has no file " +
                                     std::to_string(request.file) + " offset " +
                                     std::to_string(request.offset));
    }
    transfer.last_request = Clock::now();
    path = transfer.dir + "/" + transfer.files[request.file].path;
    size = transfer.files[request.file].size;
  }
  // Read outside the lock: the sweeper may delete the directory meanwhile, and the read fails.
  const size_t length =
      static_cast<size_t>(std::min<uint64_t>(chunk_bytes_, size - request.offset));
  auto data = ReadFileRange(path, request.offset, length);
  if (!data.ok()) return data.status();
  if (data->size() != length) {
    return Status::IOError(path + " is shorter than the snapshot listed it");
  }
  return EncodeSnapshotChunk(request.file, request.offset, *data);
}

void ShardSnapshotService::End(const std::string& transfer) {
  std::string dir;
  {
    std::lock_guard lock(mutex_);
    auto it = transfers_.find(transfer);
    if (it == transfers_.end()) return;  // ended already, or abandoned: nothing left to delete
    dir = it->second.dir;
    transfers_.erase(it);
  }
  (void)RemoveAll(dir);  // best effort: the next start of the service empties work_dir
}

void ShardSnapshotService::SweepLoop() {
  const auto interval = std::clamp<std::chrono::milliseconds>(
      options_.idle_timeout / 4, std::chrono::milliseconds(10), std::chrono::milliseconds(1000));
  std::unique_lock lock(mutex_);
  while (!stop_changed_.wait_for(lock, interval, [&] { return stop_; })) {
    const auto now = Clock::now();
    std::vector<std::string> abandoned;
    for (auto it = transfers_.begin(); it != transfers_.end();) {
      const Transfer& t = it->second;
      if (now - t.last_request < options_.idle_timeout && now - t.started < options_.max_duration) {
        ++it;
        continue;
      }
      abandoned.push_back(t.dir);
      it = transfers_.erase(it);
    }
    lock.unlock();
    for (const std::string& dir : abandoned) (void)RemoveAll(dir);
    lock.lock();
  }
}

}  // namespace alike::cluster
