#include "cluster/placement.h"

#include <algorithm>
#include <map>
#include <set>

namespace alike::cluster {
namespace {

bool Holds(const std::vector<std::string>& nodes, const std::string& node) {
  return std::find(nodes.begin(), nodes.end(), node) != nodes.end();
}

}  // namespace

ShardMap PlaceShards(const ShardMap& current, const PlacementInput& input) {
  const std::set<std::string> live(input.live.begin(), input.live.end());
  std::set<std::string> kept = live;
  kept.insert(input.in_grace.begin(), input.in_grace.end());
  const size_t replicas = static_cast<size_t>(std::max(input.replicas, 0));

  ShardMap placed{.replicas = std::vector<std::vector<std::string>>(input.shard_count)};
  std::map<std::string, size_t> load;  // live nodes only: the ones that take and give shards
  for (const std::string& node : live) load[node] = 0;
  for (uint32_t s = 0; s < input.shard_count && s < current.replicas.size(); ++s) {
    for (const std::string& node : current.replicas[s]) {
      std::vector<std::string>& nodes = placed.replicas[s];
      if (nodes.size() < replicas && kept.count(node) > 0 && !Holds(nodes, node)) {
        nodes.push_back(node);
        if (live.count(node) > 0) ++load[node];
      }
    }
  }

  for (std::vector<std::string>& nodes : placed.replicas) {
    while (nodes.size() < replicas) {
      const std::string* least = nullptr;  // std::map: ties go to the smaller id
      for (const auto& [node, held] : load) {
        if (!Holds(nodes, node) && (least == nullptr || held < load[*least])) least = &node;
      }
      if (least == nullptr) break;  // every live node serves this shard already
      nodes.push_back(*least);
      ++load[*least];
    }
  }

  while (load.size() > 1) {
    auto most = load.begin();
    auto fewest = load.begin();
    for (auto it = load.begin(); it != load.end(); ++it) {
      if (it->second > most->second) most = it;
      if (it->second < fewest->second) fewest = it;
    }
    if (most->second <= fewest->second + 1) break;
    bool moved = false;
    for (std::vector<std::string>& nodes : placed.replicas) {
      auto slot = std::find(nodes.begin(), nodes.end(), most->first);
      if (slot != nodes.end() && !Holds(nodes, fewest->first)) {
        *slot = fewest->first;
        --most->second;
        ++fewest->second;
        moved = true;
        break;
      }
    }
    // Unreachable while `most` holds more shards than `fewest` (one of them lacks `fewest`);
    // kept so that a broken invariant ends the loop instead of hanging the controller.
    if (!moved) break;
  }
  return placed;
}

}  // namespace alike::cluster
