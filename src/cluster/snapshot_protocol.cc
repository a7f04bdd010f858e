#include "cluster/snapshot_protocol.h"

#include <charconv>
#include <cstring>
#include <nlohmann/json.hpp>

#include "cluster/reply_error.h"
#include "util/crc32c.h"

namespace alike::cluster {
namespace {

using nlohmann::json;

constexpr char kChunkMagic[4] = {'A', 'S', 'C', '1'};
constexpr char kSnapshotToken[] = ".snap.";

template <typename T>
void Append(std::string& out, T value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof(value));
}

template <typename T>
T Load(const char* at) {
  T value;
  std::memcpy(&value, at, sizeof(value));
  return value;
}

// Over the header's fields (after the magic, before the CRC) and then the data.
uint32_t ChunkCrc(std::string_view frame_fields, std::string_view data) {
  return MaskCrc(
      Crc32c(data.data(), data.size(), Crc32c(frame_fields.data(), frame_fields.size())));
}

// A path the receiver may write under its snapshot directory: relative, '/'-separated names of
// letters, digits, '.', '_' and '-', none of them "." or "..".
bool SafeRelativePath(std::string_view path) {
  if (path.empty()) return false;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view name = path.substr(start, slash - start);
    if (name.empty() || name == "." || name == "..") return false;
    for (const char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    start = slash + 1;
  }
  return true;
}

// A JSON reply that is not an error reply.
Result<json> ParseReply(std::string_view reply, const char* what) {
  json j = json::parse(reply, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return Status::Corruption(std::string("malformed snapshot ") + what + " reply");
  }
  if (Status error = DecodeErrorReply(j); !error.ok()) return error;
  return j;
}

}  // namespace

std::string ShardSnapshotSubject(const std::string& collection, uint32_t shard,
                                 const std::string& node) {
  return "alike." + collection + ".snap." + std::to_string(shard) + "." + node;
}

std::string NodeSnapshotSubjects(const std::string& collection, const std::string& node) {
  return "alike." + collection + ".snap.*." + node;
}

Result<uint32_t> ShardOfSnapshotSubject(std::string_view subject) {
  const auto refused = [&] {
    std::string message(subject);
    return Status::InvalidArgument(message.append(" is not a snapshot subject"));
  };
  // "alike.", the collection (which holds no '.'), ".snap.", the shard, '.', the node.
  if (!subject.starts_with("alike.")) return refused();
  const size_t token = subject.find('.', std::strlen("alike."));
  if (token == std::string_view::npos || !subject.substr(token).starts_with(kSnapshotToken)) {
    return refused();
  }
  const std::string_view rest = subject.substr(token + std::strlen(kSnapshotToken));
  uint32_t shard = 0;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), shard);
  if (error != std::errc() || end == rest.data() || end == rest.data() + rest.size() ||
      *end != '.') {
    return refused();
  }
  return shard;
}

std::string EncodeSnapshotRequest(const SnapshotRequest& request) {
  switch (request.op) {
    case SnapshotRequest::Op::kBegin:
      return json{{"op", "begin"}}.dump();
    case SnapshotRequest::Op::kChunk:
      return json{{"op", "chunk"},
                  {"transfer", request.transfer},
                  {"file", request.file},
                  {"offset", request.offset}}
          .dump();
    case SnapshotRequest::Op::kEnd:
      break;
  }
  return json{{"op", "end"}, {"transfer", request.transfer}}.dump();
}

Result<SnapshotRequest> DecodeSnapshotRequest(std::string_view text) {
  SnapshotRequest request;
  try {
    const json j = json::parse(text);
    const std::string op = j.at("op").get<std::string>();
    if (op == "begin") return request;
    request.transfer = j.at("transfer").get<std::string>();
    if (op == "end") {
      request.op = SnapshotRequest::Op::kEnd;
      return request;
    }
    if (op != "chunk") return Status::InvalidArgument("unknown snapshot request '" + op + "'");
    request.op = SnapshotRequest::Op::kChunk;
    request.file = j.at("file").get<uint32_t>();
    request.offset = j.at("offset").get<uint64_t>();
  } catch (const json::exception& e) {
    return Status::InvalidArgument(std::string("malformed snapshot request: ") + e.what());
  }
  return request;
}

