// The perceptual hashes as embedders (metric kHamming; Embedding::binary holds the bits), for
// copy detection: "pdq" (256 bits, pdq_hash.h) and "dct64" (64 bits, dct_hash.h). Neither needs
// weights, so both are always installed.
//
// A flat or nearly flat picture gets no vector at all (its hash would be noise and would match
// other flat pictures at random); the library still catalogues it, it just cannot be found by
// these embedders. Likewise pictures under PDQ's 5-pixel minimum side. "pdq" scores its vector
// with PDQ's quality / 100 and gives none under the reference's kPdqMinQuality; "dct64" scores 1
// and gives none under kDctHashMinStrength.
//
// A library decodes at the largest size any of its embedders asks for, so a hash must not depend
// on the resolution it is handed. PDQ shrinks pictures to fit in 512 x 512 by itself, and asks
// for a 512-pixel shorter side, which covers that box; the DCT hash averages the picture down
// to 32 x 32 anyway, for which any decoded size above 256 pixels gives alike results.
//
// Thread-safety: immutable; Embed() may be called from any number of threads.
#ifndef ALIKE_EMBED_HASH_EMBEDDER_H_
#define ALIKE_EMBED_HASH_EMBEDDER_H_

#include <memory>

#include "embed/embedder.h"

namespace alike::embed {

std::unique_ptr<Embedder> NewPdqEmbedder();
std::unique_ptr<Embedder> NewDctHashEmbedder();

}  // namespace alike::embed

#endif  // ALIKE_EMBED_HASH_EMBEDDER_H_
