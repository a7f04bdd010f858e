// The invariants a library must hold at any moment, after a crash or an I/O error as much as
// after a clean run, for the library's crash and fault tests (libraries with the colour
// embedder): every acknowledged file still on disk is catalogued with its vector (and its copy
// features, in a library with the pdq embedder), every vector belongs to a catalogued image, and
// every catalogued file's image has its embedding record and its vector.
#ifndef ALIKE_TESTS_TESTING_LIBRARY_CONSISTENCY_H_
#define ALIKE_TESTS_TESTING_LIBRARY_CONSISTENCY_H_

#include <set>
#include <string>

#include "alike/library.h"
#include "library/library_impl.h"

namespace alike::test {

// Opens the library at `lib_dir` with `options` over `storage` (gtest failures name `context`).
void CheckLibraryConsistent(const std::string& lib_dir, const LibraryOptions& options,
                            const std::set<std::string>& acked, const std::string& context,
                            const library::LibraryStorage& storage = {});

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_LIBRARY_CONSISTENCY_H_
