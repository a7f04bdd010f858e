// The image library: a vector database plus a catalog, and the embedders that connect them.
#include "alike/library.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "embed/embedder.h"
#include "embed/model_dir.h"
#include "embed/registry.h"
#include "library/catalog.h"
#include "library/copies.h"
#include "library/faces.h"
#include "library/feature_store.h"
#include "library/file_walker.h"
#include "library/image_facts.h"
#include "library/indexer.h"
#include "library/library_impl.h"
#include "library/people.h"
#include "library/space.h"
#include "search/copy_verifier.h"
#include "store/open_database.h"
#include "util/file.h"
#include "util/text.h"

namespace alike {
namespace {

using library::Catalog;
using library::Space;

constexpr const char* kEmbeddersSetting = "embedders";
constexpr const char* kFacesSetting = "faces";  // "on" or "off"
// The registry name of the face space's model; absent: "face" (dlib's).
constexpr const char* kFaceModelSetting = "face_model";

Status FaceModelsMissing(const Status& why) {
  return Status::FailedPrecondition("faces need the face models, which cannot be loaded (" +
                                    why.message() +
                                    "); run scripts/setup.sh to install them, or set ALIKE_MODELS");
}

Status FacesOff() {
  return Status::FailedPrecondition(
      "face indexing is off in this library (faces are biometric data, so it is opt-in); "
      "enable it with: alike index --faces PATH");
}

class LibraryImpl : public Library {
 public:
  LibraryImpl(std::string dir, std::shared_ptr<const embed::EmbedderRegistry> registry,
              std::unique_ptr<Database> db, std::unique_ptr<Catalog> catalog,
              std::function<void(std::string_view)> after_step)
      : dir_(std::move(dir)),
        registry_(std::move(registry)),
        after_step_(std::move(after_step)),
        db_(std::move(db)),
        catalog_(std::move(catalog)),
        decoder_(image::NewDecoder()) {}

  Result<IndexReport> Index(std::span<const std::string> paths, const IndexOptions& options,
                            const IndexObserver& observer) override {
    std::lock_guard lock(write_mu_);
    std::vector<std::string> names = options.embedders;
    if (names.empty()) {
      auto configured = ConfiguredEmbedders();
      if (!configured.ok()) return configured.status();
      names = *configured;
    }
    ALIKE_RETURN_IF_ERROR(ChooseFaceModel(options.face_model));
    auto faces = FacesEnabled();
    if (!faces.ok()) return faces.status();
    if (options.faces && !*faces) {
      ALIKE_RETURN_IF_ERROR(LoadEmbedder(library::kFaceEmbedder).status());
      ALIKE_RETURN_IF_ERROR(catalog_->SetSetting(kFacesSetting, "on"));
      *faces = true;
    }
    const bool named_face =
        std::find(names.begin(), names.end(), library::kFaceEmbedder) != names.end();
    if (named_face && !*faces) return FacesOff();
    if (*faces && !named_face) names.push_back(library::kFaceEmbedder);
    library::IndexTarget target{
        .catalog = catalog_.get(), .decoder = decoder_.get(), .after_step = after_step_};
    // A run that fills the copy space describes every picture's copy features too.
    target.fill_features =
        std::find(names.begin(), names.end(), library::kPdqEmbedder) != names.end();
    auto features = CopyFeatures(target.fill_features);
    if (!features.ok()) return features.status();
    target.features = *features;
    if (target.features && !target.features->repair_note().empty() && observer) {
      IndexEvent note{IndexEvent::Kind::kNote, "", target.features->repair_note()};
      observer(&note, IndexProgress{});
    }
    for (const std::string& name : names) {
      auto space = SpaceForIndexing(name, observer);
      if (!space.ok()) return space.status();
      target.fill.push_back(*space);
    }
    auto all = AllSpaces();
    if (!all.ok()) return all.status();
    target.all_spaces = std::move(*all);
    ALIKE_RETURN_IF_ERROR(DeleteOrphanImages());
    auto report = library::RunIndex(target, paths, options, observer);
    if (!report.ok()) return report;
    // Features of removed or re-described pictures leave the disk now (see feature_store.h).
    if (target.features) ALIKE_RETURN_IF_ERROR(target.features->Compact());
    if (*faces) {
      // New faces join their persons now, so that searches by person see them at once.
      auto collection = db_->GetCollection(library::SpaceCollectionName(library::kFaceEmbedder));
      if (!collection.ok()) return collection.status();
      const library::FaceSpace space = FaceSpaceOf(**collection);
      ALIKE_RETURN_IF_ERROR(library::GroupNewFaces(space, space.same_person));
    }
    // Every later command opens these collections: what this run wrote is written out whole
    // when replaying it would cost more.
    for (const library::Space& space : target.fill) {
      ALIKE_RETURN_IF_ERROR(CheckpointIfLogLarge(*space.collection));
    }
    return report;
  }

