// How the cluster's request-reply services (shard queries, shard snapshots) send a failure, as
// the JSON object {"error": {"code": "invalid_argument", "message": "..."}} (the code is
// Status::CodeName), and how the requester gets the Status back with its code.
//
// Thread-safety: pure functions.
#ifndef ALIKE_CLUSTER_REPLY_ERROR_H_
#define ALIKE_CLUSTER_REPLY_ERROR_H_

#include <nlohmann/json.hpp>

#include "alike/status.h"

namespace alike::cluster {

// `status` must not be OK.
nlohmann::json EncodeErrorReply(const Status& status);
// The error a parsed reply holds, its code kept (an unknown code is the replier's Internal
// error); OK when the reply holds none.
Status DecodeErrorReply(const nlohmann::json& reply);

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_REPLY_ERROR_H_
