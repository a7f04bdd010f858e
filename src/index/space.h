// A vector space: how vectors of one collection are laid out as fixed-size codes and how the
// distance between two codes is computed. Indexes see codes only, never Record or payloads.
//
// Float metrics store `dimension` floats (cosine vectors are normalised before they get here, so
// cosine uses the inner-product kernel); kHamming stores dimension/8 bytes.
//
// Thread-safety: immutable after construction.
#ifndef ALIKE_INDEX_SPACE_H_
#define ALIKE_INDEX_SPACE_H_

#include <cstddef>
#include <cstdint>

#include "alike/vector_db.h"

namespace alike::index {

// Distance between two codes; smaller is closer. `dim` is the number of floats, or of bytes for
// binary codes. Implementations are compiled for the host CPU (AVX2/AVX-512 where present).
using DistanceFn = float (*)(const void* a, const void* b, size_t dim);

float L2SqrDistance(const void* a, const void* b, size_t dim);
float InnerProductDistance(const void* a, const void* b, size_t dim);  // 1 - <a, b>
float HammingDistance(const void* a, const void* b, size_t nbytes);

class Space {
 public:
  Space(Metric metric, uint32_t dimension);

  Metric metric() const { return metric_; }
  uint32_t dimension() const { return dimension_; }
  size_t code_size() const { return code_size_; }  // bytes per vector
  // Distance between two codes of this space.
  float Distance(const void* a, const void* b) const { return fn_(a, b, fn_dim_); }
  DistanceFn distance_fn() const { return fn_; }
  size_t distance_dim() const { return fn_dim_; }

 private:
  Metric metric_;
  uint32_t dimension_;
  size_t code_size_;
  DistanceFn fn_;
  size_t fn_dim_;
};

}  // namespace alike::index

#endif  // ALIKE_INDEX_SPACE_H_
