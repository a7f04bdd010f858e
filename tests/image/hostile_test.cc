// Hostile and broken input: every case must come back as a one-line Status naming the file and
// the reason, never a crash, a hang, a huge allocation or a half-grey picture.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include "image/decoder.h"
#include "image/image_test_util.h"
#include "testing/temp_dir.h"

namespace alike::image {
namespace {

using testing::Bytes;
using testing::Encode;
using testing::WriteBytes;

// Decoding `path` fails with exactly "<path>: <reason>".
void ExpectFileError(const std::string& path, const std::string& reason,
                     const DecodeOptions& options = {}) {
  Result<Image> r = DecodeFile(path, options);
  ASSERT_FALSE(r.ok()) << path;
  EXPECT_EQ(r.status().message(), path + ": " + reason);
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
}

void ExpectMemoryError(const Bytes& data, const std::string& reason,
                       const DecodeOptions& options = {}) {
  Result<Image> r = DecodeMemory(data, options, "mem");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "mem: " + reason);
  Result<ImageInfo> p = ProbeMemory(data, "mem", options);
  if (reason.find("truncated") == std::string::npos) {
    EXPECT_FALSE(p.ok()) << "probe accepted what decode refuses: " << reason;
  }
}

Bytes Cut(const Bytes& b, size_t n) { return Bytes(b.begin(), b.begin() + n); }

TEST(ImageHostile, TruncatedJpegAndPng) {
  const cv::Mat m = testing::TestPattern(200, 150);
  const Bytes jpeg = Encode(".jpg", m);
  const Bytes png = Encode(".png", m);
  ExpectMemoryError(Cut(jpeg, jpeg.size() / 2),
                    "truncated or corrupt jpeg (file ends before its end marker)");
  ExpectMemoryError(Cut(jpeg, jpeg.size() - 2),
                    "truncated or corrupt jpeg (file ends before its end marker)");
  ExpectMemoryError(Cut(png, png.size() / 2),
                    "truncated or corrupt png (file ends before its end marker)");
  ExpectMemoryError(Cut(jpeg, 10), "truncated or corrupt JPEG header");
  ExpectMemoryError(Cut(png, 20), "truncated or corrupt PNG header");
}

TEST(ImageHostile, TruncatedWebpGifBmpPnm) {
  const cv::Mat m = testing::TestPattern(64, 48);
  for (const char* ext : {".webp", ".bmp", ".ppm"}) {
    const Bytes b = Encode(ext, m);
    Result<Image> r = DecodeMemory(Cut(b, b.size() * 2 / 3), {}, "mem");
    ASSERT_FALSE(r.ok()) << ext;
    EXPECT_NE(r.status().message().find("truncated or corrupt"), std::string::npos)
        << r.status().message();
  }
}

TEST(ImageHostile, EmptyTextDirectoryMissing) {
  alike::test::TempDir dir;
  WriteBytes(dir.Sub("empty.jpg"), {});
  ExpectFileError(dir.Sub("empty.jpg"), "not an image (empty file)");
  const std::string text = "hello, I am not a picture\n";
  WriteBytes(dir.Sub("x.jpg"), Bytes(text.begin(), text.end()));
  ExpectFileError(dir.Sub("x.jpg"), "not an image (unrecognised header)");
  std::filesystem::create_directory(dir.Sub("folder.png"));
  ExpectFileError(dir.Sub("folder.png"), "is a directory, not an image");
  ExpectFileError(dir.Sub("missing.png"), "no such file");
  Result<ImageInfo> info = ProbeFile(dir.Sub("x.jpg"));
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(info.status().message(), dir.Sub("x.jpg") + ": not an image (unrecognised header)");
}

TEST(ImageHostile, SymlinkLoop) {
  alike::test::TempDir dir;
  ASSERT_EQ(symlink(dir.Sub("b.jpg").c_str(), dir.Sub("a.jpg").c_str()), 0);
  ASSERT_EQ(symlink(dir.Sub("a.jpg").c_str(), dir.Sub("b.jpg").c_str()), 0);
  ExpectFileError(dir.Sub("a.jpg"), "too many levels of symbolic links (a symlink loop?)");
}

TEST(ImageHostile, UnreadableFile) {
  if (geteuid() == 0) GTEST_SKIP() << "running as root, which can read any file";
  alike::test::TempDir dir;
  WriteBytes(dir.Sub("secret.png"), Encode(".png", testing::TestPattern(8, 8)));
  ASSERT_EQ(chmod(dir.Sub("secret.png").c_str(), 0), 0);
  ExpectFileError(dir.Sub("secret.png"), "permission denied");
}

TEST(ImageHostile, ByteLimit) {
  alike::test::TempDir dir;
  const Bytes png = Encode(".png", testing::TestPattern(64, 64));
  WriteBytes(dir.Sub("a.png"), png);
  ExpectFileError(dir.Sub("a.png"),
                  std::to_string(png.size()) + " bytes exceeds the limit of 100 bytes",
                  {.max_bytes = 100});
}

TEST(ImageHostile, HugePngRefusedBeforeAllocation) {
  alike::test::TempDir dir;
  Bytes png = testing::PngSignature();
  for (const Bytes& c : {testing::Ihdr(100000, 100000, 8, 2),
                         testing::PngChunk("IDAT", testing::ZlibStored(Bytes(1000, 0))),
                         testing::PngChunk("IEND", {})}) {
    testing::Append(&png, c.begin(), c.end());
  }
  WriteBytes(dir.Sub("bomb.png"), png);
  ExpectFileError(dir.Sub("bomb.png"), "100000x100000 pixels exceeds the limit of 100 megapixels");
  Result<ImageInfo> info = ProbeFile(dir.Sub("bomb.png"));
  EXPECT_FALSE(info.ok());
}

TEST(ImageHostile, PixelLimitAppliesToEveryHeaderReader) {
  const cv::Mat m = testing::TestPattern(64, 48);
  DecodeOptions tight{.max_pixels = 1000};
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp", ".tiff", ".ppm"}) {
    Result<Image> r = DecodeMemory(Encode(ext, m), tight, "mem");
    ASSERT_FALSE(r.ok()) << ext;
    EXPECT_EQ(r.status().message(), "mem: 64x48 pixels exceeds the limit of 1000 pixels") << ext;
  }
  // A GIF claiming a 60000x60000 logical screen.
  Bytes gif = {'G', 'I', 'F', '8', '9', 'a', 0x60, 0xEA, 0x60, 0xEA, 0, 0, 0, ';'};
  ExpectMemoryError(gif, "60000x60000 pixels exceeds the limit of 100 megapixels");
  // A JPEG whose frame header says 65000x65000.
  Bytes jpeg = Encode(".jpg", m);
  for (size_t i = 2; i + 9 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {
      jpeg[i + 5] = jpeg[i + 7] = 0xFD;
      jpeg[i + 6] = jpeg[i + 8] = 0xE8;
      break;
    }
  }
  ExpectMemoryError(jpeg, "65000x65000 pixels exceeds the limit of 100 megapixels");
}

