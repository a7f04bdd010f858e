// The cluster tests' three-server NATS cluster (cluster/local_nats_cluster.h) with the nats-server
// found at configure time. Tests call NatsSkipReason() first: nats-server (Debian's package
// nats-server) may be missing, and then the cluster tests skip saying so.
#ifndef ALIKE_TESTS_TESTING_NATS_CLUSTER_H_
#define ALIKE_TESTS_TESTING_NATS_CLUSTER_H_

#include <unistd.h>

#include <memory>
#include <string>

#include "cluster/local_nats_cluster.h"

namespace alike::test {

using cluster::LocalNatsCluster;

// Empty when nats-server is installed; else why the cluster tests cannot run.
inline std::string NatsSkipReason() {
  if (std::string(ALIKE_NATS_SERVER).empty() || access(ALIKE_NATS_SERVER, X_OK) != 0) {
    return "nats-server is not installed (Debian package nats-server; scripts/setup.sh "
           "installs it): the cluster tests need it";
  }
  return "";
}

inline Result<std::unique_ptr<LocalNatsCluster>> StartNatsCluster(const std::string& dir) {
  return LocalNatsCluster::Start(ALIKE_NATS_SERVER, dir);
}

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_NATS_CLUSTER_H_
