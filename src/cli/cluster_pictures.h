// Search by picture over an image library on a cluster (cluster/image_library.h), for `alike serve
// --cluster URL --library NAME`: the picture routes (server/picture_search.h) answer the same JSON
// as one machine's library, from the cluster collections of the library's spaces, each searched
// through a cluster::Router.
//
// What differs from one machine, and why (the cluster has no catalog; everything comes from the
// records' payloads):
//   - A hit's paths and an image's facts are its payload's: one path (the first seen when it was
//     indexed), the hash, the facts; no later paths, no tags added since.
//   - A query picture is embedded here, with the installed embedder of the space searched, which
//     must have the version the library's descriptor names (else FailedPrecondition, as one machine
//     refuses a space whose model changed).
//   - Faces: the same rule (library/face_rule.h), but no persons (they are grouped by one
//     machine's catalog); the automatic threshold counts the library's pictures (the keys of its
//     pictures bucket), since the cluster keeps no count of faces. A library without a face space
//     answers the one-machine opt-in error (FailedPrecondition).
//   - Copies: candidates from the pdq, dct64 and cnn spaces through the routers, as on one machine
//     (library/copies.h); a candidate is verified with local features where its payload's path is
//     readable from the router and still holds the content hashed at indexing, else it is answered
//     with its hash evidence alone and "verified": false.
//   - Thumbnails are made on request from that same file (a cluster keeps none); else 404.
//   - Faces and copies of an indexed image (by id) need its file: one machine only.
//
// Thread-safety: safe from many threads. It must not outlive the NatsConnection it was given.
#ifndef ALIKE_CLI_CLUSTER_PICTURES_H_
#define ALIKE_CLI_CLUSTER_PICTURES_H_

#include <memory>
#include <string>
#include <vector>

#include "cli/cluster_collections.h"
#include "cluster/image_library.h"
#include "cluster/nats_client.h"
#include "cluster/router.h"
#include "embed/embedder.h"
#include "image/decoder.h"
#include "server/picture_search.h"

namespace alike::cli {

class ClusterPictures : public server::PictureSearch {
 public:
  // Reads the library's descriptor (NotFound naming it when there is none), opens a router per
  // space, with the timeouts of the collections' routers, and loads the installed embedders of
  // its spaces (one that fails to load, or has another version, fails the searches of its space
  // only).
  static Result<std::unique_ptr<ClusterPictures>> Open(cluster::NatsConnection& nats,
                                                       const std::string& library,
                                                       const ClusterCollectionsOptions& options);

  // "cnn" when the library has it, else its first space.
  std::string default_by() const override;
  Result<std::vector<ImageHit>> Search(const ImageQuery& query,
                                       const ImageSearchOptions& options) override;
  Result<ImageDetails> GetImage(uint64_t image_id) override;
  Result<std::vector<uint8_t>> Thumbnail(uint64_t image_id) override;
  Result<std::vector<QueryFace>> SearchFaces(const ImageQuery& query,
                                             const FaceSearchOptions& options) override;
  Result<std::vector<CopyHit>> SearchCopies(const ImageQuery& query,
                                            const CopySearchOptions& options) override;

 private:
  struct Space {
    cluster::ImageLibrarySpace space;
    std::unique_ptr<cluster::Router> router;
    Result<std::unique_ptr<embed::Embedder>> model = Status::Internal("not loaded");
  };

  ClusterPictures(cluster::NatsConnection& nats, cluster::ImageLibrary library,
                  std::vector<Space> spaces);
  // The space of `embedder` with its model, ready to search; NotFound naming the library when it
  // has no such space.
  Result<const Space*> SpaceForSearch(const std::string& embedder) const;
  // The record of an image (its vector 0) in `space`.
  Result<Record> ImageRecord(const Space& space, uint64_t image_id) const;
  // The pictures indexed into the library (its pictures bucket's keys); 0 when not known.
  uint64_t PictureCount() const;

  cluster::NatsConnection& nats_;
  const cluster::ImageLibrary library_;
  const std::vector<Space> spaces_;
  const std::unique_ptr<image::Decoder> decoder_;
};

}  // namespace alike::cli

#endif  // ALIKE_CLI_CLUSTER_PICTURES_H_
