#include "image/decoder.h"

#include <gif_lib.h>
#include <gtest/gtest.h>
#include <libheif/heif.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

#include "image/image_test_util.h"
#include "testing/temp_dir.h"

namespace alike::image {
namespace {

using testing::Bytes;
using testing::Encode;
using testing::MeanAbsDiff;
using testing::WriteBytes;

std::string SharedDir() { return ALIKE_SHARED_DIR; }

std::string FormatsDir() {
  return SharedDir() + "/data/copies/imagededup/tests/data/formats_images";
}

#define SKIP_WITHOUT(path)                                                                 \
  if (!std::filesystem::exists(path)) {                                                    \
    GTEST_SKIP() << "shared test data absent (" << (path) << "); see ../shared/README.md"; \
  }

Image MustDecode(const std::string& path, const DecodeOptions& options = {}) {
  Result<Image> r = DecodeFile(path, options);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  if (!r.ok()) return {};
  EXPECT_EQ(r->bgr.type(), CV_8UC3);
  return std::move(r).value();
}

TEST(ImageFormats, SamePictureInEveryFormatDecodesAlike) {
  SKIP_WITHOUT(FormatsDir());
  const Image jpeg = MustDecode(FormatsDir() + "/ukbench09380.jpeg");
  EXPECT_EQ(jpeg.format, "jpeg");
  EXPECT_EQ(jpeg.bgr.cols, 640);
  EXPECT_EQ(jpeg.bgr.rows, 480);
  EXPECT_EQ(jpeg.exif.camera_make, "Canon");
  // These carry other extensions but are JPEGs inside: the content decides.
  for (const char* name : {"ukbench09380.png", "ukbench09380.bmp", "ukbench09380.svg"}) {
    const Image img = MustDecode(FormatsDir() + "/" + name);
    EXPECT_EQ(img.format, "jpeg") << name;
  }
  const Image webp = MustDecode(FormatsDir() + "/ukbench09380.webp");
  EXPECT_EQ(webp.format, "webp");
  ASSERT_EQ(webp.bgr.size(), jpeg.bgr.size());
  EXPECT_LT(MeanAbsDiff(webp.bgr, jpeg.bgr), 6.0);
}

TEST(ImageFormats, TiffGifAndNetpbmFromSharedData) {
  SKIP_WITHOUT(FormatsDir());
  struct Case {
    const char* name;
    const char* format;
    int width, height;
  };
  for (const Case& c :
       {Case{"copyleft.tiff", "tiff", 220, 220}, Case{"giphy.gif", "gif", 314, 400},
        Case{"Iggy.1024.ppm", "pnm", 1024, 1024}, Case{"baboon.pgm", "pnm", 512, 512},
        Case{"marbles.pbm", "pnm", 1152, 813}}) {
    const Image img = MustDecode(FormatsDir() + "/" + c.name);
    EXPECT_EQ(img.format, c.format) << c.name;
    EXPECT_EQ(img.bgr.cols, c.width) << c.name;
    EXPECT_EQ(img.bgr.rows, c.height) << c.name;
    Result<ImageInfo> info = ProbeFile(FormatsDir() + "/" + c.name);
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->format, c.format);
    EXPECT_EQ(info->width, c.width);
    EXPECT_EQ(info->height, c.height);
  }
}

TEST(ImageFormats, GreyJpegAndRgbaPngFromSharedData) {
  const std::string dir = SharedDir() + "/data/copies/imagededup/tests/data";
  SKIP_WITHOUT(dir);
  const Image grey = MustDecode(dir + "/ukbench00120_gray.jpg");
  EXPECT_EQ(grey.bgr.size(), cv::Size(640, 480));
  const Image rgba = MustDecode(dir + "/alpha_channel_image.png");
  EXPECT_EQ(rgba.format, "png");
  EXPECT_EQ(rgba.bgr.size(), cv::Size(640, 480));
}

TEST(ImageFormats, SixteenBitPngIsScaledToEightBits) {
  alike::test::TempDir dir;
  cv::Mat m(20, 30, CV_16UC3, cv::Scalar(65535, 32896, 0));  // 32896 = 128 * 257
  ASSERT_TRUE(cv::imwrite(dir.Sub("deep.png"), m));
  const Image img = MustDecode(dir.Sub("deep.png"));
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(5, 5), cv::Vec3b(255, 128, 0));
}

