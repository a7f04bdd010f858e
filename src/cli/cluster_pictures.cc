#include "cli/cluster_pictures.h"

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "embed/face_calibration.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "image/image_file.h"
#include "library/copies.h"
#include "library/face_rule.h"
#include "library/faces.h"
#include "library/image_facts.h"
#include "library/space.h"
#include "search/copy_verifier.h"

namespace alike::cli {
namespace {

using nlohmann::json;

constexpr char kFaceEmbedder[] = "face";
// A thumbnail's longer side, as one machine's catalog keeps them.
constexpr int kThumbnailSide = 256;

// The hits of a router's search of one query.
Result<std::vector<Hit>> RoutedSearch(cluster::Router& router, const Query& query,
                                      const SearchOptions& options) {
  auto routed = router.Search(query, options);
  if (!routed.ok()) return routed.status();
  return std::move(routed->hits.front());
}

// A payload's object ({} when it is not one: a record written by something else than a worker).
json PayloadObject(const std::string& payload) {
  json p = json::parse(payload, nullptr, false);
  return p.is_object() ? p : json::object();
}

std::vector<std::string> PayloadPaths(const json& payload) {
  const std::string path = payload.value("path", "");
  return path.empty() ? std::vector<std::string>{} : std::vector<std::string>{path};
}

// What a record's payload says of its image, as one machine's catalog would.
ImageDetails DetailsOf(uint64_t image_id, const json& p) {
  ImageDetails d{.id = image_id,
                 .hash = p.value("hash", ""),
                 .bytes = p.value("bytes", uint64_t{0}),
                 .width = p.value("width", 0),
                 .height = p.value("height", 0),
                 .format = p.value("format", ""),
                 .taken = p.value("taken", ""),
                 .camera = p.value("camera", ""),
                 .paths = PayloadPaths(p)};
  if (p.contains("lat") && p.contains("lon") && p["lat"].is_number() && p["lon"].is_number()) {
    d.latitude = p["lat"].get<double>();
    d.longitude = p["lon"].get<double>();
  }
  if (auto tags = p.find("tags"); tags != p.end() && tags->is_array()) {
    for (const json& t : *tags) {
      if (t.is_string()) d.tags.push_back(t.get<std::string>());
    }
  }
  return d;
}

Status FacesOff(const std::string& library) {
  return Status::FailedPrecondition(
      "face indexing is off in the cluster library '" + library +
      "' (faces are biometric data, so it is opt-in): index into a library whose spaces "
      "include faces");
}

Status NotByIndexedImage(const std::string& what) {
  return Status::InvalidArgument(
      "on a cluster, " + what +
      " are searched by picture only: an indexed image's file is read by one machine's "
      "library");
}

// The bytes of an image's file (its payload's path) when the router can read it and it still holds
// the content indexed; nullopt otherwise.
std::optional<image::FileBytes> ReachableFile(const ImageDetails& details, uint64_t max_bytes) {
  if (details.paths.empty()) return std::nullopt;
  auto bytes = image::ReadImageFile(details.paths.front(), max_bytes);
  if (!bytes.ok() || library::ContentHash(bytes->bytes) != details.hash) return std::nullopt;
  return std::move(*bytes);
}

// Copy candidates on a cluster: paths and hashes from the payloads (DetailsOf); features from the
// file when the router can read it (ReachableFile).
class ClusterCopyCandidates : public library::CopyCandidates {
 public:
  using DetailsFn = std::function<Result<ImageDetails>(uint64_t image_id)>;
  ClusterCopyCandidates(DetailsFn details_of, const image::Decoder& decoder)
      : details_of_(std::move(details_of)), decoder_(decoder) {}

  Result<std::vector<std::string>> Paths(uint64_t image_id) const override {
    auto details = Details(image_id);
    if (!details.ok()) return details.status();
    return details->paths;
  }

  Result<std::optional<library::PictureFeatures>> Features(
      uint64_t image_id, const search::CopyVerifier& verifier) const override {
    auto details = Details(image_id);
    if (!details.ok()) return details.status();
    const image::DecodeOptions decode{.min_short_side = library::kCopyShortSide};
    const auto file = ReachableFile(*details, decode.max_bytes);
    if (!file) return std::optional<library::PictureFeatures>();
    auto decoded = decoder_.Decode(file->bytes, decode, details->paths.front());
    if (!decoded.ok()) return std::optional<library::PictureFeatures>();
    auto described = library::DescribeForCopies(verifier, *decoded);
    if (!described.ok()) return described.status();
    return std::optional<library::PictureFeatures>(std::move(*described));
  }

 private:
  // An image gone from the cluster has no paths.
  Result<ImageDetails> Details(uint64_t image_id) const {
    auto details = details_of_(image_id);
    if (!details.ok() && details.status().code() == Status::Code::kNotFound) {
      return ImageDetails{.id = image_id};
    }
    return details;
  }

