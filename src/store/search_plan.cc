#include "store/search_plan.h"

#include <algorithm>
#include <cmath>

namespace alike::store {

FilteredPlan PlanFilteredSearch(uint64_t live, double selectivity, uint32_t ef) {
  if (selectivity * static_cast<double>(live) < kExactScanMatches ||
      selectivity < kExactScanFraction) {
    return {.exact = true};
  }
  const double widen = std::clamp(kWidenBelow / selectivity, 1.0, kMaxWiden);
  return {.exact = false, .ef = static_cast<uint32_t>(std::ceil(ef * widen))};
}

}  // namespace alike::store
