// An image library on a cluster: pictures indexed by `alike worker`s into cluster collections,
// searched by picture through `alike serve --cluster`.
//
// Layout in JetStream:
// - The descriptor, one key of the bucket "alike-image-libraries" (the library's name), written
//   once with a compare-and-swap create: the library's spaces, each an embedder with its full
//   version string and the cluster collection holding its vectors, "<library>-<embedder>". A
//   worker whose models have another version is refused (vectors of two models never share a
//   space); creating it again with equal spaces is a no-op, with others an error naming them.
// - Each space a cluster collection (settings.h) of the embedder's dimension and metric: hnsw for
//   float vectors, flat for hashes.
// - The bucket "alike-<library>-pictures": one key per indexed content (the hex SHA-256 of the
//   file's bytes), whose value says the image id, the first path seen and the embedders' versions
//   it was indexed with; written after its vectors were acknowledged, so a key means "indexed".
//
// Records, as one machine stores them (library/image_facts.h), but ids come from content, not
// from a catalog: a picture's image id is the first 52 bits of its content hash
// (ImageIdOfContent), so identical files are one image across the cluster and a record written
// twice (a worker killed after publishing, its batch redelivered) is the same record. Vector i of
// an image (its i-th face; 0 for a whole-picture embedder) has id (image << 12) | i. Expected
// collisions among n pictures: n^2 / 2^53, about 1 at 100M pictures, 111 at 1B (README); the
// payload's "hash" tells a collision apart from a duplicate. Payload: the picture's facts
// (PictureDescription::facts) plus "image" (the id), "path" (the first path seen) and "hash";
// faces add "box", "score" and "landmarks".
//
// Thread-safety: pure functions over the thread-safe NatsConnection.
#ifndef ALIKE_CLUSTER_IMAGE_LIBRARY_H_
#define ALIKE_CLUSTER_IMAGE_LIBRARY_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/embed.h"
#include "alike/status.h"
#include "alike/vector_db.h"
#include "cluster/nats_client.h"
#include "cluster/settings.h"

namespace alike::cluster {

inline constexpr char kImageLibrariesBucket[] = "alike-image-libraries";

struct ImageLibrarySpace {
  std::string embedder;    // "cnn", "pdq", "face", ...
  std::string version;     // the embedder's full version (ImageEmbedder::version)
  std::string collection;  // "<library>-<embedder>"
  uint32_t dimension = 0;
  Metric metric = Metric::kCosine;
};

struct ImageLibrary {
  std::string name;
  std::vector<ImageLibrarySpace> spaces;

  // The space of `embedder`, or null.
  const ImageLibrarySpace* Space(std::string_view embedder) const;
  // Whether faces were opted into (a "face" space).
  bool faces() const { return Space("face") != nullptr; }
};

std::string EncodeImageLibrary(const ImageLibrary& library);
// Corruption naming what is malformed.
Result<ImageLibrary> DecodeImageLibrary(std::string_view text);

// The library `name` with a space per embedder of `describer`, as the describer's models are.
ImageLibrary ImageLibraryFor(const std::string& name, const PictureDescriber& describer);

// Creates the library's descriptor and its collections (each with `settings` but the dimension,
// metric and index, which come from the embedder), or checks that an existing library has the
// same spaces and versions: FailedPrecondition naming the first difference (another model
// version: "re-index with ... or use another library name").
Status CreateImageLibrary(NatsConnection& nats, const ImageLibrary& library,
                          const ClusterSettings& settings);
// NotFound when there is no such library.
Result<ImageLibrary> ReadImageLibrary(NatsConnection& nats, const std::string& name);
// FailedPrecondition unless `describer` has exactly the library's embedders at the same versions
// (a worker with other models must not write into its spaces).
Status CheckSameModels(const ImageLibrary& library, const PictureDescriber& describer);

// A short key of the library's models (every space's embedder and version): what the pictures
// bucket records for content indexed with them.
std::string ModelsKey(const ImageLibrary& library);

// "alike-<library>-pictures".
std::string PicturesBucketName(const std::string& library);

// The first 52 bits of a hex content hash, as an image id (0 for a malformed hash).
uint64_t ImageIdOfContent(std::string_view content_hash);

// The records of one described picture, one list per space in the library's order:
// ids and payloads as the header comment says.
std::vector<std::vector<Record>> PictureRecords(const PictureDescription& picture,
                                                const std::string& path);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_IMAGE_LIBRARY_H_
