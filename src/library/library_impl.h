// Opening a library with a chosen set of embedders: Library::Open uses the built-in ones; tests
// pass their own (with versions they control) to exercise model-change handling, and a hook
// that runs after each durable step of indexing (see IndexTarget::after_step) to crash there.
#ifndef ALIKE_LIBRARY_LIBRARY_IMPL_H_
#define ALIKE_LIBRARY_LIBRARY_IMPL_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alike/library.h"
#include "embed/registry.h"

namespace alike::library {

Result<std::unique_ptr<Library>> OpenLibrary(
    const std::string& dir, const LibraryOptions& options,
    std::shared_ptr<const embed::EmbedderRegistry> embedders,
    std::function<void(std::string_view step)> after_step = nullptr);

}  // namespace alike::library

#endif  // ALIKE_LIBRARY_LIBRARY_IMPL_H_