std::string EncodeSnapshotManifest(const SnapshotManifest& manifest) {
  json files = json::array();
  for (const SnapshotFile& f : manifest.files)
    files.push_back({{"path", f.path}, {"size", f.size}});
  return json{{"transfer", manifest.transfer},
              {"chunk_bytes", manifest.chunk_bytes},
              {"files", std::move(files)}}
      .dump();
}

Result<SnapshotManifest> DecodeSnapshotManifest(std::string_view reply) {
  auto j = ParseReply(reply, "begin");
  if (!j.ok()) return j.status();
  SnapshotManifest manifest;
  try {
    manifest.transfer = j->at("transfer").get<std::string>();
    manifest.chunk_bytes = j->at("chunk_bytes").get<uint32_t>();
    for (const json& f : j->at("files")) {
      manifest.files.push_back(
          {.path = f.at("path").get<std::string>(), .size = f.at("size").get<uint64_t>()});
    }
  } catch (const json::exception& e) {
    return Status::Corruption(std::string("malformed snapshot manifest: ") + e.what());
  }
  if (manifest.chunk_bytes == 0) return Status::Corruption("snapshot manifest: chunks of 0 bytes");
  for (const SnapshotFile& f : manifest.files) {
    if (!SafeRelativePath(f.path)) {
      return Status::Corruption("snapshot manifest: unsafe file path '" + f.path + "'");
    }
  }
  return manifest;
}

std::string EncodeSnapshotEnded() { return json{{"ended", true}}.dump(); }

Status DecodeSnapshotEnded(std::string_view reply) { return ParseReply(reply, "end").status(); }

std::string EncodeSnapshotError(const Status& status) { return EncodeErrorReply(status).dump(); }

std::string EncodeSnapshotChunk(uint32_t file, uint64_t offset, std::string_view data) {
  std::string frame(kChunkMagic, sizeof(kChunkMagic));
  frame.reserve(kSnapshotChunkHeaderBytes + data.size());
  Append(frame, file);
  Append(frame, offset);
  Append(frame, static_cast<uint32_t>(data.size()));
  Append(frame, ChunkCrc(std::string_view(frame).substr(sizeof(kChunkMagic)), data));
  frame.append(data);
  return frame;
}

Result<SnapshotChunk> DecodeSnapshotChunk(std::string_view reply) {
  if (!reply.starts_with(std::string_view(kChunkMagic, sizeof(kChunkMagic)))) {
    auto j = ParseReply(reply, "chunk");
    return j.ok() ? Status::Corruption("a snapshot chunk reply holds no chunk") : j.status();
  }
  if (reply.size() < kSnapshotChunkHeaderBytes) {
    return Status::Corruption("snapshot chunk cut short: " + std::to_string(reply.size()) +
                              " bytes");
  }
  const char* header = reply.data();
  SnapshotChunk chunk{.file = Load<uint32_t>(header + 4),
                      .offset = Load<uint64_t>(header + 8),
                      .data = reply.substr(kSnapshotChunkHeaderBytes)};
  const uint32_t length = Load<uint32_t>(header + 16);
  const uint32_t crc = Load<uint32_t>(header + 20);
  if (length != chunk.data.size() || crc != ChunkCrc(reply.substr(4, 16), chunk.data)) {
    return Status::Corruption("snapshot chunk of file " + std::to_string(chunk.file) +
                              " at offset " + std::to_string(chunk.offset) + " fails its checksum");
  }
  return chunk;
}

}  // namespace alike::cluster
