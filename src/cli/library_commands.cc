#include "cli/library_commands.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <opencv2/core/utility.hpp>
#include <optional>

#include "alike/library.h"
#include "cli/cluster_ingest.h"
#include "cli/copies_command.h"
#include "cli/progress.h"
#include "embed/embedder.h"
#include "library/library_json.h"
#include "server/library_json.h"
#include "util/text.h"

namespace alike::cli {
namespace {

// The one piece of process-wide state in the tool: a signal handler can reach nothing else.
std::atomic<bool> g_interrupted{false};

extern "C" void OnInterrupt(int) {
  g_interrupted.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once (nothing is lost)
}

// ---- init

struct InitArgs {
  std::string dir = ".";
  std::string embedders = "cnn,color";
  bool faces = false;
};

void RunInit(CommandContext& ctx, const InitArgs& args) {
  const std::string path = ctx.db_path.empty() ? args.dir + "/.alike" : ctx.db_path;
  if (std::filesystem::exists(path)) {
    return Fail(ctx, Status::AlreadyExists(path + " already exists"));
  }
  auto lib = Library::Open(
      path,
      {.create_if_missing = true, .embedders = SplitList(args.embedders), .faces = args.faces});
  if (!lib.ok()) return Fail(ctx, lib.status());
  const std::string abs = std::filesystem::absolute(path).lexically_normal().string();
  if (ctx.json) {
    std::printf("%s\n", nlohmann::json{{"library", abs},
                                       {"embedders", SplitList(args.embedders)},
                                       {"faces", args.faces}}
                            .dump()
                            .c_str());
  } else {
    std::printf("initialised an alike library in %s (embedders: %s%s)\n", abs.c_str(),
                args.embedders.c_str(), args.faces ? "; faces on" : "");
  }
}

// ---- index

struct IndexArgs {
  std::vector<std::string> paths;
  std::string embedders;
  unsigned jobs = 0;
  bool prune = false;
  bool quiet = false;
  bool faces = false;
  uint64_t max_pixels = 100'000'000;
  ClusterIndexArgs cluster;  // with --cluster: queue a job on a cluster instead
};

void RunIndex(CommandContext& ctx, const IndexArgs& args) {
  if (args.paths.empty() && args.cluster.from_list.empty()) {
    return Fail(ctx, Status::InvalidArgument("give the image files or directories to index"));
  }
#ifdef ALIKE_WITH_CLUSTER
  if (!args.cluster.nats.empty()) {
    ClusterIndexArgs cluster = args.cluster;
    cluster.paths = args.paths;
    cluster.embedders = args.embedders;
    cluster.faces = args.faces;
    cluster.quiet = args.quiet;
    return RunClusterIndex(ctx, cluster);
  }
#endif
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  g_interrupted = false;
  auto previous = std::signal(SIGINT, OnInterrupt);

  // On a terminal: a progress bar on stderr, problems as lines above it. With --json: one JSON
  // object per event on stdout. Otherwise: problems on stderr and a summary at the end.
  Progress bar("indexing", 0);
  uint64_t drawn = 0;
  const IndexObserver observer = [&](const IndexEvent* event, const IndexProgress& progress) {
    if (event) {
      const bool problem =
          event->kind == IndexEvent::Kind::kFailed || event->kind == IndexEvent::Kind::kNote;
      if (ctx.json) {
        nlohmann::json line{{"event", IndexEventKindName(event->kind)}};
        if (!event->path.empty()) line["path"] = event->path;
        if (!event->message.empty()) line["message"] = event->message;
        std::printf("%s\n",
                    line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      } else if (problem || (event->kind == IndexEvent::Kind::kRemoved && !args.quiet)) {
        // Indexed and duplicate files only move the bar (erasing it for them hid it for good).
        // Failure messages start with the file's path (see IndexEvent).
        bar.Clear();
        if (event->kind == IndexEvent::Kind::kFailed) {
          std::fprintf(stderr, "alike: skipped %s\n", event->message.c_str());
        } else if (event->kind == IndexEvent::Kind::kNote) {
          std::fprintf(stderr, "alike: %s\n", event->message.c_str());
        } else if (event->kind == IndexEvent::Kind::kRemoved) {
          std::fprintf(stderr, "alike: removed %s (%s)\n", event->path.c_str(),
                       event->message.c_str());
        }
      }
    }
    if (!args.quiet && !ctx.json) {
      bar.SetTotal(progress.walk_finished ? progress.found : 0);
      bar.Advance(progress.done - drawn);
      drawn = progress.done;
    }
  };
  // The indexer already runs a worker per core (unless -j 1); OpenCV's threads inside each of
  // their forward passes would only add hand-offs (README, "Choosing the image embedding").
  if (args.jobs != 1) cv::setNumThreads(1);
  IndexOptions options{.embedders = SplitList(args.embedders),
                       .jobs = args.jobs,
                       .prune = args.prune,
                       .max_pixels = args.max_pixels,
                       .cancel = &g_interrupted,
                       .faces = args.faces};
  auto report = (*lib)->Index(args.paths, options, observer);
  std::signal(SIGINT, previous);
  bar.Finish();
  if (!report.ok()) return Fail(ctx, report.status());
  const double rate = report->seconds > 0 ? report->indexed / report->seconds : 0;
  if (ctx.json) {
    nlohmann::json done = library::IndexReportJson(*report);
    done["event"] = "done";
    std::printf("%s\n", done.dump().c_str());
  } else if (!args.quiet) {
    std::printf(
        "%s %llu, duplicates %llu, unchanged %llu, failed %llu, removed %llu in %.1f s "
        "(%.1f images/s)\n",
        report->cancelled ? "interrupted: indexed" : "indexed",
        static_cast<unsigned long long>(report->indexed),
        static_cast<unsigned long long>(report->duplicates),
        static_cast<unsigned long long>(report->unchanged),
        static_cast<unsigned long long>(report->failed),
        static_cast<unsigned long long>(report->removed), report->seconds, rate);
  }
  if (report->cancelled) {
    ctx.exit_code = kExitInterrupted;
  } else if (report->failed > 0) {
    ctx.exit_code = kExitSomeFilesFailed;
  }
}

// ---- search

struct SearchArgs {
  std::string image;
  std::optional<uint64_t> id;
  std::string by = "cnn";
  size_t k = 10;
  std::string filter;
  std::optional<float> min_score;
  bool copies = false;
  float min_confidence = CopySearchOptions{}.min_confidence;
};

void RunSearch(CommandContext& ctx, const SearchArgs& args) {
  if (args.image.empty() == !args.id) {
    return Fail(ctx, Status::InvalidArgument("give a query IMAGE or --id, not both"));
  }
  if (args.copies) {
    return RunCopySearch(ctx, args.image, args.id,
                         {.k = args.k, .min_confidence = args.min_confidence});
  }
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  ImageSearchOptions options{
      .by = args.by, .k = args.k, .filter = args.filter, .min_score = args.min_score};
  auto hits = (*lib)->Search(
      args.id ? ImageQuery::Indexed(*args.id) : ImageSource::File(args.image), options);
  if (!hits.ok()) return Fail(ctx, hits.status());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const ImageHit& h : *hits) {
      out.push_back({{"id", h.image_id},
                     {"score", h.score},
                     {"path", h.paths.front()},
                     {"paths", h.paths},
                     {"payload", PayloadJson(h.payload)}});
    }
    std::printf("%s\n", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  if (hits->empty()) {
    std::printf("no results\n");
    return;
  }
  std::printf("%4s  %6s  %8s  %s\n", "rank", "score", "id", "path");
  for (size_t i = 0; i < hits->size(); ++i) {
    const ImageHit& h = (*hits)[i];
    std::printf("%4zu  %6.3f  %8llu  %s", i + 1, h.score,
                static_cast<unsigned long long>(h.image_id), h.paths.front().c_str());
    if (h.paths.size() > 1) std::printf("  (+%zu copies)", h.paths.size() - 1);
    std::printf("\n");
  }
}

// ---- rm

void RunRemove(CommandContext& ctx, const std::vector<std::string>& paths) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto removed = (*lib)->Remove(paths);
  if (!removed.ok()) return Fail(ctx, removed.status());
  if (ctx.json) {
    std::printf("%s\n", nlohmann::json{{"removed", *removed}}.dump().c_str());
  } else {
    std::printf("removed %llu file%s from the library\n", static_cast<unsigned long long>(*removed),
                *removed == 1 ? "" : "s");
  }
  if (*removed == 0 && !ctx.json) {
    std::fprintf(stderr, "alike: nothing in the library under the given paths\n");
  }
}

// ---- show, tag: an image named by one of its paths or by --id

struct ImageRef {
  std::string path;
  std::optional<uint64_t> id;
};

Result<uint64_t> Resolve(Library& lib, const ImageRef& ref) {
  if (ref.path.empty() == !ref.id) {
    return Status::InvalidArgument("name the image by one PATH or by --id, not both");
  }
  if (ref.id) return *ref.id;
  auto id = lib.FindPath(ref.path);
  if (!id.ok()) return id.status();
  if (!*id) return Status::NotFound(ref.path + " is not in the library (alike index it first)");
  return **id;
}

nlohmann::json DetailsJson(const ImageDetails& d) {
  nlohmann::json j{{"id", d.id},         {"paths", d.paths}, {"hash", d.hash},
                   {"bytes", d.bytes},   {"width", d.width}, {"height", d.height},
                   {"format", d.format}, {"taken", d.taken}, {"camera", d.camera},
                   {"tags", d.tags}};
  if (d.latitude && d.longitude) {
    j["lat"] = *d.latitude;
    j["lon"] = *d.longitude;
  }
  return j;
}

void PrintDetails(const CommandContext& ctx, const ImageDetails& d) {
  if (ctx.json) {
    std::printf(
        "%s\n",
        DetailsJson(d).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return;
  }
  std::printf("id       %llu\n", static_cast<unsigned long long>(d.id));
  for (const std::string& p : d.paths) std::printf("path     %s\n", p.c_str());
  std::printf("picture  %s %dx%d, %s\n", d.format.c_str(), d.width, d.height,
              HumanBytes(d.bytes).c_str());
  if (!d.taken.empty()) std::printf("taken    %s\n", d.taken.c_str());
  if (!d.camera.empty()) std::printf("camera   %s\n", d.camera.c_str());
  if (d.latitude && d.longitude) std::printf("place    %.6f, %.6f\n", *d.latitude, *d.longitude);
  const std::string tags = JoinList(d.tags, ", ");
  std::printf("tags     %s\n", tags.empty() ? "(none)" : tags.c_str());
  std::printf("sha256   %s\n", d.hash.c_str());
}

void RunShow(CommandContext& ctx, const ImageRef& ref) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto id = Resolve(**lib, ref);
  if (!id.ok()) return Fail(ctx, id.status());
  auto details = (*lib)->GetImage(*id);
  if (!details.ok()) return Fail(ctx, details.status());
  PrintDetails(ctx, *details);
}

struct TagArgs {
  ImageRef image;
  std::string add, remove;
};

void RunTag(CommandContext& ctx, const TagArgs& args) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto id = Resolve(**lib, args.image);
  if (!id.ok()) return Fail(ctx, id.status());
  auto tags = (*lib)->Tag(*id, SplitList(args.add), SplitList(args.remove));
  if (!tags.ok()) return Fail(ctx, tags.status());
  if (ctx.json) {
    std::printf("%s\n", nlohmann::json{{"id", *id}, {"tags", *tags}}
                            .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
    return;
  }
  const std::string text = JoinList(*tags, ", ");
  std::printf("tags: %s\n", text.empty() ? "(none)" : text.c_str());
}

// ---- snapshot

void RunSnapshot(CommandContext& ctx, const std::string& dest) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  Status s = (*lib)->Snapshot(dest);
  if (!s.ok()) return Fail(ctx, s);
  if (!ctx.json) std::printf("snapshot written to %s\n", dest.c_str());
}

// ---- info

void RunInfo(CommandContext& ctx) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto info = (*lib)->Info();
  if (!info.ok()) return Fail(ctx, info.status());
  if (ctx.json) {
    nlohmann::json out = library::LibraryInfoJson(*info);
    out["library"] = info->path;
    std::printf("%s\n", out.dump().c_str());
    return;
  }
  const std::string embedders = JoinList(info->embedders, ", ");
  std::printf("library     %s\n", info->path.c_str());
  std::printf("images      %llu in %llu files (%s)\n",
              static_cast<unsigned long long>(info->images),
              static_cast<unsigned long long>(info->files), HumanBytes(info->image_bytes).c_str());
  std::printf("disk        %s (thumbnails %s, copy features %s)\n",
              HumanBytes(info->disk_bytes).c_str(), HumanBytes(info->thumbnail_bytes).c_str(),
              HumanBytes(info->copy_feature_bytes).c_str());
  std::printf("embedders   %s\n", embedders.c_str());
  std::printf("faces       %s", info->faces ? "on" : "off (alike index --faces turns it on)");
  if (info->persons) std::printf(", %llu persons", static_cast<unsigned long long>(info->persons));
  std::printf("\n");
  for (const SpaceInfo& s : info->spaces) {
    std::printf("space %-6s %llu vectors, %u-d, %s, %s #%s\n", s.embedder.c_str(),
                static_cast<unsigned long long>(s.vectors), s.dimension,
                HumanBytes(s.disk_bytes).c_str(), s.model.c_str(), s.fingerprint.c_str());
    if (s.installed_version.empty()) {
      std::printf("             the embedder cannot be loaded here\n");
    } else if (s.installed_version != s.version) {
      std::printf("             stale: the installed model is %s #%s; run alike index\n",
                  embed::VersionName(s.installed_version).c_str(),
                  embed::VersionFingerprint(s.installed_version).c_str());
    }
  }
}

}  // namespace

