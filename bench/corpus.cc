#include "corpus.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <string_view>
#include <thread>

#include "bench_util.h"
#include "image/decoder.h"
#include "util/file.h"

namespace alike::bench {
namespace {

namespace fs = std::filesystem;

constexpr int kJpegQuality = 90;
// Standard deviation of the added grain, in 8-bit levels: it gives the 12-MP images the bytes and
// decode time of the real 12-MP phone photos among the sources (about 3 MiB; the bench prints
// both).
constexpr double kGrainSigma = 7.0;
constexpr double kMinCropScale = 0.75;
// Sources: a dozen distinct photos give variety; any shorter side from 480 up will do.
constexpr size_t kMaxSources = 12;
constexpr int kMinSourceSide = 480;
// Perceptual hashes of near-copies (an edit, a re-encode) differ in a few of 64 bits; those of
// different photos in 18 or more among the test data.
constexpr int kSameHashBits = 8;
// Changing any of the above, or how an image is made, must change this line too: it keys the cache.
constexpr std::string_view kManifestVersion = "alike-bench corpus v1";

using Hash = uint64_t;

// A DCT perceptual hash of a 32x32 grey thumbnail: bit i says whether the i-th of the 8x8
// lowest-frequency coefficients is above their median (the DC term, the mean, is left out of it).
Hash PerceptualHash(const cv::Mat& grey32) {
  cv::Mat real, spectrum;
  grey32.convertTo(real, CV_32F);
  cv::dct(real, spectrum);
  std::array<float, 64> low;
  for (int i = 0; i < 64; ++i) low[i] = spectrum.at<float>(i / 8, i % 8);
  std::array<float, 63> ac;
  std::copy(low.begin() + 1, low.end(), ac.begin());
  std::nth_element(ac.begin(), ac.begin() + ac.size() / 2, ac.end());
  const float median = ac[ac.size() / 2];
  Hash h = 0;
  for (int i = 0; i < 64; ++i) {
    if (low[i] > median) h |= Hash{1} << i;
  }
  return h;
}

// The hash of the picture under each of the eight rotations and flips. The thumbnail ignores the
// aspect ratio, so rotating or mirroring the picture rotates or mirrors its thumbnail.
std::array<Hash, 8> DihedralHashes(const cv::Mat& bgr) {
  cv::Mat grey, thumb;
  cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
  cv::resize(grey, thumb, cv::Size(32, 32), 0, 0, cv::INTER_AREA);
  std::array<Hash, 8> hashes;
  for (int r = 0; r < 4; ++r) {
    hashes[2 * r] = PerceptualHash(thumb);
    cv::Mat mirrored;
    cv::flip(thumb, mirrored, 1);
    hashes[2 * r + 1] = PerceptualHash(mirrored);
    cv::rotate(thumb, thumb, cv::ROTATE_90_CLOCKWISE);
  }
  return hashes;
}

std::string Manifest(std::span<const SourcePhoto> sources, const CorpusSpec& spec) {
  std::string m(kManifestVersion);
  m += "\nsize " + std::to_string(spec.width) + "x" + std::to_string(spec.height) + "\ncount " +
       std::to_string(spec.count) + "\nfirst " + std::to_string(spec.first) + "\nseed " +
       std::to_string(spec.seed) + "\n";
  for (const SourcePhoto& s : sources) {
    m += "source " + s.path + " " + std::to_string(s.bytes) + "\n";
  }
  return m;
}

std::string FileName(size_t number) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "img-%06zu.jpg", number);
  return buf;
}

