#include "image/heif_codec.h"

#include <libheif/heif.h>

#include <memory>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "image/pixels.h"

namespace alike::image {
namespace {

// heif_init/heif_deinit are reference counted; holding one per call keeps plugin state alive
// for exactly as long as a decode needs it, without any process-wide setup.
class HeifLibrary {
 public:
  HeifLibrary() { heif_init(nullptr); }
  ~HeifLibrary() { heif_deinit(); }
  HeifLibrary(const HeifLibrary&) = delete;
  HeifLibrary& operator=(const HeifLibrary&) = delete;
};

struct ContextFree {
  void operator()(heif_context* c) const { heif_context_free(c); }
};
struct HandleRelease {
  void operator()(const heif_image_handle* h) const { heif_image_handle_release(h); }
};
struct ImageRelease {
  void operator()(const heif_image* i) const { heif_image_release(i); }
};
using ContextPtr = std::unique_ptr<heif_context, ContextFree>;
using HandlePtr = std::unique_ptr<heif_image_handle, HandleRelease>;
using ImagePtr = std::unique_ptr<heif_image, ImageRelease>;

Status HeifStatus(const heif_error& e, const char* what) {
  return Status::Corruption(std::string("truncated or corrupt HEIF (") + what + ": " +
                            (e.message != nullptr ? e.message : "unknown error") + ")");
}

// Parses the boxes (no pixel data is decoded) and returns the primary image's handle. `data`
// must outlive the context: it is read without a copy.
Status OpenPrimary(std::span<const uint8_t> data, ContextPtr* ctx, HandlePtr* handle) {
  ctx->reset(heif_context_alloc());
  if (*ctx == nullptr) return Status::Internal("libheif could not allocate a context");
  heif_error e =
      heif_context_read_from_memory_without_copy(ctx->get(), data.data(), data.size(), nullptr);
  if (e.code != heif_error_Ok) return HeifStatus(e, "container");
  heif_image_handle* raw = nullptr;
  e = heif_context_get_primary_image_handle(ctx->get(), &raw);
  if (e.code != heif_error_Ok) return HeifStatus(e, "primary image");
  handle->reset(raw);
  return Status::OK();
}

// HEIF stores EXIF as a 4-byte big-endian offset to the TIFF header, then the block. Metadata
// is a nicety: any problem yields an empty block rather than an error.
std::vector<uint8_t> ReadExif(const heif_image_handle* handle) {
  heif_item_id id = 0;
  if (heif_image_handle_get_list_of_metadata_block_IDs(handle, "Exif", &id, 1) < 1) return {};
  const size_t size = heif_image_handle_get_metadata_size(handle, id);
  if (size < 4 || size > (size_t{1} << 20)) return {};
  std::vector<uint8_t> block(size);
  if (heif_image_handle_get_metadata(handle, id, block.data()).code != heif_error_Ok) return {};
  const size_t offset = (size_t{block[0]} << 24) | (size_t{block[1]} << 16) |
                        (size_t{block[2]} << 8) | size_t{block[3]};
  if (offset > size - 4) return {};
  block.erase(block.begin(), block.begin() + 4 + static_cast<std::ptrdiff_t>(offset));
  return block;
}

}  // namespace

bool HeifCanDecode(Format format) {
  HeifLibrary library;
  const bool hevc = heif_have_decoder_for_format(heif_compression_HEVC) != 0;
  const bool av1 = heif_have_decoder_for_format(heif_compression_AV1) != 0;
  if (format == Format::kHeic) return hevc;
  if (format == Format::kAvif) return av1;
  return hevc || av1;
}

Result<HeifSize> ProbeHeif(std::span<const uint8_t> data) {
  HeifLibrary library;
  ContextPtr ctx;
  HandlePtr handle;
  ALIKE_RETURN_IF_ERROR(OpenPrimary(data, &ctx, &handle));
  HeifSize size{heif_image_handle_get_width(handle.get()),
                heif_image_handle_get_height(handle.get())};
  if (size.width <= 0 || size.height <= 0) {
    return Status::Corruption("corrupt HEIF (no image size)");
  }
  Result<std::optional<HeifCanvas>> canvas = LargestDerivedCanvas(data);
  if (!canvas.ok()) return canvas.status();
  size.derived_canvas = std::move(*canvas);
  return size;
}

Result<HeifPicture> DecodeHeif(std::span<const uint8_t> data, Format format) {
  HeifLibrary library;
  ContextPtr ctx;
  HandlePtr handle;
  ALIKE_RETURN_IF_ERROR(OpenPrimary(data, &ctx, &handle));
  const bool alpha = heif_image_handle_has_alpha_channel(handle.get()) != 0;
  heif_image* raw = nullptr;
  heif_error e = heif_decode_image(
      handle.get(), &raw, heif_colorspace_RGB,
      alpha ? heif_chroma_interleaved_RGBA : heif_chroma_interleaved_RGB, nullptr);
  if (e.code != heif_error_Ok) {
    if (e.code == heif_error_Unsupported_feature || e.code == heif_error_Unsupported_filetype) {
      return Status::NotSupported(std::string("cannot decode this ") + FormatName(format) + " (" +
                                  (e.message != nullptr ? e.message : "unsupported") + ")");
    }
    return HeifStatus(e, "image data");
  }
  ImagePtr image(raw);
  int stride = 0;
  const uint8_t* plane =
      heif_image_get_plane_readonly(image.get(), heif_channel_interleaved, &stride);
  const int w = heif_image_get_width(image.get(), heif_channel_interleaved);
  const int h = heif_image_get_height(image.get(), heif_channel_interleaved);
  if (plane == nullptr || w <= 0 || h <= 0) return Status::Corruption("corrupt HEIF (no pixels)");
  // A view of libheif's buffer; ToBgr8/cvtColor copy out of it before `image` is released.
  cv::Mat rgb(h, w, alpha ? CV_8UC4 : CV_8UC3, const_cast<uint8_t*>(plane),
              static_cast<size_t>(stride));
  cv::Mat bgr;
  cv::cvtColor(rgb, bgr, alpha ? cv::COLOR_RGBA2BGRA : cv::COLOR_RGB2BGR);
  return HeifPicture{ToBgr8(bgr), ReadExif(handle.get())};
}

}  // namespace alike::image
