#include "cli/faces_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "alike/library.h"
#include "server/library_json.h"

namespace alike::cli {
namespace {

std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string BoxText(const FaceBox& b) {
  return std::to_string(b.width) + "x" + std::to_string(b.height) + " at " + std::to_string(b.x) +
         "," + std::to_string(b.y);
}

std::string PersonText(const FaceHit& h) {
  if (!h.person) return "-";
  return h.person_name.empty() ? "#" + std::to_string(*h.person) : h.person_name;
}

void PrintHits(const std::vector<FaceHit>& hits) {
  if (hits.empty()) {
    std::printf("  no image shows this person\n");
    return;
  }
  std::printf("%4s  %8s  %8s  %-12s  %-20s  %s\n", "rank", "distance", "id", "person", "face",
              "path");
  for (size_t i = 0; i < hits.size(); ++i) {
    const FaceHit& h = hits[i];
    std::printf("%4zu  %8.4f  %8llu  %-12s  %-20s  %s\n", i + 1, h.distance,
                static_cast<unsigned long long>(h.image_id), PersonText(h).c_str(),
                BoxText(h.box).c_str(), h.paths.front().c_str());
  }
}

// ---- search

struct SearchArgs {
  std::string image;
  std::string person;
  size_t k = 10;
  FaceSearchOptions options;
};

void RunSearch(CommandContext& ctx, const SearchArgs& args) {
  if (args.image.empty() == args.person.empty()) {
    return Fail(ctx, Status::InvalidArgument("give a query IMAGE or --person NAME, not both"));
  }
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  if (!args.person.empty()) {
    auto hits = (*lib)->SearchPerson(args.person, args.k);
    if (!hits.ok()) return Fail(ctx, hits.status());
    if (ctx.json) {
      nlohmann::json out = nlohmann::json::array();
      for (const FaceHit& h : *hits) out.push_back(server::FaceHitJson(h));
      std::printf("%s\n", Dump(out).c_str());
    } else {
      PrintHits(*hits);
    }
    return;
  }
  FaceSearchOptions options = args.options;
  options.k = args.k;
  auto faces = (*lib)->SearchFaces(ImageSource::File(args.image), options);
  if (!faces.ok()) return Fail(ctx, faces.status());
  if (ctx.json) {
    std::printf("%s\n", Dump(server::QueryFacesJson(*faces)).c_str());
    return;
  }
  for (size_t i = 0; i < faces->size(); ++i) {
    const QueryFace& f = (*faces)[i];
    std::printf("%sface %zu of %zu: %s (score %.2f)\n", i ? "\n" : "", i + 1, faces->size(),
                BoxText(f.box).c_str(), f.box.score);
    PrintHits(f.hits);
  }
}

// ---- people

void RunPeople(CommandContext& ctx) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto people = (*lib)->People();
  if (!people.ok()) return Fail(ctx, people.status());
  if (ctx.json) {
    nlohmann::json out = nlohmann::json::array();
    for (const Person& p : *people) {
      out.push_back({{"person", p.id},
                     {"name", p.name},
                     {"faces", p.faces},
                     {"images", p.images},
                     {"representative", server::FaceHitJson(p.representative)}});
    }
    std::printf("%s\n", Dump(out).c_str());
    return;
  }
  if (people->empty()) {
    std::printf("no faces in the library yet\n");
    return;
  }
  std::printf("%6s  %-16s  %5s  %6s  %s\n", "person", "name", "faces", "images",
              "representative face");
  for (const Person& p : *people) {
    std::printf("%6llu  %-16s  %5llu  %6llu  %s (%s)\n", static_cast<unsigned long long>(p.id),
                p.name.empty() ? "-" : p.name.c_str(), static_cast<unsigned long long>(p.faces),
                static_cast<unsigned long long>(p.images), p.representative.paths.front().c_str(),
                BoxText(p.representative.box).c_str());
  }
}

// ---- name

struct NameArgs {
  uint64_t person = 0;
  std::string name;
};

void RunName(CommandContext& ctx, const NameArgs& args) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto named = (*lib)->NamePerson(args.person, args.name);
  if (!named.ok()) return Fail(ctx, named.status());
  if (ctx.json) {
    std::printf("%s\n", Dump({{"person", *named}, {"name", args.name}}).c_str());
  } else if (*named != args.person) {
    std::printf("person %llu joined %s (person %llu)\n",
                static_cast<unsigned long long>(args.person), args.name.c_str(),
                static_cast<unsigned long long>(*named));
  } else {
    std::printf("person %llu is now %s\n", static_cast<unsigned long long>(*named),
                args.name.c_str());
  }
}

