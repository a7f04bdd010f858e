#include "cluster/image_library.h"

#include <charconv>
#include <nlohmann/json.hpp>

#include "cluster/retry.h"
#include "util/text.h"

namespace alike::cluster {

namespace {

// As one machine numbers an image's vectors (library/image_facts.h, VectorId).
constexpr int kVectorIndexBits = 12;
constexpr uint64_t kMaxVectorsPerImage = uint64_t{1} << kVectorIndexBits;

std::string Describe(const ImageLibrarySpace& s) {
  return s.embedder + " (" + std::to_string(s.dimension) + " " + MetricName(s.metric) +
         ", version " + s.version + ")";
}

bool SameSpace(const ImageLibrarySpace& a, const ImageLibrarySpace& b) {
  return a.embedder == b.embedder && a.version == b.version && a.collection == b.collection &&
         a.dimension == b.dimension && a.metric == b.metric;
}

// The first difference between an existing library and the one a caller has models for; empty
// when they are the same.
std::string Difference(const ImageLibrary& existing, const ImageLibrary& wanted) {
  for (const ImageLibrarySpace& want : wanted.spaces) {
    const ImageLibrarySpace* have = existing.Space(want.embedder);
    if (have == nullptr) return "it has no space of embedder " + want.embedder;
    if (!SameSpace(*have, want)) {
      return "its space " + Describe(*have) + " differs from this one's " + Describe(want);
    }
  }
  for (const ImageLibrarySpace& have : existing.spaces) {
    if (wanted.Space(have.embedder) == nullptr) {
      return "it also has a space of embedder " + have.embedder + ", which this one lacks";
    }
  }
  return "";
}

Status CreateOnce(NatsConnection& nats, const ImageLibrary& library, int replicas) {
  auto bucket = nats.KeyValueBucket({.bucket = kImageLibrariesBucket, .replicas = replicas});
  if (!bucket.ok()) return bucket.status();
  auto created = (*bucket)->Create(library.name, EncodeImageLibrary(library));
  if (created.ok()) return Status::OK();
  if (created.status().code() != Status::Code::kAlreadyExists) return created.status();
  auto entry = (*bucket)->Get(library.name);
  if (!entry.ok()) return entry.status();
  auto existing = DecodeImageLibrary(entry->value);
  if (!existing.ok()) return existing.status().WithContext("image library " + library.name);
  const std::string difference = Difference(*existing, library);
  if (difference.empty()) return Status::OK();
  return Status::FailedPrecondition(
      "image library '" + library.name + "' exists with other models: " + difference +
      "; index with the library's models, or into another library name");
}

}  // namespace

const ImageLibrarySpace* ImageLibrary::Space(std::string_view embedder) const {
  for (const ImageLibrarySpace& s : spaces) {
    if (s.embedder == embedder) return &s;
  }
  return nullptr;
}

std::string EncodeImageLibrary(const ImageLibrary& library) {
  nlohmann::json spaces = nlohmann::json::array();
  for (const ImageLibrarySpace& s : library.spaces) {
    spaces.push_back({{"embedder", s.embedder},
                      {"version", s.version},
                      {"collection", s.collection},
                      {"dimension", s.dimension},
                      {"metric", MetricName(s.metric)}});
  }
  return nlohmann::json{{"name", library.name}, {"spaces", spaces}}.dump();
}

Result<ImageLibrary> DecodeImageLibrary(std::string_view text) {
  ImageLibrary library;
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    library.name = j.at("name").get<std::string>();
    for (const nlohmann::json& s : j.at("spaces")) {
      ImageLibrarySpace& space = library.spaces.emplace_back();
      space.embedder = s.at("embedder").get<std::string>();
      space.version = s.at("version").get<std::string>();
      space.collection = s.at("collection").get<std::string>();
      space.dimension = s.at("dimension").get<uint32_t>();
      auto metric = ParseMetric(s.at("metric").get<std::string>());
      if (!metric.ok()) return Status::Corruption("image library: " + metric.status().message());
      space.metric = *metric;
    }
  } catch (const nlohmann::json::exception& e) {
    return Status::Corruption(std::string("malformed image library: ") + e.what());
  }
  if (library.spaces.empty()) return Status::Corruption("image library without spaces");
  return library;
}

