// The payload filter language (store/filter.h) and payload JSON. The input is filter text, a NUL
// byte, then a payload: the filter must parse or fail with a Status, and evaluating it on any
// payload the store would accept must agree with its negation ({"$not": filter}).
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "store/filter.h"
#include "util/json_depth.h"

namespace {

// The store's own bound on payload nesting (stored_collection.cc).
constexpr int kMaxPayloadDepth = 64;

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view filter_text = input.substr(0, split);
  const std::string_view payload_text =
      split == std::string_view::npos ? std::string_view("{}") : input.substr(split + 1);

  auto filter = alike::store::Filter::Parse(filter_text);
  if (alike::FindJsonNestingOverflow(payload_text, kMaxPayloadDepth) != 0) return 0;
  const auto payload = nlohmann::json::parse(payload_text, nullptr, false);
  if (!payload.is_object()) return 0;
  // The store keeps payloads in canonical text; reading it back must give the same document.
  Check(nlohmann::json::parse(payload.dump()) == payload);
  if (!filter.ok()) return 0;

  const bool matches = filter->Matches(payload);
  if (filter->MatchesAll()) Check(matches);
  auto negated = alike::store::Filter::Parse("{\"$not\":" + std::string(filter_text) + "}");
  if (negated.ok() && !filter->MatchesAll()) Check(negated->Matches(payload) == !matches);
  return 0;
}
