#include "cli/command.h"

#include <cstdio>

namespace alike::cli {

void Fail(CommandContext& ctx, const Status& status) {
  std::fprintf(stderr, "alike: error: %s\n", status.message().c_str());
  ctx.exit_code = 1;
}

}  // namespace alike::cli
