// CollectionOptions as JSON: the options.json file of a collection, and the `info` output.
#ifndef ALIKE_STORE_COLLECTION_OPTIONS_H_
#define ALIKE_STORE_COLLECTION_OPTIONS_H_

#include <nlohmann/json.hpp>
#include <string_view>

#include "alike/vector_db.h"

namespace alike::store {

nlohmann::json CollectionOptionsToJson(const CollectionOptions& options);
// Unknown keys are refused, so a file written by a newer alike with options this build does not
// know is reported instead of half-understood.
Result<CollectionOptions> CollectionOptionsFromJson(std::string_view text);

}  // namespace alike::store

#endif  // ALIKE_STORE_COLLECTION_OPTIONS_H_
