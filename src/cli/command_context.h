// What every alike command shares: where the library is, how to print, how errors look, and the
// process's exit code.
#ifndef ALIKE_CLI_COMMAND_CONTEXT_H_
#define ALIKE_CLI_COMMAND_CONTEXT_H_

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "alike/library.h"
#include "alike/status.h"

namespace alike::cli {

struct CommandContext {
  std::string db_path;  // --db or $ALIKE_DB; empty: found by LibraryDir()
  bool json = false;
  int exit_code = 0;

  // The library directory: --db, else $ALIKE_DB, else the nearest ".alike" in the working
  // directory or one of its parents (as git finds ".git"), else "./.alike".
  std::string LibraryDir() const;
  // The library at LibraryDir(), which must exist (`alike init` makes one).
  Result<std::unique_ptr<Library>> OpenLibrary() const;
};

// Prints "alike: error: <message>" on stderr and sets the exit code to 1.
void Fail(CommandContext& ctx, const Status& status);

// "1.5 MiB".
std::string HumanBytes(uint64_t bytes);

// A stored payload (always a valid JSON object, or empty) as JSON for output.
nlohmann::json PayloadJson(const std::string& text);

}  // namespace alike::cli

#endif  // ALIKE_CLI_COMMAND_CONTEXT_H_