  Result<std::vector<ImageHit>> Search(const ImageQuery& query,
                                       const ImageSearchOptions& options) override {
    auto space = SpaceForSearch(options.by);
    if (!space.ok()) return space.status();
    if (const auto image_id = query.image_id())
      return SearchLikeIndexed(*space, *image_id, options);
    // Decoded as an index run with this one embedder decodes (and as alike/embed.h does), so a
    // query of a file that such a library holds gives the very vector it stores.
    const embed::Embedder* const model = space->model;
    auto img = decoder_->DecodeSource(
        *query.picture(), {.max_pixels = options.max_pixels,
                           .min_short_side = embed::IndexShortSide(std::span(&model, 1))});
    if (!img.ok()) return img.status();
    return SearchDecoded(*space, img->bgr, query.picture()->name(), options);
  }

  Result<uint64_t> Remove(std::span<const std::string> paths) override {
    std::lock_guard lock(write_mu_);
    auto files = catalog_->Files();
    if (!files.ok()) return files.status();
    std::vector<std::string> roots;
    for (const std::string& p : paths) roots.push_back(library::NormalPath(p));
    std::vector<std::string> doomed;
    for (const library::FileRow& row : *files) {
      for (const std::string& root : roots) {
        if (library::IsUnder(row.path, root)) {
          doomed.push_back(row.path);
          break;
        }
      }
    }
    if (doomed.empty()) return uint64_t{0};
    auto orphans = catalog_->RemoveFiles(doomed);
    if (!orphans.ok()) return orphans.status();
    ALIKE_RETURN_IF_ERROR(DeleteImagesWithoutFiles(*orphans));
    return static_cast<uint64_t>(doomed.size());
  }

  // Completes what a removal or an index run cut off by a crash or an error left half done:
  // images without any file lose their vectors, copy features and rows (catalog.h, Orphans).
  // Called when the library opens and before each run, with write_mu_ held or before any other
  // call.
  Status DeleteOrphanImages() {
    auto orphans = catalog_->Orphans();
    if (!orphans.ok()) return orphans.status();
    return DeleteImagesWithoutFiles(*orphans);
  }

  // Deletes these file-less images' vectors, copy features and rows (indexer.h, DeleteOrphans),
  // then compacts the copy features so that what was erased leaves the disk now.
  Status DeleteImagesWithoutFiles(std::span<const uint64_t> images) {
    if (images.empty()) return Status::OK();
    auto all = AllSpaces();
    if (!all.ok()) return all.status();
    auto features = CopyFeatures(/*create=*/false);
    if (!features.ok()) return features.status();
    library::IndexTarget target{.catalog = catalog_.get(),
                                .all_spaces = std::move(*all),
                                .features = *features,
                                .after_step = after_step_};
    ALIKE_RETURN_IF_ERROR(library::DeleteOrphans(target, images));
    return target.features ? target.features->Compact() : Status::OK();
  }

