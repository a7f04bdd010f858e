#include "cluster/local_nats_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "cluster/nats_client.h"

namespace alike::cluster {
namespace {

bool Accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

}  // namespace

Result<std::unique_ptr<LocalNatsCluster>> LocalNatsCluster::Start(std::string nats_server,
                                                                  std::string dir) {
  std::unique_ptr<LocalNatsCluster> cluster(
      new LocalNatsCluster(std::move(nats_server), std::move(dir)));
  for (int i = 0; i < kServers; ++i) ALIKE_RETURN_IF_ERROR(cluster->WriteConfig(i));
  for (int i = 0; i < kServers; ++i) ALIKE_RETURN_IF_ERROR(cluster->StartServer(i));
  ALIKE_RETURN_IF_ERROR(cluster->WaitForJetStream());
  return cluster;
}

LocalNatsCluster::LocalNatsCluster(std::string nats_server, std::string dir)
    : nats_server_(std::move(nats_server)), dir_(std::move(dir)) {
  const std::vector<int> ports = FreePorts(2 * kServers);
  for (int i = 0; i < kServers; ++i) {
    servers_[i].client_port = ports[2 * i];
    servers_[i].route_port = ports[2 * i + 1];
  }
}

std::string LocalNatsCluster::urls() const {
  std::string out;
  for (int i = 0; i < kServers; ++i) {
    if (i > 0) out += ',';
    out += url(i);
  }
  return out;
}

std::string LocalNatsCluster::url(int i) const {
  return "nats://127.0.0.1:" + std::to_string(servers_[i].client_port);
}

std::string LocalNatsCluster::ServerName(int i) {
  // Appended rather than "n" + ...: GCC 12 at -O3 reports a false -Wrestrict on that.
  std::string name = "n";
  name += std::to_string(i);
  return name;
}

int LocalNatsCluster::IndexOf(const std::string& name) {
  for (int i = 0; i < kServers; ++i) {
    if (ServerName(i) == name) return i;
  }
  return -1;
}

void LocalNatsCluster::Kill(int i) { servers_[i].process.reset(); }

Status LocalNatsCluster::Restart(int i) { return StartServer(i); }

std::string LocalNatsCluster::Log(int i) const {
  std::ifstream in(LogPath(i));
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<int> LocalNatsCluster::FreePorts(int n) {
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

std::string LocalNatsCluster::ConfigPath(int i) const {
  return dir_ + "/" + ServerName(i) + ".conf";
}

std::string LocalNatsCluster::LogPath(int i) const { return dir_ + "/" + ServerName(i) + ".log"; }

Status LocalNatsCluster::WriteConfig(int i) const {
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
  out.close();
  if (!out) return Status::IOError("cannot write " + ConfigPath(i));
  return Status::OK();
}

Status LocalNatsCluster::StartServer(int i) {
  Server& server = servers_[i];
  auto process = Subprocess::Start({nats_server_, "-c", ConfigPath(i)}, LogPath(i));
  if (!process.ok()) return process.status();
  server.process = std::move(*process);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!Accepts(server.client_port)) {
    if (std::chrono::steady_clock::now() > deadline || !server.process->Running()) {
      return Status::IOError(ServerName(i) + " (" + nats_server_ + ") did not start; its log:\n" +
                             Log(i));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return Status::OK();
}

Status LocalNatsCluster::WaitForJetStream() const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto nats = NatsConnection::Connect({.servers = urls()});
  if (!nats.ok()) return nats.status();
  const StreamConfig probe{.name = "harness-ready", .subject = "harness.ready"};
  Status added;
  while (!(added = (*nats)->AddStream(probe)).ok()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return Status::IOError("JetStream did not accept a stream with 3 replicas within 30 s: " +
                             added.ToString() + "\nlog of n0:\n" + Log(0));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return (*nats)->DeleteStream(probe.name);
}

}  // namespace alike::cluster
