// A directory that an expensive set-up (indexing real photos with real networks) builds once for
// every test process of one test binary. ctest runs each test in a process of its own, so a
// suite-level set-up alone would build it again for every test of the suite.
//
// The directory lives beside the test binary, keyed by the binary's size and modification time:
// a rebuilt binary builds it again (and removes the previous build's). Processes serialise on a
// lock file; a build that fails or dies midway leaves no completion marker and is redone.
// Callers must treat the directory as read-only and copy it before changing anything.
#ifndef ALIKE_TESTS_TESTING_BUILT_ONCE_H_
#define ALIKE_TESTS_TESTING_BUILT_ONCE_H_

#include <functional>
#include <string>

namespace alike::test {

// Returns the directory `name`, calling `build(dir)` on an empty `dir` first unless this binary
// already built it. `build` returns false when it failed (after reporting why with gtest's
// macros); then nothing is kept and "" is returned.
std::string BuiltOnce(const std::string& name,
                      const std::function<bool(const std::string&)>& build);

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_BUILT_ONCE_H_
