// Opening a library with a chosen set of embedders: Library::Open uses the built-in ones; tests
// pass their own (with versions they control) to exercise model-change handling, a hook that
// runs after each durable step of indexing (see IndexTarget::after_step) to crash there, and
// storage that fails (LibraryStorage) to check what I/O errors leave behind.
#ifndef ALIKE_LIBRARY_LIBRARY_IMPL_H_
#define ALIKE_LIBRARY_LIBRARY_IMPL_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alike/library.h"
#include "embed/registry.h"
#include "util/file_system.h"

namespace alike::library {

// What a library's two stores write through.
struct LibraryStorage {
  // The vector database's file calls (util/file_system.h); null: POSIX. Must outlive the library.
  FileSystem* file_system = nullptr;
  // The catalog's SQLite VFS, by the name it was registered under; empty: SQLite's default.
  std::string catalog_vfs;
};

Result<std::unique_ptr<Library>> OpenLibrary(
    const std::string& dir, const LibraryOptions& options,
    std::shared_ptr<const embed::EmbedderRegistry> embedders,
    std::function<void(std::string_view step)> after_step = nullptr,
    const LibraryStorage& storage = {});

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_LIBRARY_IMPL_H_
