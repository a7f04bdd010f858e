// alike-test-nats-cluster DIR: the cluster tests' three-server NATS JetStream cluster on 127.0.0.1
// (cluster/local_nats_cluster.h), for tests that are not C++ (the web page's cluster scenario,
// tests/web/e2e_cluster.mjs). Prints "nats: URL,URL,URL" once JetStream accepts streams of three
// replicas, then keeps the servers until its standard input closes; killed, it takes them with it
// (subprocess.h), so a test that dies leaves no server behind. Exits 77 (a test's "skipped") when
// nats-server is not installed, 1 when the servers do not start.
#include <unistd.h>

#include <iostream>
#include <string>

#include "cluster/local_nats_cluster.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: alike-test-nats-cluster DIR (an existing directory for the servers)\n";
    return 2;
  }
  const std::string nats_server = ALIKE_NATS_SERVER;
  if (nats_server.empty() || access(nats_server.c_str(), X_OK) != 0) {
    std::cerr << "nats-server is not installed (Debian package nats-server; scripts/setup.sh "
                 "installs it)\n";
    return 77;
  }
  auto cluster = alike::cluster::LocalNatsCluster::Start(nats_server, argv[1]);
  if (!cluster.ok()) {
    std::cerr << cluster.status().ToString() << "\n";
    return 1;
  }
  std::cout << "nats: " << (*cluster)->urls() << std::endl;
  // Until the test closes our input (or exits, which closes it).
  for (std::string line; std::getline(std::cin, line);) {
  }
  return 0;
}