TEST(ImageFormats, GreyPngBecomesBgr) {
  alike::test::TempDir dir;
  cv::Mat m(10, 12, CV_8UC1, cv::Scalar(77));
  ASSERT_TRUE(cv::imwrite(dir.Sub("grey.png"), m));
  const Image img = MustDecode(dir.Sub("grey.png"));
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(3, 3), cv::Vec3b(77, 77, 77));
}

TEST(ImageFormats, RgbaPngIsCompositedOntoWhite) {
  alike::test::TempDir dir;
  cv::Mat m(10, 10, CV_8UC4, cv::Scalar(0, 0, 255, 255));    // opaque red
  m(cv::Rect(0, 0, 5, 10)).setTo(cv::Scalar(0, 0, 0, 0));    // left half fully transparent
  m(cv::Rect(5, 0, 1, 10)).setTo(cv::Scalar(0, 0, 0, 128));  // half-transparent black
  ASSERT_TRUE(cv::imwrite(dir.Sub("rgba.png"), m));
  const Image img = MustDecode(dir.Sub("rgba.png"));
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(2, 2), cv::Vec3b(255, 255, 255));
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(2, 8), cv::Vec3b(0, 0, 255));
  EXPECT_NEAR(img.bgr.at<cv::Vec3b>(2, 5)[0], 127, 1);
}

TEST(ImageFormats, PalettePngWithTransparency) {
  // 4x2, 8-bit palette: index 0 = blue, 1 = green, 2 = transparent.
  Bytes raw;
  for (int y = 0; y < 2; ++y) testing::Append(&raw, {0, 0, 1, 2, 2});  // filter byte + 4 pixels
  Bytes png = testing::PngSignature();
  auto add = [&](const Bytes& chunk) { testing::Append(&png, chunk.begin(), chunk.end()); };
  add(testing::Ihdr(4, 2, 8, 3));
  add(testing::PngChunk("PLTE", {0, 0, 255, 0, 255, 0, 9, 9, 9}));
  add(testing::PngChunk("tRNS", {255, 255, 0}));
  add(testing::PngChunk("IDAT", testing::ZlibStored(raw)));
  add(testing::PngChunk("IEND", {}));
  Result<Image> img = DecodeMemory(png, {}, "palette.png");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 0, 0));
  EXPECT_EQ(img->bgr.at<cv::Vec3b>(1, 1), cv::Vec3b(0, 255, 0));
  EXPECT_EQ(img->bgr.at<cv::Vec3b>(1, 3), cv::Vec3b(255, 255, 255));
}

// Writes an 8x6 GIF whose single, interlaced 4x4 frame sits at (2,1); palette index 3 is
// transparent.
void WriteGif(const std::string& path) {
  int error = 0;
  GifFileType* gif = EGifOpenFileName(path.c_str(), false, &error);
  ASSERT_NE(gif, nullptr) << GifErrorString(error);
  const GifColorType colors[4] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}};
  ColorMapObject* map = GifMakeMapObject(4, colors);
  EGifSetGifVersion(gif, true);
  ASSERT_EQ(EGifPutScreenDesc(gif, 8, 6, 2, 0, map), GIF_OK);
  GraphicsControlBlock gcb{};
  gcb.TransparentColor = 3;
  gcb.DisposalMode = DISPOSAL_UNSPECIFIED;
  GifByteType ext[4];
  const size_t n = EGifGCBToExtension(&gcb, ext);
  ASSERT_EQ(EGifPutExtension(gif, GRAPHICS_EXT_FUNC_CODE, static_cast<int>(n), ext), GIF_OK);
  ASSERT_EQ(EGifPutImageDesc(gif, 2, 1, 4, 4, true, nullptr), GIF_OK);
  // Rows are written in interlace order (0, then 2, then 1, 3 for a 4-row frame).
  GifPixelType rows[4][4] = {{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 2, 2, 2}, {3, 3, 0, 0}};
  for (int r : {0, 2, 1, 3}) ASSERT_EQ(EGifPutLine(gif, rows[r], 4), GIF_OK);
  EGifCloseFile(gif, &error);
  GifFreeMapObject(map);
}

