// The objects behind alike.Embedder, alike.Face and alike.embed(): alike's image embedders
// (include/alike/embed.h) for vectors kept in other stores.
#ifndef ALIKE_PYTHON_EMBED_H_
#define ALIKE_PYTHON_EMBED_H_

#include <pybind11/pybind11.h>

namespace alike::python {

// Adds alike.Embedder, alike.Face and alike.embed to the module.
void BindEmbed(pybind11::module_& module);

}  // namespace alike::python

#endif  // ALIKE_PYTHON_EMBED_H_
