#include "cli/models_command.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "embed/cnn_embedder.h"
#include "embed/embedder.h"
#include "embed/face_embedder.h"
#include "embed/model_dir.h"
#include "embed/model_spec.h"
#include "embed/registry.h"
#include "util/text.h"

namespace alike::cli {
namespace {

namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

ordered_json BuiltInJson(const std::string& name) {
  const std::unique_ptr<embed::Embedder> e = embed::OpenBuiltIn(name);
  return {{"name", e->name()},
          {"source", "built in"},
          {"dimension", e->dimension()},
          {"version", e->version()},
          {"metric", MetricName(e->metric())}};
}

// A face embedder's settings, loading it (which checks its model files): dlib's, or a face
// model spec's.
ordered_json FaceJson(const embed::ModelEntry& e, const std::string& dir) {
  ordered_json j{
      {"name", e.name}, {"source", e.source}, {"file", e.face ? e.face->network.file : dir}};
  if (!e.error.ok()) {
    j["status"] = "error";
    j["error"] = e.error.message();
    return j;
  }
  embed::FaceEmbedderOptions options;
  if (e.face) options.model = *e.face;
  auto face = embed::FaceEmbedder::Open(dir, options);
  if (!face.ok()) {
    j["status"] = e.face && !fs::exists(e.face->network.file) ? "missing" : "error";
    j["error"] = (e.user ? face.status().WithContext(e.source) : face.status()).message();
    return j;
  }
  const embed::FaceEmbedderOptions& o = (*face)->options();
  j["status"] = "ready";
  j["dimension"] = (*face)->dimension();
  j["version"] = (*face)->version();
  j["metric"] = "l2";
  j["detector"] = embed::FaceDetectorName(o.detector.kind);
  j["min_face"] = o.detector.min_face;
  j["max_side"] = o.detector.max_side;
  j["flip_average"] = o.model.is_dlib() ? o.flip_average : o.model.network.flip_average;
  j["same_person_distance"] = o.model.same_person_distance;
  j["jitter"] = o.jitter;
  j["max_faces"] = o.max_faces;
  return j;
}

// What the list says about one entry. CNN and face models are loaded: that checks the spec
// against the weights and gives the real dimension and version.
ordered_json Inspect(const embed::ModelEntry& e, const std::string& dir) {
  if (e.kind == embed::ModelKind::kBuiltIn) {
    ordered_json j = BuiltInJson(e.name);
    j["status"] = "ready";
    return j;
  }
  if (e.kind == embed::ModelKind::kFace) return FaceJson(e, dir);
  ordered_json j{{"name", e.name}, {"source", e.source}};
  if (!e.error.ok()) {
    j["status"] = "error";
    j["error"] = e.error.message();
    return j;
  }
  std::vector<std::string> files;
  uint32_t dimension = 0;  // stays 0 unless every model states its own
  bool all_stated = true, all_there = true;
  for (const embed::ModelSpec& model : e.spec->models) {
    files.push_back(model.file);
    dimension += model.dimension;
    all_stated = all_stated && model.dimension != 0;
    all_there = all_there && fs::exists(model.file);
  }
  j["files"] = files;
  if (!all_there) {
    j["status"] = "missing";
    if (all_stated) j["dimension"] = dimension;
    return j;
  }
  auto embedder = embed::CnnEmbedder::Open(*e.spec);
  if (!embedder.ok()) {
    j["status"] = "error";
    j["error"] = (e.user ? embedder.status().WithContext(e.source) : embedder.status()).message();
    return j;
  }
  j["status"] = "ready";
  j["dimension"] = (*embedder)->dimension();
  j["version"] = (*embedder)->version();
  return j;
}

void RunList(CommandContext& ctx, const std::string& dir) {
  ordered_json list = ordered_json::array();
  for (const embed::ModelEntry& e : embed::ListModels(dir)) {
    ordered_json j = Inspect(e, dir);
    if (j["status"] == "error") Fail(ctx, Status::InvalidArgument(j["error"].get<std::string>()));
    list.push_back(std::move(j));
  }
  if (ctx.json) {
    std::cout << ordered_json{{"models_dir", dir}, {"embedders", list}}.dump() << "\n";
    return;
  }
  std::printf("models directory: %s\n%-16s %6s  %-7s  %s\n", dir.c_str(), "name", "dim", "status",
              "source");
  for (const ordered_json& j : list) {
    const std::string dim = j.contains("dimension") ? j["dimension"].dump() : "-";
    std::string source = j["source"].get<std::string>();
    if (j.contains("files")) {
      source += ": " + JoinList(j["files"].get<std::vector<std::string>>(), ", ");
    }
    std::printf("%-16s %6s  %-7s  %s\n", j["name"].get<std::string>().c_str(), dim.c_str(),
                j["status"].get<std::string>().c_str(), source.c_str());
    if (j.contains("version")) {
      std::printf("%33s version %s\n", "", j["version"].get<std::string>().c_str());
    }
  }
  if (list[0]["status"] == "missing") {  // the default cnn
    std::printf("(the cnn weights are missing: run scripts/setup.sh, or pass --models DIR)\n");
  }
}

void RunShow(CommandContext& ctx, const std::string& dir, const std::string& name) {
  auto found = embed::FindModel(dir, name);
  if (!found.ok()) return Fail(ctx, found.status());
  const embed::ModelEntry& e = *found;
  if (!e.error.ok()) return Fail(ctx, e.error);
  const int indent = ctx.json ? -1 : 2;
  switch (e.kind) {
    case embed::ModelKind::kCnn:
      std::cout << embed::EmbedderSpecToJson(*e.spec, indent) << "\n";
      break;
    case embed::ModelKind::kBuiltIn:
      std::cout << BuiltInJson(e.name).dump(indent) << "\n";
      break;
    case embed::ModelKind::kFace: {
      const ordered_json j = FaceJson(e, dir);
      if (j["status"] == "error")
        return Fail(ctx, Status::FailedPrecondition(j["error"].get<std::string>()));
      std::cout << j.dump(indent) << "\n";
      break;
    }
  }
}

}  // namespace

std::string VersionText(const std::string& program_version) {
  const std::string dir = embed::DefaultModelDir();
  std::string text = "alike " + program_version + "\nmodels in " + dir + "\n";
  for (const embed::ModelEntry& e : embed::ListModels(dir)) {
    const ordered_json j = Inspect(e, dir);
    const std::string status = j["status"].get<std::string>();
    std::string state;
    if (status == "ready") {
      const std::string version = j["version"].get<std::string>();
      state = embed::VersionName(version) + " #" + embed::VersionFingerprint(version);
    } else if (status == "missing") {
      state = "missing (scripts/setup.sh installs it)";
    } else {
      state = "error: " + j["error"].get<std::string>();
    }
    char line[64];
    std::snprintf(line, sizeof(line), "  %-8s ", e.name.c_str());
    text += line + state + "\n";
  }
  text.pop_back();  // CLI11 ends the text with its own newline
  return text;
}

void AddModelsCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* models =
      app.add_subcommand("models", "The embedders this installation can run (default: list them)");
  auto dir = std::make_shared<std::string>();
  models->add_option("--models", *dir,
                     "Models directory (default: $ALIKE_MODELS or the one setup.sh fills)");

  auto* show = models->add_subcommand("show", "Print one embedder's spec as JSON");
  show->fallthrough();  // so that --models may also follow the name
  auto name = std::make_shared<std::string>();
  show->add_option("name", *name, "Embedder name, as the list shows it")->required();

  models->callback([&ctx, show, dir, name] {
    const std::string d = dir->empty() ? embed::DefaultModelDir() : *dir;
    if (show->parsed()) {
      RunShow(ctx, d, *name);
    } else {
      RunList(ctx, d);
    }
  });
}

}  // namespace alike::cli
