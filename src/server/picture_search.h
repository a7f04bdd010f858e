// What the picture routes (picture_routes.cc: search by picture, an image's facts and thumbnail,
// faces and copies of a picture) ask of an image library, wherever it lives: one machine's
// alike::Library (LibraryPictures, below) or an image library on a cluster (cli/cluster_pictures.h,
// for `alike serve --cluster`). The routes parse every request and encode every answer themselves,
// so both answer the same JSON.
//
// Thread-safety: implementations are called from many request threads at once and must be safe
// for that.
#ifndef ALIKE_SERVER_PICTURE_SEARCH_H_
#define ALIKE_SERVER_PICTURE_SEARCH_H_

#include <cstdint>
#include <string>
#include <vector>

#include "alike/library.h"
#include "alike/status.h"

namespace alike::server {

class PictureSearch {
 public:
  virtual ~PictureSearch() = default;

  // The embedder searched when a request names none.
  virtual std::string default_by() const = 0;
  virtual Result<std::vector<ImageHit>> Search(const ImageQuery& query,
                                               const ImageSearchOptions& options) = 0;
  virtual Result<ImageDetails> GetImage(uint64_t image_id) = 0;
  // A JPEG of the image, at most 256 pixels on its longer side.
  virtual Result<std::vector<uint8_t>> Thumbnail(uint64_t image_id) = 0;
  virtual Result<std::vector<QueryFace>> SearchFaces(const ImageQuery& query,
                                                     const FaceSearchOptions& options) = 0;
  virtual Result<std::vector<CopyHit>> SearchCopies(const ImageQuery& query,
                                                    const CopySearchOptions& options) = 0;
};

// One machine's library, as it answers.
class LibraryPictures : public PictureSearch {
 public:
  LibraryPictures(Library& library, std::string default_by)
      : library_(library), default_by_(std::move(default_by)) {}

  std::string default_by() const override { return default_by_; }
  Result<std::vector<ImageHit>> Search(const ImageQuery& query,
                                       const ImageSearchOptions& options) override {
    return library_.Search(query, options);
  }
  Result<ImageDetails> GetImage(uint64_t image_id) override { return library_.GetImage(image_id); }
  Result<std::vector<uint8_t>> Thumbnail(uint64_t image_id) override {
    return library_.Thumbnail(image_id);
  }
  Result<std::vector<QueryFace>> SearchFaces(const ImageQuery& query,
                                             const FaceSearchOptions& options) override {
    return library_.SearchFaces(query, options);
  }
  Result<std::vector<CopyHit>> SearchCopies(const ImageQuery& query,
                                            const CopySearchOptions& options) override {
    return library_.SearchCopies(query, options);
  }

 private:
  Library& library_;
  const std::string default_by_;
};

}  // namespace alike::server

#endif  // ALIKE_SERVER_PICTURE_SEARCH_H_
