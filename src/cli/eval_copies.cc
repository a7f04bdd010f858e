#include "cli/eval_copies.h"

#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <random>
#include <thread>

#include "cli/progress.h"
#include "image/decoder.h"
#include "util/file.h"
#include "util/text.h"

namespace alike::cli {
namespace {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr double kMildRecall = 0.98, kHardRecall = 0.90, kTargetPrecision = 0.99;
// The hard cases' target: not one wrong hit.
constexpr double kHardCaseRecall = 0.95, kHardCasePrecision = 1.0;

double RecallWanted(EditTarget target) {
  switch (target) {
    case EditTarget::kMild:
      return kMildRecall;
    case EditTarget::kHard:
      return kHardRecall;
    case EditTarget::kHardCase:
      return kHardCaseRecall;
    case EditTarget::kNone:
      break;
  }
  return 0;
}

double PrecisionWanted(EditTarget target) {
  return target == EditTarget::kHardCase ? kHardCasePrecision : kTargetPrecision;
}

struct EvalCopiesArgs {
  std::vector<std::string> photos;
  std::vector<std::string> distractors;
  size_t distractor_count = 200;
  CopySetOptions set;
  std::string families;
  std::string shared = "../shared";
  bool no_shared = false;
  std::string models;
  float min_confidence = CopySearchOptions{}.min_confidence;
  int jobs = int(std::max(1u, std::thread::hardware_concurrency()));
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// CPU time of the whole process (every thread), which a machine shared with other work stretches
// far less than wall-clock time.
double CpuSeconds() { return double(std::clock()) / CLOCKS_PER_SEC; }

ordered_json OrNull(std::optional<double> v) { return v ? ordered_json(*v) : ordered_json(); }

std::string Fixed(std::optional<double> v) {
  if (!v) return "-";
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%.3f", *v);
  return buf;
}

// A directory of its own under the system's temporary directory, removed with its content.
class ScratchDir {
 public:
  explicit ScratchDir(std::string made) : path_(std::move(made)) {}
  ~ScratchDir() { (void)RemoveAll(path_); }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

Result<std::unique_ptr<ScratchDir>> MakeScratchDir() {
  std::string pattern = (fs::temp_directory_path() / "alike-eval-copies-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Status::IOError("cannot create a temporary directory " + pattern);
  }
  return std::make_unique<ScratchDir>(pattern);
}

// A library in `dir` that indexes as `alike index` does by default, plus the perceptual hashes
// copy search draws candidates from.
Result<std::unique_ptr<Library>> IndexScratchLibrary(const std::string& dir,
                                                     const std::vector<std::string>& paths,
                                                     const EvalCopiesArgs& args,
                                                     const std::string& label,
                                                     IndexReport* report) {
  auto lib = Library::Open(dir, {.create_if_missing = true,
                                 .models_dir = args.models,
                                 .embedders = {"cnn", "color", "pdq", "dct64"}});
  if (!lib.ok()) return lib.status();
  Progress bar(label, paths.size());
  uint64_t drawn = 0;
  auto indexed = (*lib)->Index(paths, {.jobs = unsigned(args.jobs)},
                               [&](const IndexEvent*, const IndexProgress& progress) {
                                 bar.Advance(progress.done - drawn);
                                 drawn = progress.done;
                               });
  bar.Finish();
  if (!indexed.ok()) return indexed.status();
  if (report) *report = *indexed;
  return lib;
}

// The catalog's image id of each file (none when it was not indexed).
std::vector<std::optional<uint64_t>> ImageIds(const Library& lib,
                                              const std::vector<std::string>& paths) {
  std::vector<std::optional<uint64_t>> ids;
  for (const std::string& path : paths) {
    auto id = lib.FindPath(path);
    ids.push_back(id.ok() ? *id : std::nullopt);
  }
  return ids;
}

std::vector<uint64_t> HitIds(const std::vector<CopyHit>& hits) {
  std::vector<uint64_t> ids;
  for (const CopyHit& h : hits) ids.push_back(h.image_id);
  return ids;
}

// --- The generated set.

struct QueryOutcome {
  std::vector<CopyHit> hits;
  double seconds = 0;  // of the search alone
  Status error;
};

// Searches every copy, then every held-out photo, on `jobs` threads.
std::vector<QueryOutcome> SearchAll(Library& lib, const CopySet& set, const EvalCopiesArgs& args) {
  const size_t total = set.copies.size() + set.held_out.size();
  std::vector<QueryOutcome> out(total);
  // The queries already run on `jobs` threads: each verifies its candidates on its own.
  const CopySearchOptions options{.min_confidence = args.min_confidence, .jobs = 1};
  std::atomic<size_t> next{0};
  std::mutex progress_mutex;
  Progress bar("searching", total);
  auto work = [&] {
    for (size_t i; (i = next++) < total;) {
      QueryOutcome& o = out[i];
      Result<std::vector<CopyHit>> hits = std::vector<CopyHit>{};
      auto start = std::chrono::steady_clock::now();
      if (i < set.copies.size()) {
        auto bytes = EncodeCopy(set, set.copies[i]);
        if (!bytes.ok()) {
          o.error = bytes.status();
          continue;
        }
        start = std::chrono::steady_clock::now();
        hits = lib.SearchCopies(ImageSource::Bytes(*bytes, "copy " + std::to_string(i)), options);
      } else {
        hits = lib.SearchCopies(ImageSource::File(set.held_out[i - set.copies.size()]), options);
      }
      o.seconds = SecondsSince(start);
      if (hits.ok()) {
        o.hits = std::move(*hits);
      } else {
        o.error = hits.status();
      }
      std::lock_guard lock(progress_mutex);
      bar.Advance(1);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < args.jobs; ++t) threads.emplace_back(work);
  for (std::thread& th : threads) th.join();
  return out;
}

ordered_json TallyJson(const CopyTally& t) {
  return {{"queries", t.queries},
          {"found", t.found},
          {"wrong_top", t.wrong_top},
          {"missed", t.missed()},
          {"hits", t.hits},
          {"correct_hits", t.correct_hits},
          {"recall", OrNull(t.recall())},
          {"precision", OrNull(t.precision())}};
}

// "met", or what is short: "MISSED: recall 0.950 < 0.98".
std::string Verdict(const CopyTally& t, EditTarget target) {
  if (target == EditTarget::kNone) return "";
  if (t.Meets(target)) return "met";
  const double want = RecallWanted(target);
  std::string out = "MISSED:";
  char buf[64];
  if (t.recall().value_or(0) < want) {
    std::snprintf(buf, sizeof(buf), " recall %.3f < %.2f", t.recall().value_or(0), want);
    out += buf;
  }
  if (t.precision().value_or(0) < PrecisionWanted(target)) {
    std::snprintf(buf, sizeof(buf), " precision %.3f < %.2f", t.precision().value_or(0),
                  PrecisionWanted(target));
    out += buf;
  }
  return out;
}

// Runs the generated set; fills `j` and prints the table unless `json`.
Status EvalGeneratedSet(const EvalCopiesArgs& args, const ScratchDir& scratch, bool json,
                        ordered_json& j) {
  const std::vector<std::string> photos = ImageFiles(args.photos);
  if (photos.size() < 2) {
    return Status::InvalidArgument(
        "eval copies needs at least 2 photos; found " + std::to_string(photos.size()) + " under " +
        JoinList(args.photos, ", ") +
        " (name folders with --photos, or the shared data's with --shared)");
  }
  std::vector<std::string> distractors = ImageFiles(args.distractors);
  std::mt19937_64 rng(args.set.seed);
  std::shuffle(distractors.begin(), distractors.end(), rng);
  if (args.distractor_count > 0 && distractors.size() > args.distractor_count) {
    distractors.resize(args.distractor_count);
  }
  const CopySet set = BuildCopySet(photos, args.set);

  std::vector<std::string> to_index = set.originals;
  to_index.insert(to_index.end(), distractors.begin(), distractors.end());
  IndexReport report;
  const double index_cpu_start = CpuSeconds();
  auto lib = IndexScratchLibrary(scratch.Sub("generated"), to_index, args, "indexing", &report);
  if (!lib.ok()) return lib.status();
  const double index_cpu = CpuSeconds() - index_cpu_start;
  const std::vector<std::optional<uint64_t>> original_ids = ImageIds(**lib, set.originals);

  const auto search_start = std::chrono::steady_clock::now();
  const double search_cpu_start = CpuSeconds();
  const std::vector<QueryOutcome> outcomes = SearchAll(**lib, set, args);
  const double search_seconds = SecondsSince(search_start);
  const double search_cpu = CpuSeconds() - search_cpu_start;

  // The library's own copies of an original, looked up only for originals whose copies got more
  // than the one hit: searching every original would double the run.
  std::map<uint64_t, std::vector<uint64_t>> related_of;
  ordered_json related_pairs = ordered_json::array();
  auto related = [&](uint64_t original, const std::string& path) -> Result<std::vector<uint64_t>> {
    auto it = related_of.find(original);
    if (it != related_of.end()) return it->second;
    auto hits = (*lib)->SearchCopies(ImageQuery::Indexed(original),
                                     {.min_confidence = args.min_confidence});
    if (!hits.ok()) return hits.status();
    for (const CopyHit& h : *hits) related_pairs.push_back({path, h.paths.front()});
    return related_of[original] = HitIds(*hits);
  };

  std::map<EditFamily, CopyTally> by_family;
  std::map<EditTarget, CopyTally> by_target;
  CopyTally copies, held_out;
  double busy_seconds = 0;
  ordered_json misses = ordered_json::array(), errors = ordered_json::array();
  // Every query's hits with their evidence and verdict: what a confidence is calibrated on.
  ordered_json verdicts = ordered_json::array();
  auto add_verdicts = [&](const std::string& query, const std::string& edit,
                          const std::vector<CopyHit>& hits, std::optional<uint64_t> expected,
                          const std::vector<uint64_t>& also_right) {
    ordered_json all = ordered_json::array();
    for (const CopyHit& h : hits) {
      const char* verdict = h.image_id == expected ? "original"
                            : std::count(also_right.begin(), also_right.end(), h.image_id)
                                ? "related"
                                : "wrong";
      all.push_back({{"path", h.paths.front()},
                     {"verdict", verdict},
                     {"confidence", h.confidence},
                     {"inliers", h.inliers},
                     {"coverage", h.coverage},
                     {"pdq_bits", h.hash_distance}});
    }
    verdicts.push_back({{"query", query}, {"edit", edit}, {"hits", std::move(all)}});
  };
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const QueryOutcome& o = outcomes[i];
    busy_seconds += o.seconds;
    const bool is_copy = i < set.copies.size();
    const std::string query =
        is_copy ? set.originals[set.copies[i].original] : set.held_out[i - set.copies.size()];
    if (!o.error.ok()) {
      errors.push_back(o.error.ToString());
      continue;
    }
    const std::vector<uint64_t> ids = HitIds(o.hits);
    if (!is_copy) {
      add_verdicts(query, "held out, unedited", o.hits, std::nullopt, {});
      held_out.Add(std::nullopt, ids);
      for (const CopyHit& h : o.hits) {
        misses.push_back({{"query", query},
                          {"edit", "held out, unedited"},
                          {"false_hit", h.paths.front()},
                          {"confidence", h.confidence}});
      }
      continue;
    }
    const CopyQuery& q = set.copies[i];
    const std::optional<uint64_t> expected = original_ids[q.original];
    if (!expected) {
      errors.push_back(query + ": was not indexed, its copies are left out");
      continue;
    }
    std::vector<uint64_t> also_right;
    if (ids.size() > 1 || (!ids.empty() && ids.front() != *expected)) {
      auto found = related(*expected, query);
      if (!found.ok()) return found.status();
      also_right = std::move(*found);
    }
    add_verdicts(query, DescribeEdit(q.edit), o.hits, expected, also_right);
    CopyTally one;
    one.Add(expected, ids, also_right);
    by_family[q.edit.family].Merge(one);
    by_target[FamilyInfo(q.edit.family).target].Merge(one);
    copies.Merge(one);
    if (one.found == 1 && one.hits == one.correct_hits) continue;
    ordered_json miss{{"query", query}, {"edit", DescribeEdit(q.edit)}};
    miss["top_hit"] = o.hits.empty() ? ordered_json() : ordered_json(o.hits.front().paths.front());
    ordered_json all = ordered_json::array();
    for (const CopyHit& h : o.hits) {
      all.push_back({{"path", h.paths.front()},
                     {"confidence", h.confidence},
                     {"inliers", h.inliers},
                     {"pdq_bits", h.hash_distance}});
    }
    miss["hits"] = all;
    misses.push_back(std::move(miss));
  }
  CopyTally everything = copies;
  everything.Merge(held_out);

  ordered_json families = ordered_json::array();
  for (const EditFamilyInfo& info : EditFamilies()) {
    auto it = by_family.find(info.family);
    if (it == by_family.end()) continue;
    ordered_json f{
        {"family", info.name}, {"edits", info.range}, {"target", TargetName(info.target)}};
    f.update(TallyJson(it->second));
    f["meets_target"] = it->second.Meets(info.target);
    families.push_back(std::move(f));
  }
  ordered_json pooled = ordered_json::array();
  auto pool = [&](const std::string& name, const CopyTally& t, EditTarget target) {
    ordered_json p{{"name", name}, {"target", TargetName(target)}};
    p.update(TallyJson(t));
    p["meets_target"] = t.Meets(target);
    pooled.push_back(std::move(p));
  };
  for (const EditTarget target :
       {EditTarget::kMild, EditTarget::kHard, EditTarget::kHardCase, EditTarget::kNone}) {
    auto it = by_target.find(target);
    if (it == by_target.end()) continue;
    pool(target == EditTarget::kNone ? "other" : TargetName(target), it->second, target);
  }
  pool("all copies", copies, EditTarget::kNone);
  pool("held-out photos", held_out, EditTarget::kNone);
  pool("all queries", everything, EditTarget::kNone);

  const size_t queries = outcomes.size();
  j["seed"] = args.set.seed;
  j["originals"] = set.originals.size();
  j["held_out"] = set.held_out.size();
  j["distractors"] = distractors.size();
  j["index"] = {{"images", report.indexed + report.duplicates},
                {"failed", report.failed},
                {"seconds", report.seconds},
                {"images_per_second", report.seconds > 0 ? report.indexed / report.seconds : 0},
                {"cpu_ms_per_image", report.indexed > 0 ? 1000 * index_cpu / report.indexed : 0},
                {"threads", args.jobs}};
  j["search"] = {{"queries", queries},
                 {"seconds", search_seconds},
                 {"queries_per_second", search_seconds > 0 ? queries / search_seconds : 0},
                 {"ms_per_query", queries > 0 ? 1000 * busy_seconds / queries : 0},
                 {"cpu_ms_per_query", queries > 0 ? 1000 * search_cpu / queries : 0},
                 {"threads", args.jobs},
                 {"min_confidence", args.min_confidence}};
  j["families"] = families;
  j["pooled"] = pooled;
  j["related"] = related_pairs;
  j["misses"] = misses;
  j["queries"] = verdicts;
  j["errors"] = errors;
  if (json) return Status::OK();

  std::printf(
      "copy detection: %zu originals + %zu distractors indexed, %zu held-out photos, seed %llu\n",
      set.originals.size(), distractors.size(), set.held_out.size(),
      static_cast<unsigned long long>(args.set.seed));
  std::printf(
      "indexing: %llu images in %.1f s (%.1f images/s, %d threads, %.0f ms CPU each; cnn, color, "
      "pdq, dct64)%s\n",
      static_cast<unsigned long long>(report.indexed), report.seconds,
      j["index"]["images_per_second"].get<double>(), args.jobs,
      j["index"]["cpu_ms_per_image"].get<double>(),
      report.failed > 0 ? (", " + std::to_string(report.failed) + " failed").c_str() : "");
  std::printf("\n%-16s %-38s %-6s %6s %6s %6s %9s  %s\n", "family", "edits", "target", "copies",
              "found", "recall", "precision", "result");
  auto row = [](const std::string& name, const std::string& edits, EditTarget target,
                const CopyTally& t) {
    std::printf("%-16s %-38s %-6s %6zu %6zu %6s %9s  %s\n", name.c_str(), edits.c_str(),
                TargetName(target), t.queries, t.found, Fixed(t.recall()).c_str(),
                Fixed(t.precision()).c_str(), Verdict(t, target).c_str());
  };
  for (const EditFamilyInfo& info : EditFamilies()) {
    auto it = by_family.find(info.family);
    if (it != by_family.end()) row(info.name, info.range, info.target, it->second);
  }
  std::printf("\n");
  for (const EditTarget target :
       {EditTarget::kMild, EditTarget::kHard, EditTarget::kHardCase, EditTarget::kNone}) {
    auto it = by_target.find(target);
    if (it == by_target.end()) continue;
    row(target == EditTarget::kNone ? "other families"
                                    : std::string(TargetName(target)) + " families",
        "", target, it->second);
  }
  row("all copies", "", EditTarget::kNone, copies);
  for (const ordered_json& r : related_pairs) {
    std::printf("related: %s ~ %s (in the photo set: hits on either count as right)\n",
                r[0].get<std::string>().c_str(), r[1].get<std::string>().c_str());
  }
  std::printf("held-out photos (in no library): %zu searched, %zu false hits\n", held_out.queries,
              held_out.hits);
  std::printf("all queries: precision %s (every hit, the held-out photos' included)\n",
              Fixed(everything.precision()).c_str());
  std::printf(
      "search: %zu queries in %.1f s (%.2f queries/s on %d threads, %.0f ms each, %.0f ms CPU)\n",
      queries, search_seconds, j["search"]["queries_per_second"].get<double>(), args.jobs,
      j["search"]["ms_per_query"].get<double>(), j["search"]["cpu_ms_per_query"].get<double>());
  for (const ordered_json& m : misses) {
    if (m.contains("false_hit")) {
      std::printf("false hit: %s -> %s (%.3f)\n", m["query"].get<std::string>().c_str(),
                  m["false_hit"].get<std::string>().c_str(), m["confidence"].get<double>());
    } else {
      std::printf("miss: %s, %s: %s\n", m["query"].get<std::string>().c_str(),
                  m["edit"].get<std::string>().c_str(),
                  m["top_hit"].is_null() ? "no hit"
                                         : ("top hit " + m["top_hit"].get<std::string>() + ", " +
                                            std::to_string(m["hits"].size()) + " hits")
                                               .c_str());
    }
  }
  for (const ordered_json& e : errors) std::printf("error: %s\n", e.get<std::string>().c_str());
  return Status::OK();
}

// --- The copies in the shared test data.

// imagededup and imagehash name the versions of one picture "<picture><separator><edit>".
std::string PictureLabel(const std::string& path, char separator) {
  const std::string stem = fs::path(path).stem().string();
  return stem.substr(0, stem.find(separator));
}

// Which versions of each picture Duplicates groups together, and which copy search (from each
// version) finds; every other pairing is a false one.
Status EvalLabelledSet(const std::string& name, const std::string& dir, char separator,
                       const EvalCopiesArgs& args, const ScratchDir& scratch, bool json,
                       ordered_json& out) {
  const std::vector<std::string> files = ImageFiles({dir});
  IndexReport report;
  auto lib = IndexScratchLibrary(scratch.Sub(name), files, args, "indexing " + name, &report);
  if (!lib.ok()) return lib.status();
  const std::vector<std::optional<uint64_t>> ids = ImageIds(**lib, files);
  std::map<uint64_t, std::string> label_of;
  std::map<std::string, std::vector<std::string>> files_of;  // indexed files per picture
  std::map<std::string, size_t> images_of, dup_pairs, copy_pairs;
  for (size_t i = 0; i < files.size(); ++i) {
    if (!ids[i]) continue;
    const std::string label = PictureLabel(files[i], separator);
    std::vector<std::string>& names = files_of[label];
    const std::string name = fs::path(files[i]).filename().string();
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    if (label_of.emplace(*ids[i], label).second) ++images_of[label];
  }
  auto groups = (*lib)->Duplicates({});
  if (!groups.ok()) return groups.status();
  size_t false_dup_pairs = 0, false_copy_hits = 0;
  ordered_json false_pairs = ordered_json::array();
  for (const DuplicateGroup& g : *groups) {
    for (size_t a = 0; a < g.images.size(); ++a) {
      for (size_t b = a + 1; b < g.images.size(); ++b) {
        const std::string& la = label_of[g.images[a]];
        if (la == label_of[g.images[b]]) {
          ++dup_pairs[la];
        } else {
          ++false_dup_pairs;
        }
      }
    }
  }
  const CopySearchOptions options{.min_confidence = args.min_confidence};
  for (const auto& [id, label] : label_of) {
    auto hits = (*lib)->SearchCopies(ImageQuery::Indexed(id), options);
    if (!hits.ok()) return hits.status();
    for (const CopyHit& h : *hits) {
      if (label_of[h.image_id] == label) {
        ++copy_pairs[label];
      } else {
        ++false_copy_hits;
        auto query = (*lib)->GetImage(id);
        false_pairs.push_back(
            {query.ok() && !query->paths.empty() ? query->paths.front() : std::to_string(id),
             h.paths.front(), h.confidence});
      }
    }
  }
  ordered_json pictures = ordered_json::array();
  for (const auto& [label, n] : images_of) {
    if (n < 2) continue;  // a picture alone has no copies to find
    pictures.push_back({{"picture", label},
                        {"images", n},
                        {"files", files_of[label]},
                        {"dups_pairs", dup_pairs[label]},
                        {"dups_pairs_expected", n * (n - 1) / 2},
                        {"copy_pairs", copy_pairs[label]},
                        {"copy_pairs_expected", n * (n - 1)}});
  }
  out = {{"files", files.size()},
         {"images", label_of.size()},
         {"unreadable", report.failed},
         {"pictures", pictures},
         {"false_dups_pairs", false_dup_pairs},
         {"false_copy_hits", false_copy_hits},
         {"false_copy_pairs", false_pairs}};
  if (json) return Status::OK();
  std::printf("\n%s: %zu files, %zu distinct images indexed, %llu unreadable\n", name.c_str(),
              files.size(), label_of.size(), static_cast<unsigned long long>(report.failed));
  std::printf("  %-14s %6s %11s %17s  %s\n", "picture", "images", "dups pairs", "copy-search pairs",
              "files");
  for (const ordered_json& p : pictures) {
    std::printf("  %-14s %6zu %5zu / %-3zu %9zu / %-5zu  %s\n",
                p["picture"].get<std::string>().c_str(), p["images"].get<size_t>(),
                p["dups_pairs"].get<size_t>(), p["dups_pairs_expected"].get<size_t>(),
                p["copy_pairs"].get<size_t>(), p["copy_pairs_expected"].get<size_t>(),
                JoinList(p["files"].get<std::vector<std::string>>(), ", ").c_str());
  }
  std::printf("  false pairings: %zu in dups groups, %zu copy-search hits\n", false_dup_pairs,
              false_copy_hits);
  for (const ordered_json& f : false_pairs) {
    std::printf("    %s -> %s (%.3f)\n", fs::path(f[0].get<std::string>()).filename().c_str(),
                fs::path(f[1].get<std::string>()).filename().c_str(), f[2].get<double>());
  }
  return Status::OK();
}

// The picture's corners in another picture's pixels through a ground-truth homography.
std::array<cv::Point2d, 4> MapCorners(const cv::Matx33d& h, double width, double height) {
  const std::array<cv::Point2d, 4> corners = {cv::Point2d(0, 0), cv::Point2d(width, 0),
                                              cv::Point2d(width, height), cv::Point2d(0, height)};
  std::array<cv::Point2d, 4> out;
  for (size_t i = 0; i < corners.size(); ++i) {
    const cv::Vec3d p = h * cv::Vec3d(corners[i].x, corners[i].y, 1);
    out[i] = cv::Point2d(p[0] / p[2], p[1] / p[2]);
  }
  return out;
}

// OpenCV's pairs: the box found in its scene, and graf1 found in graf3 (a 40-degree change of
// viewpoint) with its region against the ground truth. The pairs' other pictures are distractors.
Status EvalOpencvPairs(const std::string& dir, const EvalCopiesArgs& args,
                       const ScratchDir& scratch, bool json, ordered_json& out) {
  struct Pair {
    const char* query;
    const char* target;
  };
  static constexpr std::array<Pair, 2> kPairs = {
      {{"box.png", "box_in_scene.png"}, {"graf1.png", "graf3.png"}}};
  std::vector<std::string> library_files;
  for (const std::string& f : ImageFiles({dir})) {
    const std::string file = fs::path(f).filename().string();
    if (file != kPairs[0].query && file != kPairs[1].query) library_files.push_back(f);
  }
  auto lib = IndexScratchLibrary(scratch.Sub("opencv-pairs"), library_files, args,
                                 "indexing opencv-pairs", nullptr);
  if (!lib.ok()) return lib.status();
  const CopySearchOptions options{.min_confidence = args.min_confidence};
  out = ordered_json::array();
  for (const Pair& pair : kPairs) {
    const std::string query = dir + "/" + pair.query;
    auto target = (*lib)->FindPath(dir + "/" + pair.target);
    if (!target.ok()) return target.status();
    auto hits = (*lib)->SearchCopies(ImageSource::File(query), options);
    if (!hits.ok()) return hits.status();
    const auto hit = std::find_if(hits->begin(), hits->end(), [&](const CopyHit& h) {
      return *target && h.image_id == **target;
    });
    ordered_json r{{"query", pair.query},
                   {"target", pair.target},
                   {"top_hit", !hits->empty() && hit == hits->begin()},
                   {"hits", hits->size()},
                   {"confidence", hit != hits->end() ? ordered_json(hit->confidence) : nullptr},
                   {"inliers", hit != hits->end() ? hit->inliers : 0},
                   {"corner_error_px", nullptr}};
    cv::FileStorage truth(dir + "/H1to3p.xml", cv::FileStorage::READ);
    cv::Mat h13;
    if (std::string(pair.query) == "graf1.png" && truth.isOpened()) truth["H13"] >> h13;
    auto size = image::ProbeFile(query);
    if (!h13.empty() && size.ok() && hit != hits->end() && hit->corners) {
      const auto expected = MapCorners(cv::Matx33d(h13), size->width, size->height);
      double worst = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        const cv::Point2d found((*hit->corners)[i][0], (*hit->corners)[i][1]);
        worst = std::max(worst, cv::norm(found - expected[i]));
      }
      r["corner_error_px"] = worst;
    }
    out.push_back(std::move(r));
  }
  if (json) return Status::OK();
  std::printf("\nopencv-pairs (%zu pictures in the library):\n", library_files.size());
  for (const ordered_json& r : out) {
    std::printf("  %s in %s: %s", r["query"].get<std::string>().c_str(),
                r["target"].get<std::string>().c_str(),
                r["top_hit"].get<bool>()
                    ? "top hit"
                    : (r["confidence"].is_null() ? "NOT FOUND" : "found, not top"));
    if (!r["confidence"].is_null()) {
      std::printf(", confidence %.3f, %d inliers", r["confidence"].get<double>(),
                  r["inliers"].get<int>());
    }
    if (!r["corner_error_px"].is_null()) {
      std::printf(", worst corner %.1f px from the ground truth",
                  r["corner_error_px"].get<double>());
    }
    std::printf(" (%zu hits)\n", r["hits"].get<size_t>());
  }
  return Status::OK();
}

// The shared sets that are present under args.shared.
Status EvalSharedSets(const EvalCopiesArgs& args, const ScratchDir& scratch, bool json,
                      ordered_json& out) {
  const std::string copies = args.shared + "/data/copies";
  out = ordered_json::object();
  struct Labelled {
    const char* name;
    const char* dir;
    char separator;
  };
  for (const Labelled& set : {Labelled{"imagededup", "imagededup/tests/data", '_'},
                              Labelled{"imagehash", "imagehash/tests/images", '-'}}) {
    const std::string dir = copies + "/" + set.dir;
    if (!fs::is_directory(dir)) continue;
    ALIKE_RETURN_IF_ERROR(
        EvalLabelledSet(set.name, dir, set.separator, args, scratch, json, out[set.name]));
  }
  const std::string pairs = copies + "/opencv-pairs";
  if (fs::is_directory(pairs)) {
    ALIKE_RETURN_IF_ERROR(EvalOpencvPairs(pairs, args, scratch, json, out["opencv_pairs"]));
  }
  return Status::OK();
}

void RunEvalCopies(CommandContext& ctx, EvalCopiesArgs args) {
  const auto start = std::chrono::steady_clock::now();
  if (args.jobs < 1) return Fail(ctx, Status::InvalidArgument("-j must be at least 1"));
  for (const std::string& name : SplitList(args.families)) {
    auto family = ParseEditFamily(name);
    if (!family.ok()) return Fail(ctx, family.status());
    args.set.families.push_back(*family);
  }
  if (args.set.families.empty()) {
    for (const EditFamilyInfo& info : EditFamilies()) args.set.families.push_back(info.family);
  }
  if (args.photos.empty()) {
    // Not PDQ's LabelMe subset: 256-pixel pictures, three of seven nearly flat (PDQ quality
    // under 50), chosen to test the hash's quality score rather than to be copied.
    for (const char* dir :
         {"/data/faces/deepface", "/data/copies/imagededup/tests/data/base_images"}) {
      args.photos.push_back(args.shared + dir);
    }
  }
  if (args.distractors.empty())
    args.distractors.push_back(args.shared + "/data/categories/flowers");
  auto scratch = MakeScratchDir();
  if (!scratch.ok()) return Fail(ctx, scratch.status());
  // Every search and index worker is a thread of its own; OpenCV's threads inside them would
  // only add hand-offs on a machine the workers already fill.
  if (args.jobs != 1) cv::setNumThreads(1);
  ordered_json j;
  Status s = EvalGeneratedSet(args, **scratch, ctx.json, j["generated"]);
  if (s.ok() && !args.no_shared) s = EvalSharedSets(args, **scratch, ctx.json, j["shared"]);
  if (!s.ok()) return Fail(ctx, s);
  j["seconds"] = SecondsSince(start);
  if (ctx.json) {
    std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    std::printf("\ntotal time: %.1f s\n", j["seconds"].get<double>());
  }
}

}  // namespace

void AddEvalCopiesCommand(CLI::App& eval, CommandContext& ctx) {
  auto args = std::make_shared<EvalCopiesArgs>();
  CLI::App* cmd = eval.add_subcommand(
      "copies", "Precision and recall of copy search on generated copies of real photos");
  cmd->add_option("--photos", args->photos,
                  "Folders or files of photos to copy (default: the shared data's deepface, "
                  "imagededup and LabelMe photos)");
  cmd->add_option("--distractors", args->distractors,
                  "Folders of unrelated pictures indexed beside the originals (default: the "
                  "shared flowers)");
  cmd->add_option("--distractor-count", args->distractor_count,
                  "Distractors drawn from those folders (0: all)")
      ->capture_default_str();
  cmd->add_option("--per-family", args->set.per_family, "Copies made per edit family")
      ->capture_default_str();
  cmd->add_option("--held-out", args->set.held_out,
                  "Photos kept out of the library and searched unedited (false alarms)")
      ->capture_default_str();
  cmd->add_option("--families", args->families, "Edit families, comma-separated (default: all)");
  cmd->add_option("--seed", args->set.seed, "Seed of the set's draws")->capture_default_str();
  cmd->add_option("--shared", args->shared, "The shared test data folder")->capture_default_str();
  cmd->add_flag("--no-shared", args->no_shared,
                "Skip the imagededup, imagehash and opencv-pairs reports");
  cmd->add_option("--min-confidence", args->min_confidence, "Copy search's confidence threshold")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("-j,--jobs", args->jobs, "Indexing and search threads (default: cores)");
  cmd->add_option("--models", args->models,
                  "Models directory (default: $ALIKE_MODELS or setup.sh's)");
  cmd->callback([&ctx, args] { RunEvalCopies(ctx, *args); });
}

void CopyTally::Add(std::optional<uint64_t> expected, std::span<const uint64_t> ids,
                    std::span<const uint64_t> related) {
  ++queries;
  hits += ids.size();
  if (!expected) return;
  auto is_related = [&](uint64_t id) {
    return std::find(related.begin(), related.end(), id) != related.end();
  };
  for (const uint64_t id : ids) {
    if (id == *expected) {
      ++correct_hits;
    } else if (is_related(id)) {
      ++correct_hits;
      ++related_hits;
    }
  }
  if (ids.empty()) return;
  if (ids.front() == *expected || is_related(ids.front())) {
    ++found;
  } else {
    ++wrong_top;
  }
}

void CopyTally::Merge(const CopyTally& o) {
  queries += o.queries;
  found += o.found;
  wrong_top += o.wrong_top;
  hits += o.hits;
  correct_hits += o.correct_hits;
  related_hits += o.related_hits;
}

std::optional<double> CopyTally::recall() const {
  if (queries == 0) return std::nullopt;
  return double(found) / double(queries);
}

std::optional<double> CopyTally::precision() const {
  if (hits == 0) return std::nullopt;
  return double(correct_hits) / double(hits);
}

bool CopyTally::Meets(EditTarget target) const {
  if (target == EditTarget::kNone) return true;
  return recall().value_or(0) >= RecallWanted(target) &&
         precision().value_or(0) >= PrecisionWanted(target);
}

}  // namespace alike::cli
