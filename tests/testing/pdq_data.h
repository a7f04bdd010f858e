// The PDQ reference implementation's test pictures under ../shared (data/copies/pdq), which the
// perceptual hash tests share: the reference hashes, the "bridge" photo edited in a dozen ways,
// and unrelated LabelMe photos; and how far apart a set of hashes is.
#ifndef ALIKE_TESTS_TESTING_PDQ_DATA_H_
#define ALIKE_TESTS_TESTING_PDQ_DATA_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "embed/perceptual_hash.h"
#include "image/decoder.h"

namespace alike::test {

inline std::string PdqShared() { return std::string(ALIKE_SHARED_DIR) + "/data/copies/pdq"; }
// Where the reference's picture paths are relative to.
inline std::string PdqData() { return PdqShared() + "/pdq/data"; }
inline std::string PdqAbsent() { return "PDQ test pictures absent under " + PdqShared(); }

// The files of a directory under PdqData(), sorted; empty when it is absent.
inline std::vector<std::string> PdqFiles(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(PdqData() + "/" + dir, ec)) {
    if (e.is_regular_file()) files.push_back(e.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Decodes at full resolution with alike's decoder (EXIF orientation applied), failing the test
// (empty matrix) when it cannot.
inline cv::Mat DecodeFull(const std::string& path) {
  auto img = image::DecodeFile(path, {});
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? img->bgr : cv::Mat();
}

// The smallest Hamming distance between two of `hashes` (packed bits of one size).
inline int NearestPairDistance(const std::vector<std::vector<uint8_t>>& hashes) {
  int nearest = std::numeric_limits<int>::max();
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (size_t j = i + 1; j < hashes.size(); ++j) {
      nearest = std::min(nearest, embed::BitDistance(hashes[i], hashes[j]));
    }
  }
  return nearest;
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_PDQ_DATA_H_
