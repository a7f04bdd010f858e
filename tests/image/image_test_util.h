// Helpers for the image tests: writing files, building small PNG/EXIF structures by hand (so
// tests can state exact header fields, including hostile ones), and comparing pictures.
#ifndef ALIKE_TESTS_IMAGE_IMAGE_TEST_UTIL_H_
#define ALIKE_TESTS_IMAGE_IMAGE_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>
#include <vector>

namespace alike::image::testing {

using Bytes = std::vector<uint8_t>;

inline void WriteBytes(const std::string& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

inline Bytes Encode(const std::string& ext, const cv::Mat& m, const std::vector<int>& params = {}) {
  Bytes out;
  cv::imencode(ext, m, out, params);
  return out;
}

// Element-wise appends: GCC 12 at -O3 reports false overflow warnings for vector::insert of
// ranges and initializer lists (a known compiler bug), which -Werror would turn into failures.
template <typename It>
inline void Append(Bytes* b, It first, It last) {
  for (; first != last; ++first) b->push_back(static_cast<uint8_t>(*first));
}
inline void Append(Bytes* b, std::initializer_list<uint8_t> values) {
  Append(b, values.begin(), values.end());
}

inline void PutBe32(Bytes* b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b->push_back(static_cast<uint8_t>(v >> s));
}

inline uint32_t Crc32(const uint8_t* p, size_t n, uint32_t crc = 0xFFFFFFFFu) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc;
}

// One PNG chunk: length, type, data, CRC over type and data.
inline Bytes PngChunk(const char type[4], const Bytes& data) {
  Bytes c;
  PutBe32(&c, static_cast<uint32_t>(data.size()));
  Append(&c, type, type + 4);
  Append(&c, data.begin(), data.end());
  PutBe32(&c, Crc32(c.data() + 4, c.size() - 4) ^ 0xFFFFFFFFu);
  return c;
}

inline Bytes PngSignature() { return {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}; }

inline Bytes Ihdr(uint32_t w, uint32_t h, uint8_t depth, uint8_t color_type) {
  Bytes d;
  PutBe32(&d, w);
  PutBe32(&d, h);
  Append(&d, {depth, color_type, 0, 0, 0});
  return PngChunk("IHDR", d);
}

// zlib stream of `raw` in stored (uncompressed) deflate blocks: no zlib needed to write PNGs.
inline Bytes ZlibStored(const Bytes& raw) {
  Bytes z = {0x78, 0x01};
  size_t pos = 0;
  do {
    const size_t n = std::min<size_t>(65535, raw.size() - pos);
    const bool last = pos + n == raw.size();
    z.push_back(last ? 1 : 0);
    z.push_back(static_cast<uint8_t>(n));
    z.push_back(static_cast<uint8_t>(n >> 8));
    z.push_back(static_cast<uint8_t>(~n));
    z.push_back(static_cast<uint8_t>(~n >> 8));
    Append(&z, raw.begin() + pos, raw.begin() + pos + n);
    pos += n;
  } while (pos < raw.size());
  uint32_t a = 1, b = 0;
  for (uint8_t v : raw) {
    a = (a + v) % 65521;
    b = (b + a) % 65521;
  }
  PutBe32(&z, (b << 16) | a);
  return z;
}

// A minimal little-endian TIFF/EXIF structure holding only an Orientation tag.
inline Bytes ExifWithOrientation(int orientation) {
  return {'I',
          'I',
          42,
          0,
          8,
          0,
          0,
          0,  // header, IFD0 at 8
          1,
          0,  // one entry
          0x12,
          0x01,
          3,
          0,
          1,
          0,
          0,
          0,  // Orientation, SHORT, count 1
          static_cast<uint8_t>(orientation),
          0,
          0,
          0,  // value
          0,
          0,
          0,
          0};  // no next IFD
}

// Inserts an eXIf chunk right after IHDR.
inline Bytes PngWithExif(const Bytes& png, const Bytes& exif) {
  Bytes out;
  Append(&out, png.begin(), png.begin() + 33);
  const Bytes chunk = PngChunk("eXIf", exif);
  Append(&out, chunk.begin(), chunk.end());
  Append(&out, png.begin() + 33, png.end());
  return out;
}

// Inserts an APP1 "Exif" segment right after SOI.
inline Bytes JpegWithExif(const Bytes& jpeg, const Bytes& exif) {
  Bytes out = {0xFF, 0xD8, 0xFF, 0xE1};
  const size_t len = exif.size() + 8;
  out.push_back(static_cast<uint8_t>(len >> 8));
  out.push_back(static_cast<uint8_t>(len));
  Append(&out, {'E', 'x', 'i', 'f', 0, 0});
  Append(&out, exif.begin(), exif.end());
  Append(&out, jpeg.begin() + 2, jpeg.end());
  return out;
}

// Mean absolute difference per channel value after shrinking both to a common size.
inline double MeanAbsDiff(const cv::Mat& a, const cv::Mat& b, cv::Size size = {64, 48}) {
  cv::Mat sa, sb, d;
  cv::resize(a, sa, size, 0, 0, cv::INTER_AREA);
  cv::resize(b, sb, size, 0, 0, cv::INTER_AREA);
  cv::absdiff(sa, sb, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3.0;
}

// A picture with structure in every direction (gradients plus a few shapes), so that any wrong
// flip or rotation changes it.
inline cv::Mat TestPattern(int width, int height) {
  cv::Mat m(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      m.at<cv::Vec3b>(y, x) =
          cv::Vec3b(static_cast<uint8_t>(255 * x / width), static_cast<uint8_t>(255 * y / height),
                    static_cast<uint8_t>((x * 7 + y * 3) % 256));
    }
  }
  cv::rectangle(m, {width / 10, height / 8, width / 4, height / 5}, cv::Scalar(0, 0, 255), -1);
  cv::circle(m, {width * 3 / 4, height * 2 / 3}, std::min(width, height) / 8,
             cv::Scalar(255, 255, 255), -1);
  return m;
}

}  // namespace alike::image::testing

#endif  // ALIKE_TESTS_IMAGE_IMAGE_TEST_UTIL_H_