TEST(ImageFormats, GifFirstFrameOnItsScreen) {
  alike::test::TempDir dir;
  WriteGif(dir.Sub("made.gif"));
  const Image img = MustDecode(dir.Sub("made.gif"));
  EXPECT_EQ(img.format, "gif");
  ASSERT_EQ(img.bgr.size(), cv::Size(8, 6));
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(0, 0), cv::Vec3b(255, 255, 255));  // outside the frame
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(1, 2), cv::Vec3b(0, 0, 255));      // row 0: red
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(2, 3), cv::Vec3b(0, 255, 0));      // row 1: green
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(3, 4), cv::Vec3b(255, 0, 0));      // row 2: blue
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(4, 2), cv::Vec3b(255, 255, 255));  // row 3: transparent
  EXPECT_EQ(img.bgr.at<cv::Vec3b>(4, 5), cv::Vec3b(0, 0, 255));

  std::ifstream in(dir.Sub("made.gif"), std::ios::binary);
  const Bytes whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t keep = 14; keep + 2 < whole.size(); ++keep) {
    Result<Image> cut = DecodeMemory(Bytes(whole.begin(), whole.begin() + keep), {}, "cut.gif");
    ASSERT_FALSE(cut.ok()) << keep;
    EXPECT_EQ(cut.status().message().rfind("cut.gif: ", 0), 0u) << cut.status().message();
  }
}

#if defined(__SANITIZE_ADDRESS__)
// libx265 (the HEVC encoder behind libheif, used only to make test files) leaks one allocation
// per process; it is not alike's to fix, so the encoder runs with leak detection paused.
class LeakCheckPause {
 public:
  LeakCheckPause() { __lsan_disable(); }
  ~LeakCheckPause() { __lsan_enable(); }
  LeakCheckPause(const LeakCheckPause&) = delete;
  LeakCheckPause& operator=(const LeakCheckPause&) = delete;
};
#else
struct LeakCheckPause {};
#endif

// Encodes `m` with libheif into `path`; empty string on success, else why not.
std::string EncodeHeif(const cv::Mat& bgr, heif_compression_format codec, const std::string& path) {
  if (!heif_have_encoder_for_format(codec)) return "libheif has no encoder for this codec";
  [[maybe_unused]] LeakCheckPause pause;
  std::unique_ptr<heif_context, void (*)(heif_context*)> ctx(heif_context_alloc(),
                                                             heif_context_free);
  heif_encoder* raw_encoder = nullptr;
  heif_error e = heif_context_get_encoder_for_format(ctx.get(), codec, &raw_encoder);
  if (e.code != heif_error_Ok) return e.message;
  std::unique_ptr<heif_encoder, void (*)(heif_encoder*)> encoder(raw_encoder, heif_encoder_release);
  heif_encoder_set_lossy_quality(encoder.get(), 90);
  heif_image* raw_image = nullptr;
  e = heif_image_create(bgr.cols, bgr.rows, heif_colorspace_RGB, heif_chroma_interleaved_RGB,
                        &raw_image);
  if (e.code != heif_error_Ok) return e.message;
  std::unique_ptr<heif_image, void (*)(const heif_image*)> image(raw_image, heif_image_release);
  heif_image_add_plane(image.get(), heif_channel_interleaved, bgr.cols, bgr.rows, 8);
  int stride = 0;
  uint8_t* plane = heif_image_get_plane(image.get(), heif_channel_interleaved, &stride);
  cv::Mat rgb(bgr.rows, bgr.cols, CV_8UC3, plane, static_cast<size_t>(stride));
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  heif_image_handle* raw_handle = nullptr;
  e = heif_context_encode_image(ctx.get(), image.get(), encoder.get(), nullptr, &raw_handle);
  if (e.code != heif_error_Ok) return e.message;
  std::unique_ptr<heif_image_handle, void (*)(const heif_image_handle*)> handle(
      raw_handle, heif_image_handle_release);
  // An EXIF orientation that the decoder must report but not apply (HEIF rotates with irot).
  const Bytes exif = testing::ExifWithOrientation(6);
  e = heif_context_add_exif_metadata(ctx.get(), handle.get(), exif.data(),
                                     static_cast<int>(exif.size()));
  if (e.code != heif_error_Ok) return e.message;
  e = heif_context_write_to_file(ctx.get(), path.c_str());
  if (e.code != heif_error_Ok) return e.message;
  return "";
}

// libheif registers its codecs in heif_init; the guard keeps them registered for one test.
class HeifInit {
 public:
  HeifInit() { heif_init(nullptr); }
  ~HeifInit() { heif_deinit(); }
  HeifInit(const HeifInit&) = delete;
  HeifInit& operator=(const HeifInit&) = delete;
};

