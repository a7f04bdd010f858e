// CLI11's App, declared only: the command headers name it by reference, and CLI/CLI.hpp costs
// every file that includes it ~5 s of compile time at -O3 (its header-only build emits the
// parser, help formatter and config reader in each one), so only the files that build commands
// include it, not the tests and other users of these headers.
//
// Thread-safety: declarations only.
#ifndef ALIKE_CLI_CLI_FWD_H_
#define ALIKE_CLI_CLI_FWD_H_

namespace CLI {
class App;
}  // namespace CLI

#endif  // ALIKE_CLI_CLI_FWD_H_