ImageLibrary ImageLibraryFor(const std::string& name, const PictureDescriber& describer) {
  ImageLibrary library{.name = name, .spaces = {}};
  for (const auto& e : describer.embedders()) {
    library.spaces.push_back({.embedder = e->name(),
                              .version = e->version(),
                              .collection = name + "-" + e->name(),
                              .dimension = e->dimension(),
                              .metric = e->metric()});
  }
  return library;
}

Status CreateImageLibrary(NatsConnection& nats, const ImageLibrary& library,
                          const ClusterSettings& settings) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(library.name));
  if (library.spaces.empty()) return Status::InvalidArgument("an image library needs an embedder");
  // The collections first: a descriptor names only collections that exist.
  for (const ImageLibrarySpace& space : library.spaces) {
    ClusterSettings s = settings;
    s.collection.dimension = space.dimension;
    s.collection.metric = space.metric;
    s.collection.index =
        space.metric == Metric::kHamming ? IndexKind::kMultiHash : IndexKind::kHnsw;
    ALIKE_RETURN_IF_ERROR(CreateClusterCollection(nats, space.collection, s));
  }
  ALIKE_RETURN_IF_ERROR(RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return CreateOnce(nats, library, settings.stream_replicas);
  }));
  return RetryWhileTransient(ControlBudget(nats), [&](auto) {
    return nats
        .KeyValueBucket(
            {.bucket = PicturesBucketName(library.name), .replicas = settings.stream_replicas})
        .status();
  });
}

Result<ImageLibrary> ReadImageLibrary(NatsConnection& nats, const std::string& name) {
  ALIKE_RETURN_IF_ERROR(ValidateClusterCollectionName(name));
  return RetryWhileTransient(ControlBudget(nats), [&](auto) -> Result<ImageLibrary> {
    auto bucket = nats.ExistingKeyValueBucket(kImageLibrariesBucket);
    if (!bucket.ok() && bucket.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("no image library '" + name + "' on this cluster");
    }
    if (!bucket.ok()) return bucket.status();
    auto entry = (*bucket)->Get(name);
    if (!entry.ok() && entry.status().code() == Status::Code::kNotFound) {
      return Status::NotFound("no image library '" + name + "' on this cluster");
    }
    if (!entry.ok()) return entry.status();
    auto library = DecodeImageLibrary(entry->value);
    if (!library.ok()) return library.status().WithContext("image library " + name);
    return library;
  });
}

Status CheckSameModels(const ImageLibrary& library, const PictureDescriber& describer) {
  const std::string difference = Difference(library, ImageLibraryFor(library.name, describer));
  if (difference.empty()) return Status::OK();
  return Status::FailedPrecondition("this worker's models do not match image library '" +
                                    library.name + "': " + difference +
                                    " (install the library's models, or index another library)");
}

std::string ModelsKey(const ImageLibrary& library) {
  std::string all;
  for (const ImageLibrarySpace& s : library.spaces) all += s.embedder + "=" + s.version + "\n";
  return StableHashHex(all);
}

std::string PicturesBucketName(const std::string& library) {
  return "alike-" + library + "-pictures";
}

uint64_t ImageIdOfContent(std::string_view content_hash) {
  constexpr size_t kHexDigits = 13;  // 52 bits
  if (content_hash.size() < kHexDigits) return 0;
  uint64_t id = 0;
  const char* end = content_hash.data() + kHexDigits;
  const auto [stopped, error] = std::from_chars(content_hash.data(), end, id, 16);
  return error == std::errc() && stopped == end ? id : 0;
}

std::vector<std::vector<Record>> PictureRecords(const PictureDescription& picture,
                                                const std::string& path) {
  const uint64_t image = ImageIdOfContent(picture.content_hash);
  nlohmann::json payload = nlohmann::json::parse(picture.facts, nullptr, false);
  if (!payload.is_object()) payload = nlohmann::json::object();
  payload["image"] = image;
  payload["path"] = path;
  payload["hash"] = picture.content_hash;
  // Paths come from the file system: replace invalid UTF-8 rather than fail.
  const std::string picture_payload =
      payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::vector<std::vector<Record>> out;
  for (const std::vector<ImageEmbedding>& space : picture.embeddings) {
    std::vector<Record>& records = out.emplace_back();
    for (uint64_t i = 0; i < space.size() && i < kMaxVectorsPerImage; ++i) {
      records.push_back({.id = (image << kVectorIndexBits) | i,
                         .vector = space[i].vector,
                         .binary = space[i].binary,
                         .payload = EmbeddingPayload(picture_payload, space[i])});
    }
  }
  return out;
}

}  // namespace alike::cluster
