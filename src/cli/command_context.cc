#include "cli/command_context.h"

#include <cstdio>
#include <filesystem>

namespace alike::cli {

Result<std::unique_ptr<Library>> CommandContext::OpenLibrary() const {
  return Library::Open(LibraryDir(), {});
}

std::string CommandContext::LibraryDir() const {
  if (!db_path.empty()) return db_path;
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path dir = fs::current_path(ec);
  if (ec) return ".alike";
  for (fs::path d = dir;; d = d.parent_path()) {
    if (fs::is_directory(d / ".alike", ec)) return (d / ".alike").string();
    if (d == d.parent_path()) break;
  }
  return ".alike";
}

void Fail(CommandContext& ctx, const Status& status) {
  std::fprintf(stderr, "alike: error: %s\n", status.message().c_str());
  ctx.exit_code = 1;
}

std::string HumanBytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) v /= 1024, ++u;
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

nlohmann::json PayloadJson(const std::string& text) {
  return text.empty() ? nlohmann::json::object() : nlohmann::json::parse(text, nullptr, false);
}

}  // namespace alike::cli
