// Names of metrics and index kinds, as they appear on disk, on the command line and in JSON.
#include <string>

#include "alike/vector_db.h"

namespace alike {

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2:
      return "l2";
    case Metric::kInnerProduct:
      return "ip";
    case Metric::kCosine:
      return "cosine";
    case Metric::kHamming:
      return "hamming";
  }
  return "unknown";
}

const char* IndexKindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kFlat:
      return "flat";
    case IndexKind::kHnsw:
      return "hnsw";
    case IndexKind::kSq8:
      return "sq8";
    case IndexKind::kMultiHash:
      return "mih";
  }
  return "unknown";
}

Result<Metric> ParseMetric(std::string_view name) {
  for (Metric m : {Metric::kL2, Metric::kInnerProduct, Metric::kCosine, Metric::kHamming}) {
    if (name == MetricName(m)) return m;
  }
  return Status::InvalidArgument("unknown metric '" + std::string(name) +
                                 "' (expected l2, ip, cosine or hamming)");
}

Result<IndexKind> ParseIndexKind(std::string_view name) {
  for (IndexKind k : {IndexKind::kFlat, IndexKind::kHnsw, IndexKind::kSq8, IndexKind::kMultiHash}) {
    if (name == IndexKindName(k)) return k;
  }
  return Status::InvalidArgument("unknown index kind '" + std::string(name) +
                                 "' (expected flat, hnsw, sq8 or mih)");
}

}  // namespace alike