// Image number `number` of the corpus, from `source` (upright BGR).
cv::Mat MakePicture(const cv::Mat& source, const CorpusSpec& spec, size_t number) {
  std::seed_seq seq{spec.seed, static_cast<uint64_t>(number)};
  std::mt19937_64 rng(seq);
  // The largest window of the target's aspect ratio, then a random part of it.
  const double aspect = static_cast<double>(spec.width) / spec.height;
  double window_w = source.cols, window_h = source.rows;
  if (window_w > window_h * aspect) {
    window_w = window_h * aspect;
  } else {
    window_h = window_w / aspect;
  }
  const double scale = std::uniform_real_distribution<double>(kMinCropScale, 1.0)(rng);
  const int w = std::max(1, static_cast<int>(window_w * scale));
  const int h = std::max(1, static_cast<int>(window_h * scale));
  const int x = std::uniform_int_distribution<int>(0, source.cols - w)(rng);
  const int y = std::uniform_int_distribution<int>(0, source.rows - h)(rng);
  cv::Mat picture;
  const int interpolation = w < spec.width ? cv::INTER_CUBIC : cv::INTER_AREA;
  cv::resize(source(cv::Rect(x, y, w, h)), picture, cv::Size(spec.width, spec.height), 0, 0,
             interpolation);
  if (rng() & 1) cv::flip(picture, picture, 1);

  cv::Mat grain(picture.size(), CV_16SC3);
  cv::RNG grain_rng(rng());
  grain_rng.fill(grain, cv::RNG::NORMAL, 0, kGrainSigma);
  cv::Mat wide;
  picture.convertTo(wide, CV_16SC3);
  wide += grain;
  wide.convertTo(picture, CV_8UC3);  // saturates
  return picture;
}

}  // namespace

Result<std::vector<SourcePhoto>> FindSourcePhotos(const std::string& dir, size_t max,
                                                  int min_short_side) {
  struct Candidate {
    SourcePhoto photo;
    uint64_t pixels = 0;
  };
  std::vector<Candidate> candidates;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec),
       end;
       !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string path = it->path().string();
    auto info = image::ProbeFile(path);
    // JPEG: what cameras write; the other formats among the test data hold drawings, bitmaps
    // and format samples.
    if (!info.ok() || info->format != "jpeg" ||
        std::min(info->width, info->height) < min_short_side) {
      continue;
    }
    candidates.push_back({{path, info->width, info->height, info->file_size},
                          static_cast<uint64_t>(info->width) * info->height});
  }
  if (ec) return Status::IOError(dir + ": " + ec.message());
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.pixels != b.pixels ? a.pixels > b.pixels : a.photo.path < b.photo.path;
  });

  std::vector<SourcePhoto> chosen;
  std::vector<Hash> chosen_hashes;
  for (const Candidate& c : candidates) {
    if (chosen.size() == max) break;
    // The hash needs only a thumbnail: let the JPEG decoder scale down.
    auto img = image::DecodeFile(c.photo.path, {.min_short_side = 64});
    if (!img.ok()) continue;  // e.g. the deliberately corrupt JPEG among the test data
    const std::array<Hash, 8> hashes = DihedralHashes(img->bgr);
    const bool copy = std::any_of(chosen_hashes.begin(), chosen_hashes.end(), [&](Hash known) {
      return std::any_of(hashes.begin(), hashes.end(),
                         [&](Hash h) { return std::popcount(h ^ known) <= kSameHashBits; });
    });
    if (copy) continue;
    chosen.push_back(c.photo);
    chosen_hashes.push_back(hashes[0]);
  }
  if (chosen.empty()) {
    return Status::NotFound(dir + ": no photo with a shorter side of at least " +
                            std::to_string(min_short_side) + " pixels");
  }
  return chosen;
}

CorpusSpec LargeCorpus(size_t count, uint64_t seed) { return {4000, 3000, count, 0, seed}; }
CorpusSpec SmallCorpus(size_t count, uint64_t seed) { return {640, 480, count, 1'000'000, seed}; }
CorpusSpec WarmupCorpus(size_t count, uint64_t seed) { return {640, 480, count, 2'000'000, seed}; }

