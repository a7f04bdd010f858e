// Opening a library with a chosen set of embedders: Library::Open uses the built-in ones; tests
// pass their own (with versions they control) to exercise model-change handling.
#ifndef ALIKE_LIBRARY_LIBRARY_IMPL_H_
#define ALIKE_LIBRARY_LIBRARY_IMPL_H_

#include <memory>
#include <string>

#include "alike/library.h"
#include "embed/registry.h"

namespace alike::library {

Result<std::unique_ptr<Library>> OpenLibrary(
    const std::string& dir, const LibraryOptions& options,
    std::shared_ptr<const embed::EmbedderRegistry> embedders);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_LIBRARY_IMPL_H_
