// What the public ImageEmbedder (alike/embed.h) wraps, for the library layer's PictureDescriber,
// which embeds one decoded picture with several of them.
//
// Thread-safety: as the embedders themselves (immutable; Embed is thread-safe).
#ifndef ALIKE_EMBED_IMAGE_EMBEDDER_H_
#define ALIKE_EMBED_IMAGE_EMBEDDER_H_

#include "alike/embed.h"
#include "embed/embedder.h"

namespace alike::embed {

// The model behind an ImageEmbedder that ImageEmbedder::Open returned.
const Embedder& ModelOf(const ImageEmbedder& embedder);

// The public shape of an embedding (boxes and landmarks in the pixels the model saw).
ImageEmbedding ToImageEmbedding(Embedding embedding);

}  // namespace alike::embed

#endif  // ALIKE_EMBED_IMAGE_EMBEDDER_H_
