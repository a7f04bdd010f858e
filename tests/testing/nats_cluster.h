// A three-server NATS JetStream cluster on 127.0.0.1 for the cluster tests: each nats-server runs
// as a child process with its own client and route ports (free ones, picked at start), its own
// store directory and log file under the given directory. The constructor returns once JetStream
// accepts a stream with three replicas, or leaves error() saying why not; the destructor kills
// every server still running.
//
// Tests call SkipReason() first: nats-server (Debian's package nats-server, found at configure
// time) may be missing, and then the cluster tests skip saying so.
#ifndef ALIKE_TESTS_TESTING_NATS_CLUSTER_H_
#define ALIKE_TESTS_TESTING_NATS_CLUSTER_H_

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "cluster/nats_client.h"

namespace alike::test {

class NatsCluster {
 public:
  static constexpr int kServers = 3;

  // Empty when nats-server is installed; else why the cluster tests cannot run.
  static std::string SkipReason() {
    if (std::string(ALIKE_NATS_SERVER).empty() || access(ALIKE_NATS_SERVER, X_OK) != 0) {
      return "nats-server is not installed (Debian package nats-server; scripts/setup.sh "
             "installs it): the cluster tests need it";
    }
    return "";
  }

  explicit NatsCluster(std::string dir) : dir_(std::move(dir)) {
    std::vector<int> ports = FreePorts(2 * kServers);
    for (int i = 0; i < kServers; ++i) {
      servers_[i].client_port = ports[2 * i];
      servers_[i].route_port = ports[2 * i + 1];
    }
    for (int i = 0; i < kServers; ++i) WriteConfig(i);
    for (int i = 0; i < kServers; ++i) {
      if (!Start(i)) return;
    }
    WaitForJetStream();
  }
  ~NatsCluster() {
    for (int i = 0; i < kServers; ++i) Kill(i);
  }
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // Empty once the cluster is ready.
  const std::string& error() const { return error_; }

  // Every server's client URL, comma-separated: what a client is given to fail over between.
  std::string urls() const {
    std::string out;
    for (int i = 0; i < kServers; ++i) {
      if (i > 0) out += ',';
      out += url(i);
    }
    return out;
  }
  std::string url(int i) const {
    return "nats://127.0.0.1:" + std::to_string(servers_[i].client_port);
  }
  static std::string ServerName(int i) {
    // Appended rather than "n" + ...: GCC 12 at -O3 reports a false -Wrestrict on that.
    std::string name = "n";
    name += std::to_string(i);
    return name;
  }
  // The index of the server with this server_name, or -1.
  static int IndexOf(const std::string& name) {
    for (int i = 0; i < kServers; ++i) {
      if (ServerName(i) == name) return i;
    }
    return -1;
  }

  // kill -9, and waits until the process is gone.
  void Kill(int i) {
    Server& s = servers_[i];
    if (s.pid <= 0) return;
    kill(s.pid, SIGKILL);
    waitpid(s.pid, nullptr, 0);
    s.pid = -1;
  }
  // Starts a killed server again with its configuration and store; true once it accepts clients.
  bool Restart(int i) { return Start(i); }

  // Loopback ports the kernel hands out for port 0, all held open at once so that they are
  // distinct; free when returned (a test also uses one as a port nothing listens on).
  static std::vector<int> FreePorts(int n) {
    std::vector<int> fds, ports;
    for (int i = 0; i < n; ++i) {
      const int fd = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof(addr);
      bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
      fds.push_back(fd);
      ports.push_back(ntohs(addr.sin_port));
    }
    for (int fd : fds) close(fd);
    return ports;
  }

  std::string Log(int i) const {
    std::ifstream in(LogPath(i));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  struct Server {
    int client_port = 0;
    int route_port = 0;
    pid_t pid = -1;
  };

  static bool Accepts(int port) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
  }

  std::string ConfigPath(int i) const { return dir_ + "/" + ServerName(i) + ".conf"; }
  std::string LogPath(int i) const { return dir_ + "/" + ServerName(i) + ".log"; }

  void WriteConfig(int i) const {
    std::ofstream out(ConfigPath(i));
    out << "server_name: " << ServerName(i) << "\n"
        << "listen: 127.0.0.1:" << servers_[i].client_port << "\n"
        << "jetstream {\n  store_dir: \"" << dir_ << "/" << ServerName(i) << "\"\n"
        << "  max_memory_store: 64MB\n  max_file_store: 1GB\n}\n"
        << "cluster {\n  name: alike-test\n  listen: 127.0.0.1:" << servers_[i].route_port
        << "\n  routes: [\n";
    for (int j = 0; j < kServers; ++j) {
      if (j != i) out << "    nats-route://127.0.0.1:" << servers_[j].route_port << "\n";
    }
    out << "  ]\n}\n";
  }

  bool Start(int i) {
    // Prepared before forking: the child of a threaded process must not allocate.
    std::string binary = ALIKE_NATS_SERVER, flag = "-c", config = ConfigPath(i);
    const std::string log = LogPath(i);
    std::array<char*, 4> argv = {binary.data(), flag.data(), config.data(), nullptr};
    const pid_t pid = fork();
    if (pid == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      execv(argv[0], argv.data());
      _exit(127);
    }
    servers_[i].pid = pid;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!Accepts(servers_[i].client_port)) {
      if (std::chrono::steady_clock::now() > deadline || waitpid(pid, nullptr, WNOHANG) == pid) {
        error_ = ServerName(i) + " did not start; its log:\n" + Log(i);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
  }

  // JetStream is ready when its meta group has a leader and three servers to place replicas on:
  // exactly when a stream with three replicas can be created.
  void WaitForJetStream() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto nats = cluster::NatsConnection::Connect({.servers = urls()});
    if (!nats.ok()) {
      error_ = nats.status().ToString();
      return;
    }
    const cluster::StreamConfig probe{.name = "harness-ready", .subject = "harness.ready"};
    Status added;
    while (!(added = (*nats)->AddStream(probe)).ok()) {
      if (std::chrono::steady_clock::now() > deadline) {
        error_ =
            "JetStream did not accept a stream with 3 replicas within 30 s: " + added.ToString() +
            "\nlog of n0:\n" + Log(0);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const Status deleted = (*nats)->DeleteStream(probe.name);
    if (!deleted.ok()) error_ = deleted.ToString();
  }

  const std::string dir_;
  std::array<Server, kServers> servers_;
  std::string error_;
};

}  // namespace alike::test

#endif  // ALIKE_TESTS_TESTING_NATS_CLUSTER_H_
