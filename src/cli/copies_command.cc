#include "cli/copies_command.h"

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "server/library_json.h"

namespace alike::cli {
namespace {

void PrintJson(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
}

// "48 inliers, coverage 0.41, region 120x80 at (30, 10)" or "pdq 12 bits".
std::string Evidence(const CopyHit& h) {
  std::string out;
  if (h.corners) {
    float x0 = 1e30f, y0 = 1e30f, x1 = -1e30f, y1 = -1e30f;
    for (const auto& [x, y] : *h.corners) {
      x0 = std::min(x0, x);
      y0 = std::min(y0, y);
      x1 = std::max(x1, x);
      y1 = std::max(y1, y);
    }
    char buf[128];
    // Whole pixels: a corner a fraction outside the picture reads 0, not -0.
    std::snprintf(buf, sizeof(buf), "%d inliers, coverage %.2f, region %ldx%ld at (%ld, %ld)",
                  h.inliers, h.coverage, std::lround(x1 - x0), std::lround(y1 - y0),
                  std::lround(x0), std::lround(y0));
    out = buf;
  }
  if (h.hash_distance >= 0) {
    out +=
        (out.empty() ? "" : "; ") + std::string("pdq ") + std::to_string(h.hash_distance) + " bits";
  }
  if (h.mirrored) out += "; mirrored";
  return out;
}

void RunDups(CommandContext& ctx, const DuplicateOptions& options) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto groups = (*lib)->Duplicates(options);
  if (!groups.ok()) return Fail(ctx, groups.status());
  auto all = server::DuplicateGroupsJson(**lib, *groups);
  if (!all.ok()) return Fail(ctx, all.status());
  if (ctx.json) return PrintJson(*all);
  if (all->empty()) {
    std::printf("no duplicates (PDQ within %d bits)\n", options.max_bits);
    return;
  }
  uint64_t redundant = 0;
  for (size_t i = 0; i < all->size(); ++i) {
    const nlohmann::json& g = (*all)[i];
    std::printf("group %zu: %zu images, within %d bits\n", i + 1, g["images"].size(),
                g["max_bits"].get<int>());
    for (const nlohmann::json& m : g["images"]) {
      const bool keep = m["id"] == g["keeper"];
      redundant += keep ? 0 : m["bytes"].get<uint64_t>();
      std::printf("  %-4s %8llu  %5dx%-5d %9s  %s\n", keep ? "keep" : "",
                  m["id"].get<unsigned long long>(), m["width"].get<int>(), m["height"].get<int>(),
                  HumanBytes(m["bytes"].get<uint64_t>()).c_str(),
                  m["path"].get<std::string>().c_str());
    }
  }
  std::printf("%zu groups; the copies besides each keeper take %s\n", all->size(),
              HumanBytes(redundant).c_str());
}

}  // namespace

void RunCopySearch(CommandContext& ctx, const std::string& image, std::optional<uint64_t> id,
                   const CopySearchOptions& options) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto hits =
      (*lib)->SearchCopies(id ? ImageQuery::Indexed(*id) : ImageSource::File(image), options);
  if (!hits.ok()) return Fail(ctx, hits.status());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const CopyHit& h : *hits) out.push_back(server::CopyHitJson(h));
    return PrintJson(out);
  }
  if (hits->empty()) {
    std::printf("no copies\n");
    return;
  }
  std::printf("%4s  %10s  %8s  %s\n", "rank", "confidence", "id", "path  (evidence)");
  for (size_t i = 0; i < hits->size(); ++i) {
    const CopyHit& h = (*hits)[i];
    std::printf("%4zu  %10.3f  %8llu  %s  (%s)\n", i + 1, h.confidence,
                static_cast<unsigned long long>(h.image_id), h.paths.front().c_str(),
                Evidence(h).c_str());
  }
}

void AddDupsCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<DuplicateOptions>();
  auto* dups = app.add_subcommand(
      "dups", "Groups of indexed images that are copies of one another (needs the pdq space)");
  dups->add_option("--max-bits", options->max_bits,
                   "PDQ bits two copies may differ by (of 256; the reference threshold is 31)")
      ->capture_default_str()
      ->check(CLI::Range(0, 128));
  dups->callback([&ctx, options] { RunDups(ctx, *options); });
}

}  // namespace alike::cli
