#include "cli/face_vectors.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "image/decoder.h"

namespace alike::cli {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Embeds `paths` on `jobs` threads. Each picture keeps the face `pick` chooses. With a
// `fallback` box (relative to the picture's size), pictures are embedded from it undetected.
std::vector<ImageFace> EmbedAll(const embed::FaceEmbedder& embedder,
                                const std::vector<std::string>& paths, Pick pick,
                                const std::optional<cv::Rect2f>& fallback, int jobs,
                                embed::FaceTimes& times) {
  std::vector<ImageFace> out(paths.size());
  std::vector<embed::FaceTimes> thread_times(jobs);
  std::atomic<size_t> next{0};
  auto work = [&](int t) {
    for (size_t i; (i = next++) < paths.size();) {
      ImageFace& r = out[i];
      auto img = image::DecodeFile(paths[i], {.min_short_side = embedder.preferred_short_side()});
      if (!img.ok()) {
        r.error = img.status();
        continue;
      }
      const cv::Mat& bgr = img->bgr;
      const cv::Size2f size(bgr.cols, bgr.rows);
      if (fallback) {
        const cv::Rect2f box(fallback->x * size.width, fallback->y * size.height,
                             fallback->width * size.width, fallback->height * size.height);
        auto e = embedder.EmbedBox(bgr, box, &thread_times[t]);
        if (!e.ok()) {
          r.error = e.status();
          continue;
        }
        r.vector = std::move(e->vector);
        r.fallback = true;
        continue;
      }
      auto faces = embedder.Embed(bgr, &thread_times[t]);
      if (!faces.ok()) {
        r.error = faces.status().WithContext(paths[i]);
        continue;
      }
      r.faces = faces->size();
      const embed::Embedding* best = nullptr;
      double best_key = kInf;
      for (const embed::Embedding& f : *faces) {
        const cv::Rect& b = *f.region;
        const double dx = b.x + b.width / 2.0 - size.width / 2,
                     dy = b.y + b.height / 2.0 - size.height / 2;
        const double key = pick == Pick::kCentre ? dx * dx + dy * dy : -double(b.area());
        if (key < best_key) {
          best_key = key;
          best = &f;
        }
      }
      if (best == nullptr) continue;
      r.vector = best->vector;
      const cv::Rect& b = *best->region;
      r.box = cv::Rect2f(b.x / size.width, b.y / size.height, b.width / size.width,
                         b.height / size.height);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < jobs; ++t) threads.emplace_back(work, t);
  for (std::thread& th : threads) th.join();
  for (const embed::FaceTimes& t : thread_times) {
    times.detect_ms += t.detect_ms;
    times.landmarks_ms += t.landmarks_ms;
    times.align_ms += t.align_ms;
    times.embed_ms += t.embed_ms;
    times.faces += t.faces;
  }
  return out;
}

// The median of the detected boxes (relative to the picture), for pictures where none was.
std::optional<cv::Rect2f> MedianBox(const std::vector<ImageFace>& faces) {
  std::vector<float> x, y, w, h;
  for (const ImageFace& f : faces) {
    if (!f.box) continue;
    x.push_back(f.box->x);
    y.push_back(f.box->y);
    w.push_back(f.box->width);
    h.push_back(f.box->height);
  }
  if (x.empty()) return std::nullopt;
  auto median = [](std::vector<float>& v) {
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2];
  };
  return cv::Rect2f(median(x), median(y), median(w), median(h));
}

// The cached faces of this embedder version, by path.
Result<std::map<std::string, ImageFace>> ReadCache(const std::string& file,
                                                   const std::string& version) {
  std::map<std::string, ImageFace> cached;
  std::ifstream in(file);
  if (!in) return cached;  // not made yet
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty()) continue;
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("path") || !j.contains("version") || !j.contains("vector")) {
      return Status::Corruption(file + " line " + std::to_string(line_no) +
                                ": not a cached face (delete the file to rebuild it)");
    }
    if (j["version"] != version) continue;
    ImageFace face{.cached = true};
    if (!j["vector"].is_null()) face.vector = j["vector"].get<std::vector<float>>();
    face.fallback = j.value("fallback", false);
    cached[j["path"].get<std::string>()] = std::move(face);
  }
  return cached;
}

}  // namespace

double SquaredL2(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) s += double(a[i] - b[i]) * (a[i] - b[i]);
  return s;
}

Result<std::vector<ImageFace>> EmbedPictures(const embed::FaceEmbedder& embedder,
                                             const std::vector<std::string>& paths,
                                             const EmbedPicturesOptions& options,
                                             embed::FaceTimes& times) {
  std::map<std::string, ImageFace> cached;
  if (!options.cache.empty()) {
    auto read = ReadCache(options.cache, embedder.version());
    if (!read.ok()) return read.status();
    cached = std::move(*read);
  }
  std::vector<ImageFace> out(paths.size());
  std::vector<std::string> todo;
  std::vector<size_t> at;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (auto c = cached.find(paths[i]); c != cached.end()) {
      out[i] = c->second;
    } else {
      todo.push_back(paths[i]);
      at.push_back(i);
    }
  }
  std::vector<ImageFace> fresh =
      EmbedAll(embedder, todo, options.pick, std::nullopt, options.jobs, times);
  const std::optional<cv::Rect2f> typical =
      options.median_box_fallback ? MedianBox(fresh) : std::nullopt;
  std::vector<std::string> missed;
  std::vector<size_t> missed_at;
  for (size_t k = 0; k < fresh.size(); ++k) {
    if (fresh[k].error.ok() && !fresh[k].vector) {
      missed.push_back(todo[k]);
      missed_at.push_back(k);
    }
  }
  if (typical && !missed.empty()) {
    std::vector<ImageFace> again =
        EmbedAll(embedder, missed, options.pick, typical, options.jobs, times);
    for (size_t m = 0; m < missed.size(); ++m) fresh[missed_at[m]] = std::move(again[m]);
  }
  std::ofstream cache;
  if (!options.cache.empty() && !todo.empty()) {
    cache.open(options.cache, std::ios::app);
    if (!cache) return Status::IOError(options.cache + ": cannot write");
  }
  for (size_t k = 0; k < fresh.size(); ++k) {
    if (cache.is_open() && fresh[k].error.ok()) {
      nlohmann::json line{
          {"version", embedder.version()},
          {"path", todo[k]},
          {"vector", fresh[k].vector ? nlohmann::json(*fresh[k].vector) : nlohmann::json(nullptr)},
          {"fallback", fresh[k].fallback}};
      cache << line.dump() << '\n';
    }
    out[at[k]] = std::move(fresh[k]);
  }
  if (cache.is_open() && !cache.flush()) return Status::IOError(options.cache + ": cannot write");
  return out;
}

}  // namespace alike::cli