// ---- forget

struct ForgetArgs {
  std::string person;
  bool all = false;
};

void RunForget(CommandContext& ctx, const ForgetArgs& args) {
  if (args.person.empty() == !args.all) {
    return Fail(ctx, Status::InvalidArgument("give --person NAME or --all"));
  }
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto report = args.all ? (*lib)->ForgetAllFaces() : (*lib)->ForgetPerson(args.person);
  if (!report.ok()) return Fail(ctx, report.status());
  if (ctx.json) {
    std::printf(
        "%s\n",
        Dump({{"faces", report->faces}, {"persons", report->persons}, {"faces_enabled", !args.all}})
            .c_str());
    return;
  }
  std::printf("forgot %llu face%s and %llu person%s; the files hold nothing of them any more\n",
              static_cast<unsigned long long>(report->faces), report->faces == 1 ? "" : "s",
              static_cast<unsigned long long>(report->persons), report->persons == 1 ? "" : "s");
  if (args.all) {
    std::printf("face indexing is now off; alike index --faces turns it on again\n");
  }
}

}  // namespace

void AddFacesCommand(CLI::App& app, CommandContext& ctx) {
  auto* faces = app.add_subcommand(
      "faces", "Face search: find every photo of a person (enable with index --faces)");
  faces->require_subcommand(1);

  auto search_args = std::make_shared<SearchArgs>();
  auto* search =
      faces->add_subcommand("search", "Images showing the people in a picture, or one person");
  search->add_option("image", search_args->image, "Query picture");
  search->add_option("--person", search_args->person, "A person's name (or number) instead");
  search->add_option("-k", search_args->k, "Images per face (with --person, 0 = all)")
      ->capture_default_str();
  FaceSearchOptions& options = search_args->options;
  search->add_option("--threshold", options.threshold,
                     "Largest squared L2 distance that counts as the same person (default: "
                     "chosen for the library's size from --strangers)");
  search
      ->add_option("--strangers", options.strangers_per_query,
                   "Faces of other people let through per query face, whatever the library's size")
      ->capture_default_str();
  search
      ->add_option("--margin", options.margin,
                   "Drop hits farther than the best hit's distance plus this (0: off)")
      ->capture_default_str();
  search
      ->add_option("--expansion-strangers", options.expansion_strangers,
                   "Search again with the query averaged with its confident hits, letting through "
                   "this many strangers per query face (0: off)")
      ->capture_default_str();
  search->add_flag("--person-rank", options.by_person,
                   "Rank persons with several near faces before lone look-alikes");
  search->callback([&ctx, search_args] { RunSearch(ctx, *search_args); });

  auto* people =
      faces->add_subcommand("people", "The persons in the library, grouping faces not grouped yet");
  people->callback([&ctx] { RunPeople(ctx); });

  auto name_args = std::make_shared<NameArgs>();
  auto* name =
      faces->add_subcommand("name", "Name a person (a name already given merges the two persons)");
  name->add_option("person", name_args->person, "The person's number (see faces people)")
      ->required();
  name->add_option("name", name_args->name, "The name")->required();
  name->callback([&ctx, name_args] { RunName(ctx, *name_args); });

  auto forget_args = std::make_shared<ForgetArgs>();
  auto* forget = faces->add_subcommand(
      "forget", "Erase faces from the library's files for good (vectors, persons, names)");
  forget->add_option("--person", forget_args->person, "One person, by name or number");
  forget->add_flag("--all", forget_args->all, "Every face; also turns face indexing off");
  forget->callback([&ctx, forget_args] { RunForget(ctx, *forget_args); });
}

}  // namespace alike::cli
