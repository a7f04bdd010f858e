#include "embed/registry.h"

#include <algorithm>
#include <filesystem>

#include "embed/cnn_embedder.h"
#include "embed/color_embedder.h"
#include "embed/face_embedder.h"
#include "embed/hash_embedder.h"
#include "util/file.h"
#include "util/text.h"

namespace alike::embed {

Status EmbedderRegistry::CheckKnown(const std::string& name) const {
  const std::vector<std::string> names = Names();
  if (std::find(names.begin(), names.end(), name) != names.end()) return Status::OK();
  return Status::InvalidArgument("unknown embedder '" + name +
                                 "' (known: " + JoinList(names, ", ") + ")");
}

namespace {

constexpr const char* kBuiltInNames[] = {"color", "pdq", "dct64"};

}  // namespace

std::unique_ptr<Embedder> OpenBuiltIn(const std::string& name) {
  if (name == "color") return std::make_unique<ColorEmbedder>();
  if (name == "pdq") return NewPdqEmbedder();
  if (name == "dct64") return NewDctHashEmbedder();
  return nullptr;
}

std::vector<ModelEntry> ListModels(const std::string& models_dir) {
  namespace fs = std::filesystem;
  std::vector<ModelEntry> entries;
  entries.push_back({.name = "cnn", .source = "default", .spec = DefaultCnnSpec(models_dir)});
  for (const char* name : kBuiltInNames) {
    entries.push_back({.name = name, .source = "built in", .kind = ModelKind::kBuiltIn});
  }
  if (FaceEmbedder::Installed(models_dir)) {
    entries.push_back({.name = "face", .source = "default", .kind = ModelKind::kFace});
  }
  std::vector<fs::path> files;
  std::error_code ec;  // a missing directory simply holds no specs
  for (const auto& f : fs::directory_iterator(models_dir, ec)) {
    if (f.path().extension() == ".json" && f.is_regular_file()) files.push_back(f.path());
  }
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    ModelEntry entry{.name = file.stem().string(), .source = file.string(), .user = true};
    auto text = ReadFileToString(file.string());
    if (text.ok() && IsFaceModelSpec(*text)) {
      entry.kind = ModelKind::kFace;
      auto face = ParseFaceModelSpec(*text, file.parent_path().string(), file.string());
      if (face.ok()) {
        entry.name = face->name;
        entry.face = std::move(*face);
      } else {
        entry.error = face.status();
      }
      entries.push_back(std::move(entry));
      continue;
    }
    auto spec = LoadEmbedderSpec(file.string());
    if (spec.ok()) {
      entry.name = spec->name;
      entry.spec = std::move(*spec);
    } else {
      entry.error = spec.status();
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<ModelEntry> FindModel(const std::string& models_dir, const std::string& name) {
  std::vector<ModelEntry> matches;
  std::vector<std::string> names;
  for (ModelEntry& e : ListModels(models_dir)) {
    names.push_back(e.name);
    if (e.name == name) matches.push_back(std::move(e));
  }
  if (matches.empty()) {
    return Status::NotFound("no embedder named '" + name + "' in " + models_dir +
                            " (there are: " + JoinList(names, ", ") + ")");
  }
  if (matches.size() > 1) {
    std::vector<std::string> sources;
    for (const ModelEntry& e : matches) sources.push_back(e.source);
    return Status::InvalidArgument("'" + name +
                                   "' names several embedders: " + JoinList(sources, ", "));
  }
  return std::move(matches[0]);
}

Result<FaceModelSpec> FindFaceModel(const std::string& models_dir, const std::string& name) {
  if (name.empty() || name == "face") return DlibFaceModelSpec();
  auto found = FindModel(models_dir, name);
  if (!found.ok()) return found.status();
  if (!found->error.ok()) return found->error;
  if (!found->face) return Status::InvalidArgument("'" + name + "' is not a face model");
  return std::move(*found->face);
}

namespace {

class Installed : public EmbedderRegistry {
 public:
  explicit Installed(std::string models_dir) : models_dir_(std::move(models_dir)) {}

  std::vector<std::string> Names() const override {
    std::vector<std::string> names;
    for (const ModelEntry& e : ListModels(models_dir_)) names.push_back(e.name);
    return names;
  }

  Result<std::unique_ptr<Embedder>> Open(const std::string& name) const override {
    auto found = FindModel(models_dir_, name);
    if (!found.ok()) return found.status();
    const ModelEntry& entry = *found;
    if (!entry.error.ok()) return entry.error;
    if (entry.kind == ModelKind::kBuiltIn) return OpenBuiltIn(entry.name);
    if (entry.kind == ModelKind::kFace) {
      FaceEmbedderOptions options;
      if (entry.face) options.model = *entry.face;
      auto face = FaceEmbedder::Open(models_dir_, options);
      if (!face.ok()) return entry.user ? face.status().WithContext(entry.source) : face.status();
      return std::unique_ptr<Embedder>(std::move(*face));
    }
    auto cnn = CnnEmbedder::Open(*entry.spec);
    if (!cnn.ok()) {
      if (entry.user) return cnn.status().WithContext(entry.source);
      return Status::FailedPrecondition(
          "the cnn embedder cannot load its model from " + models_dir_ + " (" +
          cnn.status().message() +
          "); run scripts/setup.sh to install it, set ALIKE_MODELS, or use --embedders color");
    }
    return std::unique_ptr<Embedder>(std::move(*cnn));
  }

 private:
  const std::string models_dir_;
};

}  // namespace

std::unique_ptr<EmbedderRegistry> InstalledEmbedders(const std::string& models_dir) {
  return std::make_unique<Installed>(models_dir);
}

}  // namespace alike::embed
