#include "image/gif_codec.h"

#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace alike::image {
namespace {

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};
using GifPtr = std::unique_ptr<GifFileType, GifCloser>;

// giflib pulls bytes through a callback; this is its cursor over the caller's buffer.
struct MemoryReader {
  std::span<const uint8_t> data;
  size_t pos = 0;
};

int ReadFromMemory(GifFileType* gif, GifByteType* out, int wanted) {
  auto* reader = static_cast<MemoryReader*>(gif->UserData);
  const size_t n =
      std::min(static_cast<size_t>(std::max(wanted, 0)), reader->data.size() - reader->pos);
  std::memcpy(out, reader->data.data() + reader->pos, n);
  reader->pos += n;
  return static_cast<int>(n);
}

Status GifError(const char* what, int code) {
  const char* reason = GifErrorString(code);
  return Status::Corruption(std::string("truncated or corrupt GIF (") + what +
                            (reason != nullptr ? std::string(": ") + reason : std::string()) + ")");
}

}  // namespace

Result<cv::Mat> DecodeGifFirstFrame(std::span<const uint8_t> data, uint64_t max_pixels) {
  MemoryReader reader{data, 0};
  int error = 0;
  GifPtr gif(DGifOpen(&reader, ReadFromMemory, &error));
  if (gif == nullptr) return GifError("header", error);
  const int screen_w = gif->SWidth;
  const int screen_h = gif->SHeight;
  if (screen_w <= 0 || screen_h <= 0) return Status::Corruption("corrupt GIF (empty screen)");

  int transparent = NO_TRANSPARENT_COLOR;
  while (true) {
    GifRecordType type;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return GifError("record", gif->Error);
    if (type == TERMINATE_RECORD_TYPE) return Status::Corruption("corrupt GIF (no image)");
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* block = nullptr;
      if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) {
        return GifError("extension", gif->Error);
      }
      // The graphics control block before a frame names its transparent palette index.
      if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4) {
        GraphicsControlBlock gcb;
        if (DGifExtensionToGCB(block[0], block + 1, &gcb) == GIF_OK) {
          transparent = gcb.TransparentColor;
        }
      }
      while (block != nullptr) {
        if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) {
          return GifError("extension", gif->Error);
        }
      }
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) continue;

    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return GifError("frame", gif->Error);
    const GifImageDesc& desc = gif->Image;
    const ColorMapObject* map = desc.ColorMap != nullptr ? desc.ColorMap : gif->SColorMap;
    if (map == nullptr || map->Colors == nullptr) {
      return Status::Corruption("corrupt GIF (no colour table)");
    }
    if (desc.Width <= 0 || desc.Height <= 0 ||
        static_cast<uint64_t>(desc.Width) * static_cast<uint64_t>(desc.Height) > max_pixels) {
      return Status::InvalidArgument("GIF frame of " + std::to_string(desc.Width) + "x" +
                                     std::to_string(desc.Height) +
                                     " pixels exceeds the pixel limit");
    }
    cv::Mat canvas(screen_h, screen_w, CV_8UC3, cv::Scalar(255, 255, 255));
    std::vector<GifPixelType> line(desc.Width);
    // Interlaced frames store rows in four passes: every 8th from 0, every 8th from 4, every
    // 4th from 2, every 2nd from 1.
    static constexpr int kStart[4] = {0, 4, 2, 1};
    static constexpr int kStep[4] = {8, 8, 4, 2};
    const int passes = desc.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; ++pass) {
      const int start = desc.Interlace ? kStart[pass] : 0;
      const int step = desc.Interlace ? kStep[pass] : 1;
      for (int row = start; row < desc.Height; row += step) {
        if (DGifGetLine(gif.get(), line.data(), desc.Width) == GIF_ERROR) {
          return GifError("pixels", gif->Error);
        }
        const int y = desc.Top + row;
        if (y < 0 || y >= screen_h) continue;  // Frames may overhang the screen: clip.
        uint8_t* out = canvas.ptr<uint8_t>(y);
        for (int col = 0; col < desc.Width; ++col) {
          const int x = desc.Left + col;
          if (x < 0 || x >= screen_w) continue;
          const int index = line[col];
          if (index == transparent || index >= map->ColorCount) continue;
          const GifColorType& c = map->Colors[index];
          out[3 * x] = c.Blue;
          out[3 * x + 1] = c.Green;
          out[3 * x + 2] = c.Red;
        }
      }
    }
    return canvas;
  }
}

}  // namespace alike::image