void CheckHeif(heif_compression_format codec, const char* ext, const char* format) {
  HeifInit heif;
  alike::test::TempDir dir;
  const cv::Mat pattern = testing::TestPattern(128, 96);
  const std::string path = dir.Sub(std::string("made.") + ext);
  const std::string why = EncodeHeif(pattern, codec, path);
  if (!why.empty()) GTEST_SKIP() << "cannot encode a test " << ext << ": " << why;
  Result<Image> img = DecodeFile(path, {});
  if (!heif_have_decoder_for_format(codec)) {
    ASSERT_FALSE(img.ok());
    EXPECT_EQ(img.status().code(), Status::Code::kNotSupported) << img.status().ToString();
    GTEST_SKIP() << "libheif has no " << ext << " decoder here; got: " << img.status().message();
  }
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->format, format);
  EXPECT_EQ(img->bgr.size(), pattern.size());
  EXPECT_LT(MeanAbsDiff(img->bgr, pattern), 8.0);
  EXPECT_EQ(img->exif.orientation, 6);
  EXPECT_EQ(img->orientation, 1);
  // Cut short, it is an error naming the file, not a crash or a partial picture.
  std::ifstream in(path, std::ios::binary);
  const Bytes whole((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (size_t keep : {whole.size() / 2, whole.size() - 10, size_t{40}}) {
    Result<Image> cut = DecodeMemory(Bytes(whole.begin(), whole.begin() + keep), {}, "cut");
    ASSERT_FALSE(cut.ok()) << keep;
    EXPECT_EQ(cut.status().message().rfind("cut: ", 0), 0u) << cut.status().message();
  }
  Result<ImageInfo> info = ProbeFile(path);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->width, 128);
  EXPECT_EQ(info->height, 96);
}

TEST(ImageFormats, HeicEncodedWithLibheif) { CheckHeif(heif_compression_HEVC, "heic", "heic"); }
TEST(ImageFormats, AvifEncodedWithLibheif) { CheckHeif(heif_compression_AV1, "avif", "avif"); }

TEST(ImageShrink, LargeJpegUsesDctScaling) {
  alike::test::TempDir dir;
  const std::string path = dir.Sub("big.jpg");
  ASSERT_TRUE(cv::imwrite(path, testing::TestPattern(4000, 3000)));
  using Clock = std::chrono::steady_clock;
  auto t0 = Clock::now();
  const Image full = MustDecode(path);
  auto t1 = Clock::now();
  const Image small = MustDecode(path, {.min_short_side = 256});
  auto t2 = Clock::now();
  const Image mid = MustDecode(path, {.min_short_side = 400});
  EXPECT_EQ(full.bgr.size(), cv::Size(4000, 3000));
  EXPECT_EQ(full.reduction, 1);
  EXPECT_EQ(small.reduction, 8);  // 3000 / 8 = 375 >= 256
  EXPECT_EQ(small.bgr.size(), cv::Size(341, 256));
  EXPECT_EQ(small.original_width, 4000);
  EXPECT_EQ(small.original_height, 3000);
  EXPECT_EQ(mid.reduction, 4);  // 375 < 400 <= 750
  EXPECT_EQ(mid.bgr.size(), cv::Size(533, 400));
  EXPECT_LT(MeanAbsDiff(small.bgr, full.bgr), 4.0);
  const auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  std::printf("4000x3000 JPEG: full decode %.1f ms, min_short_side=256 (1/8 DCT) %.1f ms\n",
              ms(t1 - t0), ms(t2 - t1));
}

TEST(ImageShrink, OtherFormatsResizeAfterDecoding) {
  alike::test::TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.Sub("wide.png"), testing::TestPattern(1000, 500)));
  const Image img = MustDecode(dir.Sub("wide.png"), {.min_short_side = 100});
  EXPECT_EQ(img.reduction, 1);
  EXPECT_EQ(img.bgr.size(), cv::Size(200, 100));
  // Never enlarged.
  const Image same = MustDecode(dir.Sub("wide.png"), {.min_short_side = 900});
  EXPECT_EQ(same.bgr.size(), cv::Size(1000, 500));
}

TEST(ImageDecoder, SeamDecodesLikeTheFreeFunctions) {
  alike::test::TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.Sub("a.png"), testing::TestPattern(40, 30)));
  std::unique_ptr<Decoder> decoder = NewDecoder();
  Result<Image> img = decoder->DecodeFile(dir.Sub("a.png"), {});
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->bgr.size(), cv::Size(40, 30));
  Result<ImageInfo> info = decoder->ProbeFile(dir.Sub("a.png"), {});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->format, "png");
  EXPECT_GT(info->file_size, 0u);
}

}  // namespace
}  // namespace alike::image
