// A three-server NATS JetStream cluster on 127.0.0.1, for the cluster tests and the cluster
// benchmark (alike itself never starts servers): each nats-server runs as a child process
// (subprocess.h) with its own client and route ports (free ones, picked at start), its own
// store directory, configuration and log file under the given directory. Start returns once
// JetStream accepts a stream with three replicas; the destructor kills every server still running.
//
// Thread-safety: used from one thread at a time.
#ifndef ALIKE_CLUSTER_LOCAL_NATS_CLUSTER_H_
#define ALIKE_CLUSTER_LOCAL_NATS_CLUSTER_H_

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "alike/status.h"
#include "cluster/subprocess.h"

namespace alike::cluster {

class LocalNatsCluster {
 public:
  static constexpr int kServers = 3;

  // Runs `nats_server` (the program's path) three times, with everything under `dir` (which must
  // exist). IOError naming the server and quoting its log when one does not start, or when
  // JetStream does not accept a 3-replica stream within 30 s.
  static Result<std::unique_ptr<LocalNatsCluster>> Start(std::string nats_server, std::string dir);
  ~LocalNatsCluster() = default;  // kills the servers
  LocalNatsCluster(const LocalNatsCluster&) = delete;
  LocalNatsCluster& operator=(const LocalNatsCluster&) = delete;

  // Every server's client URL, comma-separated: what a client is given to fail over between.
  std::string urls() const;
  std::string url(int i) const;
  // The server_name of server i ("n0", "n1", "n2"), and the index of a server_name (-1: none).
  static std::string ServerName(int i);
  static int IndexOf(const std::string& name);

  // kill -9, and waits until the process is gone.
  void Kill(int i);
  // Starts a killed server again with its configuration and store; returns once it accepts
  // clients.
  Status Restart(int i);
  std::string Log(int i) const;

  // Loopback ports the kernel hands out for port 0, all held open at once so that they are
  // distinct; free when returned (a test also uses one as a port nothing listens on).
  static std::vector<int> FreePorts(int n);

 private:
  struct Server {
    int client_port = 0;
    int route_port = 0;
    std::unique_ptr<Subprocess> process;
  };

  LocalNatsCluster(std::string nats_server, std::string dir);
  std::string ConfigPath(int i) const;
  std::string LogPath(int i) const;
  Status WriteConfig(int i) const;
  Status StartServer(int i);
  // JetStream is ready when its meta group has a leader and three servers to place replicas on:
  // exactly when a stream with three replicas can be created.
  Status WaitForJetStream() const;

  const std::string nats_server_;
  const std::string dir_;
  std::array<Server, kServers> servers_;
};

}  // namespace alike::cluster

#endif  // ALIKE_CLUSTER_LOCAL_NATS_CLUSTER_H_
