// How a filtered search runs: an exact scan of the matching records, or a graph walk with the
// filter applied inside it, and with what beam. The collection estimates the filter's selectivity;
// this decides from it.
//
// Why these rules (measured by `alike-bench filter`, see bench/README.md):
//   - Few matches: the graph walk would visit mostly rejected nodes, and a scan of the matches
//     costs little; exact recall for free.
//   - Otherwise the walk goes on through rejected nodes until it holds ef accepted ones, so it
//     explores about ef / selectivity nodes by itself. Down to kWidenBelow it reaches at least
//     the recall of an unfiltered walk with the same ef, and ef is kept. Widening it further by
//     1 / selectivity (as alike did before) made a search at 29% selectivity cost 17x an
//     unfiltered one for no recall gained.
//   - Below kWidenBelow, matches grow sparse among a node's links and the walk loses recall; ef
//     is widened by kWidenBelow / selectivity, at most kMaxWiden times.
//
// Thread-safety: pure functions.
#ifndef ALIKE_STORE_SEARCH_PLAN_H_
#define ALIKE_STORE_SEARCH_PLAN_H_

#include <cstdint>

namespace alike::store {

// A filter expected to match fewer records than this, or this fraction of them, is served by an
// exact scan of the matches.
inline constexpr double kExactScanMatches = 2000;
inline constexpr double kExactScanFraction = 0.05;
inline constexpr double kWidenBelow = 0.2;
inline constexpr double kMaxWiden = 4;

struct FilteredPlan {
  bool exact = false;
  uint32_t ef = 0;  // the graph walk's beam, when !exact
};

// `selectivity`: the estimated fraction of the `live` records that match; `ef`: the beam an
// unfiltered search would use.
FilteredPlan PlanFilteredSearch(uint64_t live, double selectivity, uint32_t ef);

}  // namespace alike::store

#endif  // ALIKE_STORE_SEARCH_PLAN_H_
