// Test pictures for the image benchmarks (ingest, query): JPEGs of a chosen size made from real
// photos, so that decoders and embedders see photographic content rather than noise or flat
// colour, cached in a directory between runs.
//
// Sources are the largest distinct photos under a directory (shared/data/copies by default). Image
// number n takes source n mod (number of sources), crops a random 4:3 window (75-100% of the
// largest one), mirrors it half the time, resizes it to the target size (INTER_CUBIC up,
// INTER_AREA down), adds a faint grain and encodes it as a baseline JPEG at quality 90 with 4:2:0
// chroma (OpenCV's defaults, as phones write). Upscaling alone leaves a picture smoother than a
// camera's, which encodes to fewer bytes and so decodes faster; the grain brings 12-MP files to
// the size and decode time of real phone photos (about 3 MB). Every image differs from every other,
// so a library stores each one rather than taking it for a duplicate.
#ifndef ALIKE_BENCH_CORPUS_H_
#define ALIKE_BENCH_CORPUS_H_

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "alike/status.h"

namespace alike::bench {

struct SourcePhoto {
  std::string path;
  int width = 0;  // upright
  int height = 0;
  uint64_t bytes = 0;
};

// The `max` largest JPEG photos under `dir` (by pixels, recursively) whose shorter side is at
// least `min_short_side`, skipping files that do not decode and near-copies of a photo already
// chosen: the copy-detection data sets hold each photo in many edits (blur, contrast, rotations,
// flips), which a DCT perceptual hash compared under all eight rotations and flips recognises.
Result<std::vector<SourcePhoto>> FindSourcePhotos(const std::string& dir, size_t max,
                                                  int min_short_side);

struct CorpusSpec {
  int width = 0;
  int height = 0;
  size_t count = 0;
  // The number of the first image. An image is made from its number and the seed alone, so
  // corpora with disjoint number ranges share no picture.
  size_t first = 0;
  uint64_t seed = 42;
};

struct Corpus {
  std::string dir;
  std::vector<std::string> files;  // in number order
  uint64_t bytes = 0;              // all files together
  bool cached = false;             // reused from an earlier run
};

// The corpora of the image benchmarks, numbered apart so that they share no picture. Ingest and
// query both use them, at these default sizes, so that one cache serves both.
constexpr size_t kLargeCorpusImages = 40;
constexpr size_t kSmallCorpusImages = 100;
CorpusSpec LargeCorpus(size_t count, uint64_t seed);   // 12 MP (4000x3000), as phones take
CorpusSpec SmallCorpus(size_t count, uint64_t seed);   // 0.3 MP (640x480)
CorpusSpec WarmupCorpus(size_t count, uint64_t seed);  // 0.3 MP, for warming up a library

// Makes the corpus in a directory under `workdir` named after the spec on `threads` threads, or
// reuses it when that directory's manifest records the same spec and sources. Whatever else is
// in the directory is removed when the corpus is made.
Result<Corpus> MakeCorpus(std::span<const SourcePhoto> sources, const CorpusSpec& spec,
                          const std::string& workdir, unsigned threads);

struct Corpora {
  std::vector<SourcePhoto> sources;  // largest first
  std::vector<Corpus> corpora;       // one per spec, in order
};

// What the benchmarks run first: finds the source photos under `photos` and makes or reuses each
// corpus, printing the sources and what was done to stdout; exits on failure.
Corpora PrepareCorpora(const std::string& photos, std::span<const CorpusSpec> specs,
                       const std::string& workdir);

// "12.0 MP (4000x3000)"
std::string DescribeSize(int width, int height);

// Declares --photos and --models, which both image benchmarks take, on their subcommand.
void AddPhotoAndModelOptions(CLI::App& cmd, std::string& photos, std::string& models);

}  // namespace alike::bench

#endif  // ALIKE_BENCH_CORPUS_H_