  Result<std::vector<std::string>> Tag(uint64_t image_id, std::span<const std::string> add,
                                       std::span<const std::string> remove) override {
    std::lock_guard lock(write_mu_);
    auto record = catalog_->GetImage(image_id);
    if (!record.ok()) return record.status();
    if (!*record) return Status::NotFound("no image " + std::to_string(image_id));
    std::set<std::string> tags((*record)->tags.begin(), (*record)->tags.end());
    for (const std::string& t : add) {
      if (t.empty()) return Status::InvalidArgument("a tag cannot be empty");
      tags.insert(t);
    }
    for (const std::string& t : remove) tags.erase(t);
    const std::vector<std::string> updated(tags.begin(), tags.end());
    // Payloads first, then the catalog: payloads are rebuilt from the catalog's tags whenever
    // an image is re-embedded, so the catalog is the copy that must end up right.
    auto spaces = AllSpaces();
    if (!spaces.ok()) return spaces.status();
    for (const Space& space : *spaces) {
      std::vector<Record> records = library::VectorsOf(*space.collection, image_id);
      for (Record& r : records) {
        auto payload = nlohmann::json::parse(r.payload, nullptr, false);
        if (!payload.is_object()) payload = nlohmann::json::object();
        payload["tags"] = updated;
        r.payload = payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
      if (!records.empty()) ALIKE_RETURN_IF_ERROR(space.collection->Upsert(records));
    }
    ALIKE_RETURN_IF_ERROR(catalog_->SetTags(image_id, updated));
    return updated;
  }

  Status Snapshot(const std::string& dest_dir) override {
    std::lock_guard lock(write_mu_);
    ALIKE_RETURN_IF_ERROR(db_->Snapshot(dest_dir));
    // Writes hold write_mu_, so the feature log is whole records now.
    if (FileExists(FeatureStorePath())) {
      const std::string features = dest_dir + "/" + library::kFeatureStoreFile;
      ALIKE_RETURN_IF_ERROR(CopyFileDurably(FeatureStorePath(), features + ".tmp"));
      ALIKE_RETURN_IF_ERROR(RenameFile(features + ".tmp", features));
    }
    const std::string catalog = dest_dir + "/catalog.sqlite";
    ALIKE_RETURN_IF_ERROR(catalog_->BackupTo(catalog + ".tmp"));
    ALIKE_RETURN_IF_ERROR(SyncFile(catalog + ".tmp"));
    ALIKE_RETURN_IF_ERROR(RenameFile(catalog + ".tmp", catalog));
    return SyncDir(dest_dir);
  }

  Result<ImageDetails> GetImage(uint64_t image_id) const override {
    auto record = catalog_->GetImage(image_id);
    if (!record.ok()) return record.status();
    if (!*record) return Status::NotFound("no image " + std::to_string(image_id));
    const library::ImageRecord& r = **record;
    return ImageDetails{.id = r.id,
                        .hash = r.facts.hash,
                        .bytes = static_cast<uint64_t>(r.facts.bytes),
                        .width = r.facts.width,
                        .height = r.facts.height,
                        .format = r.facts.format,
                        .taken = r.facts.taken,
                        .camera = r.facts.camera,
                        .latitude = r.facts.latitude,
                        .longitude = r.facts.longitude,
                        .paths = r.paths,
                        .tags = r.tags};
  }

  Result<std::optional<uint64_t>> FindPath(const std::string& path) const override {
    return catalog_->FindFile(library::NormalPath(path));
  }

  Result<std::vector<uint8_t>> Thumbnail(uint64_t image_id) const override {
    return catalog_->Thumbnail(image_id);
  }

  Result<LibraryInfo> Info() const override {
    auto counts = catalog_->Counts();
    if (!counts.ok()) return counts.status();
    auto spaces = catalog_->Spaces();
    if (!spaces.ok()) return spaces.status();
    auto configured = ConfiguredEmbedders();
    if (!configured.ok()) return configured.status();
    LibraryInfo info{.path = dir_,
                     .images = counts->images,
                     .files = counts->files,
                     .image_bytes = counts->bytes,
                     .thumbnail_bytes = counts->thumbnail_bytes,
                     .embedders = *configured};
    auto faces = FacesEnabled();
    if (!faces.ok()) return faces.status();
    info.faces = *faces;
    auto persons = catalog_->Persons();
    if (!persons.ok()) return persons.status();
    info.persons = persons->size();
    auto disk = DirectorySize(dir_);
    if (disk.ok()) info.disk_bytes = *disk;
    auto feature_bytes = FileSize(FeatureStorePath());
    if (feature_bytes.ok()) info.copy_feature_bytes = *feature_bytes;
    for (const auto& [name, row] : *spaces) {
      SpaceInfo s{.embedder = name,
                  .version = row.version,
                  .model = embed::VersionName(row.version),
                  .fingerprint = embed::VersionFingerprint(row.version),
                  .dimension = row.dimension};
      if (auto model = LoadEmbedder(name); model.ok()) s.installed_version = (*model)->version();
      if (auto c = db_->GetCollection(library::SpaceCollectionName(name)); c.ok()) {
        const CollectionInfo ci = (*c)->Info();
        s.vectors = ci.count;
        s.disk_bytes = ci.disk_bytes;
      }
      info.spaces.push_back(std::move(s));
    }
    return info;
  }

  Result<std::vector<QueryFace>> SearchFaces(const ImageQuery& query,
                                             const FaceSearchOptions& options) override {
    ALIKE_RETURN_IF_ERROR(CheckFaceSearchOptions(options));
    auto space = FaceSpaceForSearch();
    if (!space.ok()) return space.status();
    auto img = DecodeQuery(query, {.max_pixels = options.max_pixels});
    if (!img.ok()) return img.status();
    const auto image_id = query.image_id();
    const std::string name =
        image_id ? "image " + std::to_string(*image_id) : query.picture()->name();
    auto faces = space->model->Embed(img->bgr);
    if (!faces.ok()) return Status(faces.status()).WithContext(name);
    if (faces->empty()) return Status::InvalidArgument(name + ": no face found in the picture");
    return library::SearchFaces(FaceSpaceOf(*space->collection), *faces, options, image_id);
  }

  Result<std::vector<CopyHit>> SearchCopies(const ImageQuery& query,
                                            const CopySearchOptions& options) override {
    auto features = CopyFeatures(/*create=*/false);
    if (!features.ok()) return features.status();
    const library::LibraryCopyCandidates candidates(*catalog_, *decoder_, *features);
    auto spaces = CopySpacesForSearch(candidates);
    if (!spaces.ok()) return spaces.status();
    auto img = DecodeQuery(
        query, {.max_pixels = options.max_pixels, .min_short_side = library::kCopyShortSide});
    if (!img.ok()) return img.status();
    return library::FindCopies(*spaces, img->bgr, options, query.image_id());
  }

  Result<std::vector<DuplicateGroup>> Duplicates(const DuplicateOptions& options) override {
    auto space = SpaceForSearch(library::kPdqEmbedder);
    if (!space.ok() && space.status().code() == Status::Code::kNotFound) {
      return Status::FailedPrecondition(
          "duplicate groups need the pdq space: index with --embedders pdq");
    }
    if (!space.ok()) return space.status();
    return library::FindDuplicates(*catalog_, *space->collection, options);
  }

  Result<std::vector<FaceHit>> SearchPerson(const std::string& name, size_t k) override {
    auto collection = FaceCollection();
    if (!collection.ok()) return collection.status();
    auto person = library::ResolvePerson(*catalog_, name);
    if (!person.ok()) return person.status();
    return library::SearchPerson(FaceSpaceOf(**collection), *person, k);
  }

  Result<std::vector<Person>> People() override {
    std::lock_guard lock(write_mu_);
    auto collection = FaceCollection();
    if (!collection.ok()) return collection.status();
    const library::FaceSpace space = FaceSpaceOf(**collection);
    ALIKE_RETURN_IF_ERROR(library::GroupNewFaces(space, space.same_person));
    return library::ListPeople(space);
  }

  Result<uint64_t> NamePerson(uint64_t person_id, const std::string& name) override {
    std::lock_guard lock(write_mu_);
    return catalog_->NamePerson(person_id, name);
  }

  Result<FaceForgetReport> ForgetPerson(const std::string& name) override {
    std::lock_guard lock(write_mu_);
    auto collection = FaceCollection();
    if (!collection.ok()) return collection.status();
    auto person = library::ResolvePerson(*catalog_, name);
    if (!person.ok()) return person.status();
    auto faces = catalog_->FacesOfPerson(*person);
    if (!faces.ok()) return faces.status();
    ALIKE_RETURN_IF_ERROR(library::EraseFaces({*catalog_, **collection}, *faces));
    return FaceForgetReport{.faces = faces->size(), .persons = 1};
  }

  Result<FaceForgetReport> ForgetAllFaces() override {
    std::lock_guard lock(write_mu_);
    // Off first: whatever happens next, no later run detects faces again unasked.
    ALIKE_RETURN_IF_ERROR(catalog_->SetSetting(kFacesSetting, "off"));
    FaceForgetReport report;
    auto persons = catalog_->Persons();
    if (!persons.ok()) return persons.status();
    report.persons = persons->size();
    const std::string name = library::SpaceCollectionName(library::kFaceEmbedder);
    if (auto c = db_->GetCollection(name); c.ok()) {
      report.faces = (*c)->Count();
      // Dropping removes the collection's directory: its checkpoint and logs go whole.
      ALIKE_RETURN_IF_ERROR(db_->DropCollection(name));
    }
    ALIKE_RETURN_IF_ERROR(catalog_->DropSpace(library::kFaceEmbedder));
    ALIKE_RETURN_IF_ERROR(catalog_->ForgetAllFaces());
    ALIKE_RETURN_IF_ERROR(catalog_->Vacuum());
    return report;
  }

  Database& database() override { return *db_; }

 private:
  Result<std::vector<std::string>> ConfiguredEmbedders() const {
    auto value = catalog_->Setting(kEmbeddersSetting);
    if (!value.ok()) return value.status();
    return *value ? SplitList(**value) : std::vector<std::string>{};
  }

  // The registry name of the face space's model.
  Result<std::string> FaceModelName() const {
    auto value = catalog_->Setting(kFaceModelSetting);
    if (!value.ok()) return value.status();
    return *value ? **value : std::string(library::kFaceEmbedder);
  }

  // Makes `name` the library's face model (nothing when empty or already it): it must open as a
  // face embedder. The next index run re-embeds the faces (SpaceForIndexing sees a new version).
  Status ChooseFaceModel(const std::string& name) {
    if (name.empty()) return Status::OK();
    auto current = FaceModelName();
    if (!current.ok()) return current.status();
    if (*current == name) return Status::OK();
    auto model = registry_->Open(name);
    if (!model.ok()) return model.status();
    if ((*model)->name() != library::kFaceEmbedder) {
      return Status::InvalidArgument("'" + name + "' is not a face model");
    }
    ALIKE_RETURN_IF_ERROR(catalog_->SetSetting(kFaceModelSetting, name));
    std::lock_guard lock(embedders_mu_);
    auto& loaded = embedders_[library::kFaceEmbedder];
    // A search running now may still hold the previous model: it stays until the library closes.
    if (loaded) retired_.push_back(std::move(loaded));
    loaded = std::move(*model);
    return Status::OK();
  }

  // The face space of `collection`, with the face model's calibration when it loads (searching by
  // person and listing people work without it, with dlib's).
  library::FaceSpace FaceSpaceOf(Collection& collection) const {
    auto model = LoadEmbedder(library::kFaceEmbedder);
    return library::FaceSpaceFor(*catalog_, collection, model.ok() ? *model : nullptr);
  }

  Result<bool> FacesEnabled() const {
    auto value = catalog_->Setting(kFacesSetting);
    if (!value.ok()) return value.status();
    return *value && **value == "on";
  }

  // The face space's collection, whether or not the face model is installed (erasure must
  // work without it); a clear error when faces were never indexed.
  Result<std::shared_ptr<Collection>> FaceCollection() const {
    auto c = db_->GetCollection(library::SpaceCollectionName(library::kFaceEmbedder));
    if (c.ok()) return c;
    auto faces = FacesEnabled();
    if (!faces.ok()) return faces.status();
    if (!*faces) return FacesOff();
    return Status::NotFound("no faces are indexed yet; run: alike index PATH");
  }

  Result<Space> FaceSpaceForSearch() const {
    ALIKE_RETURN_IF_ERROR(FaceCollection().status());
    return SpaceForSearch(library::kFaceEmbedder);
  }

  // Embedders are loaded on first use and kept: a CNN takes a moment to load.
  Result<const embed::Embedder*> LoadEmbedder(const std::string& name) const {
    std::lock_guard lock(embedders_mu_);
    auto it = embedders_.find(name);
    if (it != embedders_.end()) return it->second.get();
    std::string registry_name = name;
    if (name == library::kFaceEmbedder) {
      auto face_model = FaceModelName();
      if (!face_model.ok()) return face_model.status();
      registry_name = *face_model;
    }
    auto model = registry_->Open(registry_name);
    if (!model.ok() && name == library::kFaceEmbedder) return FaceModelsMissing(model.status());
    if (!model.ok()) return model.status();
    const embed::Embedder* raw = model->get();
    embedders_.emplace(name, std::move(*model));
    return raw;
  }

  // The space an index run fills: created on first use, and emptied when the embedder's
  // version differs from the one that filled it (the two vector spaces must not mix).
  Result<Space> SpaceForIndexing(const std::string& name, const IndexObserver& observer) {
    auto model = LoadEmbedder(name);
    if (!model.ok()) return model.status();
    auto spaces = catalog_->Spaces();
    if (!spaces.ok()) return spaces.status();
    const std::string collection_name = library::SpaceCollectionName(name);
    auto row = spaces->find(name);
    const bool current = row != spaces->end() && row->second.version == (*model)->version() &&
                         row->second.dimension == (*model)->dimension();
    if (current) {
      auto c = db_->GetCollection(collection_name);
      if (c.ok()) return Space{name, *model, *c};
    }
    if (row != spaces->end() && observer) {
      IndexEvent note{IndexEvent::Kind::kNote, "",
                      name + ": the model changed (" + row->second.version + " -> " +
                          (*model)->version() + "); re-embedding every image"};
      observer(&note, IndexProgress{});
    }
    // Forget the old vectors in the catalog first: a crash after this leaves images that the
    // next run embeds again, never records that claim vectors of the wrong version. Persons
    // are made of the old faces, so they go too (their names with them).
    if (name == library::kFaceEmbedder) ALIKE_RETURN_IF_ERROR(catalog_->ForgetAllFaces());
    ALIKE_RETURN_IF_ERROR(catalog_->DropSpace(name));
    if (db_->GetCollection(collection_name).ok()) {
      ALIKE_RETURN_IF_ERROR(db_->DropCollection(collection_name));
    }
    auto c = db_->CreateCollection(collection_name, library::SpaceOptions(**model));
    if (!c.ok()) return c.status();
    ALIKE_RETURN_IF_ERROR(catalog_->SetSpace({name, (*model)->version(), (*model)->dimension()}));
    return Space{name, *model, *c};
  }

  // The first of an image's files that decodes.
  Result<image::Image> DecodeAnyFileOf(uint64_t image_id,
                                       const image::DecodeOptions& options) const {
    auto record = catalog_->GetImage(image_id);
    if (!record.ok()) return record.status();
    if (!*record) return Status::NotFound("no image " + std::to_string(image_id));
    Status last = Status::NotFound("image " + std::to_string(image_id) + " has no files");
    for (const std::string& path : (*record)->paths) {
      auto img = decoder_->DecodeFile(path, options);
      if (img.ok()) return img;
      last = img.status();
    }
    return last;
  }

  // The query's picture; for an indexed image, the first of its files that decodes. An indexed
  // image passed the index run's own size limit, so the query's max_pixels, meant for pictures
  // callers bring, does not apply to it.
  Result<image::Image> DecodeQuery(const ImageQuery& query,
                                   const image::DecodeOptions& options) const {
    if (const ImageSource* picture = query.picture()) {
      return decoder_->DecodeSource(*picture, options);
    }
    return DecodeAnyFileOf(*query.image_id(), {.min_short_side = options.min_short_side});
  }

  Result<Space> SpaceForSearch(const std::string& name) const {
    auto spaces = catalog_->Spaces();
    if (!spaces.ok()) return spaces.status();
    auto row = spaces->find(name);
    if (row == spaces->end()) {
      return Status::NotFound("nothing is indexed with the '" + name +
                              "' embedder yet; run: alike index --embedders " + name + " PATH");
    }
    auto model = LoadEmbedder(name);
    if (!model.ok()) return model.status();
    if (row->second.version != (*model)->version()) {
      return Status::FailedPrecondition("the stored " + name + " vectors were made by " +
                                        row->second.version + " but the installed embedder is " +
                                        (*model)->version() +
                                        "; run alike index to re-embed before searching");
    }
    auto c = db_->GetCollection(library::SpaceCollectionName(name));
    if (!c.ok()) return c.status();
    return Space{name, *model, *c};
  }

  std::string FeatureStorePath() const { return dir_ + "/" + library::kFeatureStoreFile; }

  // The copy features, opened on first use (reading them costs a pass over the file); null when
  // the library has none and `create` is false.
  Result<library::FeatureStore*> CopyFeatures(bool create) const {
    std::lock_guard lock(features_mu_);
    if (!features_ && (create || FileExists(FeatureStorePath()))) {
      auto opened =
          library::FeatureStore::Open(FeatureStorePath(), search::CopyVerifier().Version());
      if (!opened.ok()) return opened.status();
      features_ = std::move(*opened);
    }
    return features_.get();
  }

  // The spaces copy search draws candidates from; a space the library does not hold is left
  // out, one it holds but cannot search (a changed model) is an error.
  Result<library::CopySpaces> CopySpacesForSearch(const library::CopyCandidates& candidates) const {
    library::CopySpaces spaces{.candidates = candidates};
    auto rows = catalog_->Spaces();
    if (!rows.ok()) return rows.status();
    const std::pair<const char*, std::optional<library::CopySpace>*> wanted[] = {
        {library::kPdqEmbedder, &spaces.pdq},
        {library::kDctHashEmbedder, &spaces.dct64},
        {library::kCnnEmbedder, &spaces.cnn}};
    for (const auto& [name, slot] : wanted) {
      if (!rows->contains(name)) continue;
      auto space = SpaceForSearch(name);
      if (!space.ok()) return space.status();
      *slot = library::CopySpaceOf(*space);
    }
    return spaces;
  }

  Result<std::vector<Space>> AllSpaces() const {
    auto spaces = catalog_->Spaces();
    if (!spaces.ok()) return spaces.status();
    std::vector<Space> out;
    for (const auto& [name, row] : *spaces) {
      auto c = db_->GetCollection(library::SpaceCollectionName(name));
      if (c.ok()) out.push_back({name, nullptr, *c});
    }
    return out;
  }

  // From an indexed image's stored vector, leaving the image itself out.
  Result<std::vector<ImageHit>> SearchLikeIndexed(const Space& space, uint64_t image_id,
                                                  const ImageSearchOptions& options) const {
    auto record = space.collection->Get(library::VectorId(image_id, 0));
    if (!record.ok()) {
      return Status::NotFound("image " + std::to_string(image_id) + " has no " + options.by +
                              " vector");
    }
    ImageSearchOptions wider = options;
    ++wider.k;  // the image itself comes back first
    auto hits = SearchVector(space, {.vector = record->vector, .binary = record->binary}, wider);
    if (!hits.ok()) return hits;
    std::erase_if(*hits, [&](const ImageHit& h) { return h.image_id == image_id; });
    if (hits->size() > options.k) hits->resize(options.k);
    return hits;
  }

  Result<std::vector<ImageHit>> SearchDecoded(const Space& space, const cv::Mat& bgr,
                                              const std::string& name,
                                              const ImageSearchOptions& options) const {
    auto embeddings = space.model->Embed(bgr);
    if (!embeddings.ok()) return Status(embeddings.status()).WithContext(name);
    if (embeddings->empty()) {
      return Status::InvalidArgument(name + ": the " + space.embedder +
                                     " embedder found nothing to search with");
    }
    const embed::Embedding& e = (*embeddings)[0];
    return SearchVector(space, {.vector = e.vector, .binary = e.binary}, options);
  }

  Result<std::vector<ImageHit>> SearchVector(const Space& space, const Query& query,
                                             const ImageSearchOptions& options) const {
    const CollectionOptions& copts = space.collection->options();
    SearchOptions search{.k = options.k, .filter = options.filter};
    if (options.min_score) {
      search.max_distance =
          library::MaxDistanceForScore(copts.metric, *options.min_score, copts.dimension);
    }
    // Hits are dropped for images that have no files at this moment (being indexed or removed
    // by a concurrent writer) and for further vectors of one image, so a search that came back
    // short asks again for more, until it has k images or the collection has no more.
    std::vector<ImageHit> out;
    bool below_min_score = false;  // scores only fall further down the list
    for (size_t want = options.k; !below_min_score; want *= 2) {
      search.k = want;
      auto hits = space.collection->Search(query, search);
      if (!hits.ok()) return hits.status();
      out.clear();
      std::set<uint64_t> seen;
      for (const Hit& hit : *hits) {
        const uint64_t image_id = library::ImageOfVector(hit.id);
        if (!seen.insert(image_id).second) continue;
        auto record = catalog_->GetImage(image_id);
        if (!record.ok()) return record.status();
        if (!*record || (*record)->paths.empty()) continue;  // being added or removed
        const float score = library::SimilarityScore(copts.metric, hit.distance, copts.dimension);
        if (options.min_score && score < *options.min_score) {
          below_min_score = true;
          break;
        }
        out.push_back({.image_id = image_id,
                       .score = score,
                       .distance = hit.distance,
                       .paths = std::move((*record)->paths),
                       .payload = hit.payload});
        if (out.size() == options.k) break;
      }
      if (out.size() >= options.k || hits->size() < want) break;
    }
    return out;
  }

  const std::string dir_;
  const std::shared_ptr<const embed::EmbedderRegistry> registry_;
  const std::function<void(std::string_view)> after_step_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<image::Decoder> decoder_;
  std::mutex write_mu_;  // one index run or removal at a time
  mutable std::mutex embedders_mu_;
  mutable std::map<std::string, std::unique_ptr<embed::Embedder>> embedders_;  // embedders_mu_
  std::vector<std::unique_ptr<embed::Embedder>> retired_;                      // embedders_mu_
  mutable std::mutex features_mu_;
  mutable std::unique_ptr<library::FeatureStore> features_;  // features_mu_; then never replaced
};

}  // namespace

}  // namespace alike

namespace alike::library {

Result<std::unique_ptr<Library>> OpenLibrary(
    const std::string& dir, const LibraryOptions& options,
    std::shared_ptr<const embed::EmbedderRegistry> embedders,
    std::function<void(std::string_view step)> after_step, const LibraryStorage& storage) {
  const bool exists = FileExists(dir);
  if (!exists && !options.create_if_missing) {
    return Status::NotFound("no alike library at " + dir + " (create one with: alike init)");
  }
  DatabaseOptions db_options = options.database;
  db_options.create_if_missing = options.create_if_missing;
  auto db = storage.file_system ? store::OpenDatabase(dir, db_options, *storage.file_system)
                                : Database::Open(dir, db_options);
  if (!db.ok()) return db.status();
  auto catalog = Catalog::Open(dir + "/catalog.sqlite", storage.catalog_vfs);
  if (!catalog.ok()) return catalog.status();
  auto configured = (*catalog)->Setting(kEmbeddersSetting);
  if (!configured.ok()) return configured.status();
  if (!*configured) {
    for (const std::string& name : options.embedders) {
      if (name == library::kFaceEmbedder) {
        return Status::InvalidArgument(
            "faces are not an embedder to list; face indexing is opt-in: use --faces");
      }
      ALIKE_RETURN_IF_ERROR(embedders->CheckKnown(name));
    }
    if (options.faces) {
      Status known = embedders->CheckKnown(library::kFaceEmbedder);
      if (!known.ok()) return FaceModelsMissing(known);
      ALIKE_RETURN_IF_ERROR((*catalog)->SetSetting(kFacesSetting, "on"));
    }
    ALIKE_RETURN_IF_ERROR((*catalog)->SetSetting(kEmbeddersSetting, JoinList(options.embedders)));
  }
  auto library = std::make_unique<LibraryImpl>(dir, std::move(embedders), std::move(*db),
                                               std::move(*catalog), std::move(after_step));
  // A removal cut off by a crash is whole once the library is open again: a client that lost
  // the answer sees the image either fully there or fully gone, never gone later by itself.
  ALIKE_RETURN_IF_ERROR(library->DeleteOrphanImages());
  return std::unique_ptr<Library>(std::move(library));
}

}  // namespace alike::library

namespace alike {

const char* IndexEventKindName(IndexEvent::Kind kind) {
  switch (kind) {
    case IndexEvent::Kind::kIndexed:
      return "indexed";
    case IndexEvent::Kind::kDuplicate:
      return "duplicate";
    case IndexEvent::Kind::kFailed:
      return "failed";
    case IndexEvent::Kind::kRemoved:
      return "removed";
    case IndexEvent::Kind::kNote:
      break;
  }
  return "note";
}

Status CheckFaceSearchOptions(const FaceSearchOptions& options) {
  if (!(options.threshold >= 0 && options.threshold <= 4)) {
    return Status::InvalidArgument("threshold must be 0 (automatic) or above, at most 4");
  }
  if (!(options.strangers_per_query > 0 && std::isfinite(options.strangers_per_query))) {
    return Status::InvalidArgument("strangers per query must be above 0");
  }
  if (!(options.margin >= 0 && options.margin <= 4)) {
    return Status::InvalidArgument("margin must be 0 (off) or above, at most 4");
  }
  if (!(options.expansion_strangers >= 0 && std::isfinite(options.expansion_strangers))) {
    return Status::InvalidArgument("expansion strangers per query must be 0 (off) or above");
  }
  return Status::OK();
}

Result<std::unique_ptr<Library>> Library::Open(const std::string& dir,
                                               const LibraryOptions& options) {
  std::string models = options.models_dir.empty() ? embed::DefaultModelDir() : options.models_dir;
  return library::OpenLibrary(dir, options, embed::InstalledEmbedders(models));
}

}  // namespace alike
