#include "testing/library_consistency.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "embed/model_dir.h"
#include "embed/registry.h"
#include "library/catalog.h"
#include "library/feature_store.h"
#include "library/image_facts.h"
#include "search/copy_verifier.h"

namespace alike::test {

namespace fs = std::filesystem;
using library::Catalog;
using library::FileRow;
using library::ImageOfVector;
using library::VectorId;

void CheckLibraryConsistent(const std::string& lib_dir, const LibraryOptions& options,
                            const std::set<std::string>& acked, const std::string& context,
                            const library::LibraryStorage& storage) {
  const auto open = [&] {
    const std::string models =
        options.models_dir.empty() ? embed::DefaultModelDir() : options.models_dir;
    return library::OpenLibrary(lib_dir, options, embed::InstalledEmbedders(models), nullptr,
                                storage);
  };
  auto lib = open();
  ASSERT_TRUE(lib.ok()) << context << ": " << lib.status().ToString();
  auto space = (*lib)->database().GetCollection("image.color");
  if (!space.ok()) {
    ASSERT_TRUE(acked.empty()) << context << ": acknowledged files but no vector space";
    return;
  }
  for (const std::string& path : acked) {
    auto id = (*lib)->FindPath(path);
    ASSERT_TRUE(id.ok());
    if (!fs::exists(path)) continue;  // deleted by the test since, and maybe pruned
    ASSERT_TRUE(*id) << context << ": acknowledged " << path << " is not in the catalog";
    EXPECT_TRUE((*space)->Get(VectorId(**id, 0)).ok())
        << context << ": acknowledged " << path << " has no vector";
  }
  // Every vector names a catalogued image.
  ASSERT_TRUE((*space)
                  ->ForEach([&](const Record& r) {
                    auto image = (*lib)->GetImage(ImageOfVector(r.id));
                    EXPECT_TRUE(image.ok())
                        << context << ": vector " << r.id << " belongs to no catalogued image";
                    return image.ok();
                  })
                  .ok());
  auto info = (*lib)->Info();
  ASSERT_TRUE(info.ok());
  const bool copy_space = std::count(info->embedders.begin(), info->embedders.end(), "pdq") > 0;
  std::vector<uint64_t> acked_images;
  for (const std::string& path : acked) {
    auto id = (*lib)->FindPath(path);
    if (id.ok() && *id) acked_images.push_back(**id);
  }
  lib->reset();
  // Every acknowledged picture still there has its copy features.
  if (copy_space) {
    auto features = library::FeatureStore::Open(lib_dir + "/" + library::kFeatureStoreFile,
                                                search::CopyVerifier().Version());
    ASSERT_TRUE(features.ok()) << context << ": " << features.status().ToString();
    for (const uint64_t id : acked_images) {
      auto got = (*features)->Get(id);
      ASSERT_TRUE(got.ok()) << context << ": " << got.status().ToString();
      EXPECT_TRUE(got->has_value())
          << context << ": acknowledged image " << id << " has no copy features";
    }
  }
  // Every file row with a colour embedding record has its vector.
  auto catalog = Catalog::Open(lib_dir + "/catalog.sqlite", storage.catalog_vfs);
  ASSERT_TRUE(catalog.ok());
  auto files = (*catalog)->Files();
  auto embedded = (*catalog)->Embedded();
  ASSERT_TRUE(files.ok() && embedded.ok());
  auto reopened = open();
  ASSERT_TRUE(reopened.ok());
  auto space2 = (*reopened)->database().GetCollection("image.color");
  ASSERT_TRUE(space2.ok());
  for (const FileRow& f : *files) {
    auto e = embedded->find(f.image_id);
    ASSERT_TRUE(e != embedded->end() && e->second.count("color"))
        << context << ": " << f.path << " is catalogued without a colour embedding record";
    EXPECT_TRUE((*space2)->Get(VectorId(f.image_id, 0)).ok())
        << context << ": " << f.path << " claims a vector that is missing";
  }
}

}  // namespace alike::test