Result<Corpus> MakeCorpus(std::span<const SourcePhoto> sources, const CorpusSpec& spec,
                          const std::string& workdir, unsigned threads) {
  const std::string dir = workdir + "/jpeg-" + std::to_string(spec.width) + "x" +
                          std::to_string(spec.height) + "-" + std::to_string(spec.first) + "+" +
                          std::to_string(spec.count);
  Corpus corpus;
  corpus.dir = dir;
  for (size_t i = 0; i < spec.count; ++i) {
    corpus.files.push_back(dir + "/" + FileName(spec.first + i));
  }
  const std::string manifest_path = dir + "/manifest.txt";
  const std::string manifest = Manifest(sources, spec);
  auto existing = ReadFileToString(manifest_path);
  corpus.cached = existing.ok() && *existing == manifest;
  if (!corpus.cached) {
    if (sources.empty()) return Status::InvalidArgument("no source photos to make a corpus from");
    ALIKE_RETURN_IF_ERROR(RemoveAll(dir));
    ALIKE_RETURN_IF_ERROR(CreateDir(dir));
    std::vector<cv::Mat> pixels;
    for (const SourcePhoto& s : sources) {
      auto img = image::DecodeFile(s.path);
      if (!img.ok()) return img.status();
      pixels.push_back(std::move(img->bgr));
    }
    std::mutex mu;
    Status failed;  // guarded by mu
    ParallelFor(spec.count, threads, [&](size_t i) {
      const size_t number = spec.first + i;
      const cv::Mat picture = MakePicture(pixels[number % pixels.size()], spec, number);
      std::vector<uint8_t> jpeg;
      Status status;
      if (!cv::imencode(".jpg", picture, jpeg, {cv::IMWRITE_JPEG_QUALITY, kJpegQuality})) {
        status = Status::Internal(corpus.files[i] + ": JPEG encoding failed");
      } else {
        status = WriteFileAtomically(
            corpus.files[i],
            std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
      }
      if (!status.ok()) {
        std::lock_guard lock(mu);
        failed = status;
      }
    });
    ALIKE_RETURN_IF_ERROR(failed);
    // Last, so that an interrupted run leaves no manifest and the next one starts over.
    ALIKE_RETURN_IF_ERROR(WriteFileAtomically(manifest_path, manifest));
  }
  for (const std::string& file : corpus.files) {
    auto size = FileSize(file);
    if (!size.ok()) return size.status();
    corpus.bytes += *size;
  }
  return corpus;
}

Corpora PrepareCorpora(const std::string& photos, std::span<const CorpusSpec> specs,
                       const std::string& workdir) {
  auto sources = FindSourcePhotos(photos, kMaxSources, kMinSourceSide);
  CheckOk(sources.status(), "source photos");
  std::printf("source photos (%zu, largest first, under %s):\n", sources->size(), photos.c_str());
  for (const SourcePhoto& s : *sources) {
    std::printf("  %s  %dx%d  %s MiB\n", s.path.substr(photos.size() + 1).c_str(), s.width,
                s.height, FormatFixed(s.bytes / 1048576.0, 2).c_str());
  }
  CheckOk(CreateDir(workdir), "create " + workdir);
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  Corpora prepared{std::move(*sources), {}};
  for (const CorpusSpec& spec : specs) {
    Stopwatch watch;
    auto corpus = MakeCorpus(prepared.sources, spec, workdir, threads);
    CheckOk(corpus.status(), "corpus");
    std::printf("corpus %s: %zu files, %s in %.1f s\n", corpus->dir.c_str(), corpus->files.size(),
                corpus->cached ? "cached" : "made", watch.Seconds());
    prepared.corpora.push_back(std::move(*corpus));
  }
  std::fflush(stdout);
  return prepared;
}

std::string DescribeSize(int width, int height) {
  return FormatFixed(static_cast<double>(width) * height / 1e6, 1) + " MP (" +
         std::to_string(width) + "x" + std::to_string(height) + ")";
}

void AddPhotoAndModelOptions(CLI::App& cmd, std::string& photos, std::string& models) {
  cmd.add_option("--photos", photos, "Where to find the source photos")->capture_default_str();
  cmd.add_option("--models", models,
                 "Model directory (default: $ALIKE_MODELS, else the one scripts/setup.sh fills)");
}

}  // namespace alike::bench