// Found by fuzz/image_decode_fuzzer.cc: a HEIC whose primary item is a grid, with a 64x64 `ispe`
// but a grid canvas of 21065x17990 declared in its `idat`; libheif allocated the canvas (379 MB)
// while decoding. The canvas is now read from the boxes and checked against the limit first. The
// second file names another file as the grid's data reference, which libheif 1.15 ignores.
TEST(ImageHostile, HeifGridCanvasPastThePixelLimit) {
  for (const char* name :
       {"regression-heic-grid-canvas", "regression-heic-grid-canvas-data-reference"}) {
    SCOPED_TRACE(name);
    const std::string path = std::string(ALIKE_SOURCE_DIR) + "/fuzz/corpus/image_decode/" + name;
    std::ifstream in(path, std::ios::binary);
    ASSERT_TRUE(in) << path;
    const Bytes heic(std::istreambuf_iterator<char>(in), {});
    ExpectMemoryError(heic,
                      "HEIF grid canvas of 21065x17990 pixels exceeds the limit of 100 megapixels");
  }
}

TEST(ImageHostile, RandomDamageNeverCrashes) {
  std::mt19937 rng(7);
  const cv::Mat m = testing::TestPattern(40, 30);
  for (const char* ext : {".jpg", ".png", ".webp", ".bmp", ".tiff", ".ppm"}) {
    const Bytes good = Encode(ext, m);
    for (int trial = 0; trial < 40; ++trial) {
      Bytes bad = good;
      if (trial % 2 == 0) {
        bad.resize(rng() % bad.size());
      } else {
        for (int k = 0; k < 4; ++k) bad[8 + rng() % (bad.size() - 8)] = static_cast<uint8_t>(rng());
      }
      Result<Image> r = DecodeMemory(bad, {}, "fuzz");
      if (r.ok()) {
        EXPECT_EQ(r->bgr.type(), CV_8UC3);
      } else {
        EXPECT_EQ(r.status().message().rfind("fuzz: ", 0), 0u) << r.status().message();
      }
    }
  }
}

TEST(ImageHostile, CorruptJpegFromSharedData) {
  const std::string path =
      std::string(ALIKE_SHARED_DIR) +
      "/data/copies/imagededup/tests/data/mixed_images/ukbench09268_corrupt.jpg";
  if (!std::filesystem::exists(path)) {
    GTEST_SKIP() << "shared test data absent (" << path << "); see ../shared/README.md";
  }
  ExpectFileError(path, "not an image (unrecognised header)");
}

}  // namespace
}  // namespace alike::image