void AddLibraryCommands(CLI::App& app, CommandContext& ctx) {
  auto init_args = std::make_shared<InitArgs>();
  auto* init = app.add_subcommand("init", "Create an image library (DIR/.alike, or --db)");
  init->add_option("dir", init_args->dir, "Directory to hold the library (default: .)");
  init->add_option(
          "--embedders", init_args->embedders,
          "Embedders to index with, comma-separated: cnn, color, pdq, dct64 (see: alike models)")
      ->capture_default_str();
  init->add_flag("--faces", init_args->faces,
                 "Also detect and index faces (biometric data: see alike faces forget)");
  init->callback([&ctx, init_args] { RunInit(ctx, *init_args); });

  auto index_args = std::make_shared<IndexArgs>();
  auto* index = app.add_subcommand(
      "index", "Add image files and folders (recursive, incremental) to the library");
  index->add_option("paths", index_args->paths, "Image files or directories (required)");
  index->add_option("--embedders", index_args->embedders,
                    "Embedders for this run, comma-separated (default: the library's)");
  index->add_option("-j,--jobs", index_args->jobs, "Decoding/embedding threads (default: cores)");
  index->add_flag("--prune", index_args->prune,
                  "Forget catalogued files under PATHS that no longer exist");
  index
      ->add_option("--max-pixels", index_args->max_pixels,
                   "Refuse pictures larger than this many pixels")
      ->capture_default_str();
  index->add_flag("-q,--quiet", index_args->quiet, "Print only problems");
  index->add_flag("--faces", index_args->faces,
                  "Turn face indexing on for this library, from this run on (kept)");
#ifdef ALIKE_WITH_CLUSTER
  index->add_option("--cluster", index_args->cluster.nats,
                    "Queue the pictures as a job for `alike worker`s of the cluster at these NATS "
                    "server URL(s) instead of indexing them here");
  index->add_option("--library", index_args->cluster.library, "With --cluster: image library name")
      ->capture_default_str();
  index->add_option("--from-list", index_args->cluster.from_list,
                    "With --cluster: queue the paths listed in this file, one a line ('-': "
                    "stdin); PATHS then only bound them");
  index->add_flag("--detach", index_args->cluster.detach,
                  "With --cluster: queue and return (follow with alike cluster jobs)");
  index->add_option("--shards", index_args->cluster.shards,
                    "With --cluster: shards per space of a new image library (default 64)");
#endif
  index->callback([&ctx, index_args] { RunIndex(ctx, *index_args); });

  auto search_args = std::make_shared<SearchArgs>();
  auto* search = app.add_subcommand("search", "Find the indexed images most like a picture");
  search->add_option("image", search_args->image, "Query image file");
  search->add_option("--id", search_args->id, "Search from an indexed image instead");
  search
      ->add_option("--by", search_args->by,
                   "Which embedding to compare: cnn, color, pdq, dct64, ...")
      ->capture_default_str();
  search->add_option("-k", search_args->k, "Number of results")->capture_default_str();
  search->add_option("--filter", search_args->filter,
                     R"(JSON filter on image fields, e.g. '{"year": {"$gte": 2020}}')");
  search->add_option("--min-score", search_args->min_score, "Drop results below this score");
  search->add_flag("--copies", search_args->copies,
                   "Find copies (resized, recompressed, cropped, turned, mirrored, bordered, "
                   "overlaid) instead of similar pictures; needs the pdq or cnn space");
  search
      ->add_option("--min-confidence", search_args->min_confidence,
                   "With --copies: drop copies below this confidence")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0));
  search->callback([&ctx, search_args] { RunSearch(ctx, *search_args); });

  auto rm_paths = std::make_shared<std::vector<std::string>>();
  auto* rm =
      app.add_subcommand("rm", "Forget files or folders (the files themselves are not touched)");
  rm->add_option("paths", *rm_paths, "Files or directories")->required();
  rm->callback([&ctx, rm_paths] { RunRemove(ctx, *rm_paths); });

  auto* info = app.add_subcommand("info", "Counts, models and disk use of the library");
  info->callback([&ctx] { RunInfo(ctx); });

  auto show_ref = std::make_shared<ImageRef>();
  auto* show = app.add_subcommand("show", "What the library knows about one image");
  show->add_option("path", show_ref->path, "An indexed file");
  show->add_option("--id", show_ref->id, "Or the image's id");
  show->callback([&ctx, show_ref] { RunShow(ctx, *show_ref); });

  auto tag_args = std::make_shared<TagArgs>();
  auto* tag =
      app.add_subcommand("tag", "Add or remove tags of an image (searchable with --filter)");
  tag->add_option("path", tag_args->image.path, "An indexed file");
  tag->add_option("--id", tag_args->image.id, "Or the image's id");
  tag->add_option("--add", tag_args->add, "Tags to add, comma-separated");
  tag->add_option("--remove", tag_args->remove, "Tags to remove, comma-separated");
  tag->callback([&ctx, tag_args] { RunTag(ctx, *tag_args); });

  auto snapshot_dest = std::make_shared<std::string>();
  auto* snapshot = app.add_subcommand(
      "snapshot", "Copy the whole library consistently to a new directory, while it serves");
  snapshot->add_option("dest", *snapshot_dest, "Directory to create")->required();
  snapshot->callback([&ctx, snapshot_dest] { RunSnapshot(ctx, *snapshot_dest); });
}

}  // namespace alike::cli