  const DetailsFn details_of_;
  const image::Decoder& decoder_;
};

}  // namespace

Result<std::unique_ptr<ClusterPictures>> ClusterPictures::Open(
    cluster::NatsConnection& nats, const std::string& name,
    const ClusterCollectionsOptions& options) {
  auto library = cluster::ReadImageLibrary(nats, name);
  if (!library.ok()) return library.status();
  const std::shared_ptr<const embed::EmbedderRegistry> registry =
      embed::InstalledEmbedders(embed::DefaultModelDir());
  std::vector<Space> spaces;
  for (const cluster::ImageLibrarySpace& s : library->spaces) {
    auto router = cluster::Router::Create(nats, {.collection = s.collection,
                                                 .deadline = options.search_deadline,
                                                 .attempt_timeout = options.attempt_timeout});
    if (!router.ok()) {
      return Status(router.status()).WithContext("cluster library '" + name + "'");
    }
    Space& space = spaces.emplace_back(Space{.space = s, .router = std::move(*router)});
    space.model = registry->Open(s.embedder);
    if (space.model.ok() && (*space.model)->version() != s.version) {
      space.model = Status::FailedPrecondition(
          "the cluster library '" + name + "' holds " + s.embedder + " vectors made by " +
          s.version + " but the installed embedder is " + (*space.model)->version() +
          "; install that model, or search a library indexed with this one");
    }
  }
  return std::unique_ptr<ClusterPictures>(
      new ClusterPictures(nats, std::move(*library), std::move(spaces)));
}

ClusterPictures::ClusterPictures(cluster::NatsConnection& nats, cluster::ImageLibrary library,
                                 std::vector<Space> spaces)
    : nats_(nats),
      library_(std::move(library)),
      spaces_(std::move(spaces)),
      decoder_(image::NewDecoder()) {}

std::string ClusterPictures::default_by() const {
  if (library_.Space(library::kCnnEmbedder) || library_.spaces.empty()) {
    return library::kCnnEmbedder;
  }
  return library_.spaces.front().embedder;
}

Result<const ClusterPictures::Space*> ClusterPictures::SpaceForSearch(
    const std::string& embedder) const {
  for (const Space& s : spaces_) {
    if (s.space.embedder != embedder) continue;
    if (!s.model.ok()) return s.model.status();
    return &s;
  }
  return Status::NotFound("the cluster library '" + library_.name + "' has no '" + embedder +
                          "' space");
}

Result<Record> ClusterPictures::ImageRecord(const Space& space, uint64_t image_id) const {
  return space.router->Get(library::VectorId(image_id, 0));
}

uint64_t ClusterPictures::PictureCount() const {
  // JetStream keeps a bucket's keys in the stream "KV_<bucket>", one message per key.
  auto state = nats_.GetStreamState("KV_" + cluster::PicturesBucketName(library_.name));
  return state.ok() ? state->messages : 0;
}

Result<std::vector<ImageHit>> ClusterPictures::Search(const ImageQuery& query,
                                                      const ImageSearchOptions& options) {
  auto space = SpaceForSearch(options.by);
  if (!space.ok()) return space.status();
  const Space& s = **space;
  const embed::Embedder* const model = s.model->get();
  std::optional<Record> indexed;
  std::vector<embed::Embedding> embedded;
  Query q;
  if (const auto image_id = query.image_id()) {
    auto record = ImageRecord(s, *image_id);
    if (!record.ok()) {
      if (record.status().code() != Status::Code::kNotFound) return record.status();
      return Status::NotFound("image " + std::to_string(*image_id) + " has no " + options.by +
                              " vector");
    }
    indexed = std::move(*record);
    q = {.vector = indexed->vector, .binary = indexed->binary};
  } else {
    // Decoded as one machine decodes a query for this embedder alone.
    auto img = decoder_->DecodeSource(
        *query.picture(), {.max_pixels = options.max_pixels,
                           .min_short_side = embed::IndexShortSide(std::span(&model, 1))});
    if (!img.ok()) return img.status();
    auto found = model->Embed(img->bgr);
    if (!found.ok()) return Status(found.status()).WithContext(query.picture()->name());
    if (found->empty()) {
      return Status::InvalidArgument(query.picture()->name() + ": the " + options.by +
                                     " embedder found nothing to search with");
    }
    embedded = std::move(*found);
    q = {.vector = embedded[0].vector, .binary = embedded[0].binary};
  }
  const Metric metric = s.space.metric;
  const uint32_t dimension = s.space.dimension;
  SearchOptions search{.k = options.k + (indexed ? 1 : 0), .filter = options.filter};
  if (options.min_score) {
    search.max_distance = library::MaxDistanceForScore(metric, *options.min_score, dimension);
  }
  auto hits = RoutedSearch(*s.router, q, search);
  if (!hits.ok()) return hits.status();
  std::vector<ImageHit> out;
  std::set<uint64_t> seen;
  for (Hit& hit : *hits) {
    const uint64_t image_id = library::ImageOfVector(hit.id);
    if (indexed && image_id == *query.image_id()) continue;
    if (!seen.insert(image_id).second) continue;
    const float score = library::SimilarityScore(metric, hit.distance, dimension);
    if (options.min_score && score < *options.min_score) break;
    out.push_back({.image_id = image_id,
                   .score = score,
                   .distance = hit.distance,
                   .paths = PayloadPaths(PayloadObject(hit.payload)),
                   .payload = std::move(hit.payload)});
    if (out.size() == options.k) break;
  }
  return out;
}

Result<ImageDetails> ClusterPictures::GetImage(uint64_t image_id) {
  // Every record of a picture carries its facts; faces come last, a picture may have none.
  std::vector<const Space*> order;
  for (const Space& s : spaces_) {
    if (s.space.embedder != kFaceEmbedder) order.push_back(&s);
  }
  for (const Space& s : spaces_) {
    if (s.space.embedder == kFaceEmbedder) order.push_back(&s);
  }
  for (const Space* s : order) {
    auto record = ImageRecord(*s, image_id);
    if (record.ok()) return DetailsOf(image_id, PayloadObject(record->payload));
    if (record.status().code() != Status::Code::kNotFound) return record.status();
  }
  return Status::NotFound("no image " + std::to_string(image_id));
}

Result<std::vector<uint8_t>> ClusterPictures::Thumbnail(uint64_t image_id) {
  auto details = GetImage(image_id);
  if (!details.ok()) return details.status();
  const image::DecodeOptions decode{.min_short_side = kThumbnailSide};
  const auto file = ReachableFile(*details, decode.max_bytes);
  if (!file) {
    return Status::NotFound("image " + std::to_string(image_id) +
                            ": its file is not reachable from this router (or changed since it "
                            "was indexed), and a cluster keeps no thumbnails");
  }
  auto decoded = decoder_->Decode(file->bytes, decode, details->paths.front());
  if (!decoded.ok()) return decoded.status();
  return library::MakeThumbnail(decoded->bgr, kThumbnailSide);
}

Result<std::vector<QueryFace>> ClusterPictures::SearchFaces(const ImageQuery& query,
                                                            const FaceSearchOptions& options) {
  ALIKE_RETURN_IF_ERROR(CheckFaceSearchOptions(options));
  if (!library_.faces()) return FacesOff(library_.name);
  if (!query.picture()) return NotByIndexedImage("faces");
  auto space = SpaceForSearch(kFaceEmbedder);
  if (!space.ok()) return space.status();
  const Space& s = **space;
  auto img = decoder_->DecodeSource(*query.picture(), {.max_pixels = options.max_pixels});
  if (!img.ok()) return img.status();
  const std::string& name = query.picture()->name();
  auto faces = (*s.model)->Embed(img->bgr);
  if (!faces.ok()) return Status(faces.status()).WithContext(name);
  if (faces->empty()) return Status::InvalidArgument(name + ": no face found in the picture");
  const float threshold =
      library::FaceSearchThreshold(embed::DlibFaceCalibration(), PictureCount(), options);
  std::vector<QueryFace> out;
  for (const embed::Embedding& face : *faces) {
    QueryFace found{.box = library::FaceBoxOf(library::VectorPayload("{}", face))};
    auto hits = RoutedSearch(*s.router, {.vector = face.vector},
                             {.k = library::FaceCandidates(options.k), .max_distance = threshold});
    if (!hits.ok()) return hits.status();
    for (const Hit& h : *hits) {
      found.hits.push_back({.image_id = library::ImageOfVector(h.id),
                            .face_id = h.id,
                            .distance = h.distance,
                            .box = library::FaceBoxOf(h.payload),
                            .paths = PayloadPaths(PayloadObject(h.payload))});
    }
    library::RankFaceHits(found.hits, threshold, options);
    out.push_back(std::move(found));
  }
  return out;
}

Result<std::vector<CopyHit>> ClusterPictures::SearchCopies(const ImageQuery& query,
                                                           const CopySearchOptions& options) {
  if (!query.picture()) return NotByIndexedImage("copies");
  const ClusterCopyCandidates candidates([this](uint64_t image_id) { return GetImage(image_id); },
                                         *decoder_);
  library::CopySpaces spaces{.candidates = candidates};
  const std::pair<const char*, std::optional<library::CopySpace>*> wanted[] = {
      {library::kPdqEmbedder, &spaces.pdq},
      {library::kDctHashEmbedder, &spaces.dct64},
      {library::kCnnEmbedder, &spaces.cnn}};
  for (const auto& [name, slot] : wanted) {
    if (!library_.Space(name)) continue;
    auto space = SpaceForSearch(name);
    if (!space.ok()) return space.status();
    cluster::Router* router = (*space)->router.get();
    *slot = library::CopySpace{.model = (*space)->model->get(),
                               .search = [router](const Query& q, const SearchOptions& o) {
                                 return RoutedSearch(*router, q, o);
                               }};
  }
  auto img = decoder_->DecodeSource(*query.picture(), {.max_pixels = options.max_pixels,
                                                       .min_short_side = library::kCopyShortSide});
  if (!img.ok()) return img.status();
  return library::FindCopies(spaces, img->bgr, options, std::nullopt);
}

}  // namespace alike::cli
