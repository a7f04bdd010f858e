#include "server/server.h"

#include <arpa/inet.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "server/api.h"
#include "server/api_keys.h"
#include "server/index_jobs.h"
#include "server/local_collections.h"
#include "server/metrics.h"
#include "server/roots.h"
#include "server/router.h"
#include "server/upload_store.h"
#include "server/web_assets.h"
#include "server/write_gate.h"

namespace alike::server {
namespace {

unsigned RequestThreads(unsigned configured) {
  if (configured > 0) return configured;
  return std::max(8u, 2 * std::max(1u, std::thread::hardware_concurrency()));
}

// The HTTP machinery every server shares: request threads, keys, the write gate, metrics and
// the route table; what is routed is the subclass's.
class HttpServer : public Server {
 public:
  HttpServer(const ServerOptions& options, KeyStore keys)
      : options_(options),
        keys_(std::move(keys)),
        threads_(RequestThreads(options.threads)),
        // Half the request threads at most may wait on writes; searches keep the rest.
        writes_(static_cast<int>(std::max(1u, threads_ / 2))),
        router_(http_, keys_, metrics_, writes_, options.cors_origin) {
    const unsigned threads = threads_;
    // httplib owns the queue it asks for and deletes it when listening ends.
    http_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http_.set_payload_max_length(options.max_body_bytes);
    http_.set_read_timeout(options.io_timeout_seconds);
    http_.set_write_timeout(options.io_timeout_seconds);
    // Idle keep-alive connections each hold a request thread, so they are let go quickly.
    http_.set_keep_alive_timeout(2);
    http_.set_keep_alive_max_count(1000);
    // httplib writes headers and body separately; with Nagle's algorithm the body then waits
    // for the client's delayed ACK, 40 ms on Linux, on every keep-alive request.
    http_.set_tcp_nodelay(true);
  }

  Result<int> Bind() override {
    const int port = options_.port == 0
                         ? http_.bind_to_any_port(options_.bind)
                         : (http_.bind_to_port(options_.bind, options_.port) ? options_.port : -1);
    if (port < 0) {
      return Status::IOError("cannot listen on " + options_.bind + ":" +
                             std::to_string(options_.port));
    }
    return port;
  }

  Status Run() override {
    running_ = true;
    if (stopping_) return Status::OK();
    if (!http_.listen_after_bind() && !stopping_) {
      return Status::IOError("the server stopped accepting connections");
    }
    return Status::OK();
  }

  void Stop() override {
    stopping_ = true;
    BeforeStop();
    // A stop that comes while Run is starting up must wait for httplib to be running, or it
    // would be lost and Run would never return.
    for (int i = 0; i < 400 && running_ && !http_.is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    http_.stop();
  }

  const std::vector<Route>& routes() const override { return router_.routes(); }

 protected:
  // What must finish before httplib stops taking requests.
  virtual void BeforeStop() {}

  const ServerOptions options_;
  const KeyStore keys_;
  const unsigned threads_;
  WriteGate writes_;
  Metrics metrics_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  httplib::Server http_;
  Router router_;
};

class LibraryServer : public HttpServer {
 public:
  LibraryServer(Library& library, const ServerOptions& options, KeyStore keys, Roots roots,
                std::unique_ptr<UploadStore> uploads, std::string default_by)
      : HttpServer(options, std::move(keys)),
        roots_(std::move(roots)),
        uploads_(std::move(uploads)),
        jobs_(library, std::chrono::seconds(options.index_timeout_seconds)),
        collections_(library.database()),
        pictures_(library, std::move(default_by)),
        api_{library, options_, roots_, *uploads_, metrics_, jobs_},
        picture_api_{pictures_, options_} {
    AddSystemRoutes(router_, metrics_, collections_, &library);
    AddPictureRoutes(router_, picture_api_);
    AddIndexedPictureRoutes(router_, picture_api_);
    AddImageRoutes(router_, api_);
    AddIndexRoutes(router_, api_);
    AddCollectionRoutes(router_, collections_, options.max_k);
    AddCopyRoutes(router_, api_);
    AddFaceRoutes(router_, api_);
    AddUnavailableRoutes(router_,
                         "answered by a cluster router (alike serve --cluster), not by a library "
                         "server");
    ServeWebPage(http_, options.web_dir);
  }

 private:
  // First, so that requests waiting for a job (?wait=true) get their answer before httplib
  // stops; the running job commits what it finished before this returns.
  void BeforeStop() override { jobs_.Shutdown(); }

  const Roots roots_;
  std::unique_ptr<UploadStore> uploads_;
  IndexJobs jobs_;
  LocalCollections collections_;
  LibraryPictures pictures_;
  Api api_;
  PictureApi picture_api_;
};

class ClusterRouterServer : public HttpServer {
 public:
  ClusterRouterServer(CollectionService& collections, ClusterState state, PictureSearch* pictures,
                      const ServerOptions& options, KeyStore keys)
      : HttpServer(options, std::move(keys)) {
    AddSystemRoutes(router_, metrics_, collections, nullptr);
    AddCollectionRoutes(router_, collections, options.max_k);
    AddClusterRoutes(router_, std::move(state));
    if (pictures) {
      picture_api_ = std::make_unique<PictureApi>(
          PictureApi{.pictures = *pictures, .options = options_, .over_cluster = true});
      AddPictureRoutes(router_, *picture_api_);
      ServeWebPage(http_, options.web_dir);
    }
    AddUnavailableRoutes(router_,
                         pictures ? "not available on a cluster router yet: it needs the "
                                    "single-machine image library's catalog (alike serve without "
                                    "--cluster)"
                                  : "not available on a cluster router without an image library "
                                    "(alike serve --cluster URL --library NAME)");
  }

 private:
  std::unique_ptr<PictureApi> picture_api_;  // null without an image library
};

// The keys file's keys, and the refusal of an open server off loopback.
Result<KeyStore> CheckedKeys(const ServerOptions& options) {
  KeyStore keys;
  if (!options.keys_file.empty()) {
    auto loaded = KeyStore::Load(options.keys_file);
    if (!loaded.ok()) return loaded.status();
    if (loaded->empty()) {
      // An empty file must not silently open the server to everyone.
      return Status::InvalidArgument("the keys file " + options.keys_file + " holds no keys");
    }
    keys = std::move(*loaded);
  }
  if (keys.empty() && !IsLoopback(options.bind) && !options.insecure_open) {
    return Status::FailedPrecondition(
        "refusing to serve " + options.bind +
        " without API keys: anyone who can reach it could change the library (give --keys, "
        "or --insecure to do it anyway)");
  }
  return keys;
}

}  // namespace

bool IsLoopback(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr v4{};
  return inet_pton(AF_INET, address.c_str(), &v4) == 1 && (ntohl(v4.s_addr) >> 24) == 127;
}

Result<std::unique_ptr<Server>> Server::Create(Library& library, const ServerOptions& options) {
  auto keys = CheckedKeys(options);
  if (!keys.ok()) return keys.status();
  if (!options.web_dir.empty() && !std::filesystem::is_directory(options.web_dir)) {
    return Status::InvalidArgument("--web " + options.web_dir + " is not a folder");
  }
  auto roots = Roots::Make(options.roots);
  if (!roots.ok()) return roots.status();
  auto info = library.Info();
  if (!info.ok()) return info.status();
  auto uploads = UploadStore::Open(options.uploads_dir.empty() ? info->path + "/uploads"
                                                               : options.uploads_dir);
  if (!uploads.ok()) return uploads.status();
  // What a crash left in the folder goes; a path the catalog cannot be asked about stays.
  auto discarded = (*uploads)->DiscardUnlisted([&](const std::string& path) {
    auto id = library.FindPath(path);
    return !id.ok() || id->has_value();
  });
  if (!discarded.ok()) return discarded.status();
  std::string default_by = info->embedders.empty() ? "cnn" : info->embedders.front();
  return std::unique_ptr<Server>(
      std::make_unique<LibraryServer>(library, options, std::move(*keys), std::move(*roots),
                                      std::move(*uploads), std::move(default_by)));
}

Result<std::unique_ptr<Server>> Server::CreateRouter(CollectionService& collections,
                                                     ClusterState state, PictureSearch* pictures,
                                                     const ServerOptions& options) {
  auto keys = CheckedKeys(options);
  if (!keys.ok()) return keys.status();
  return std::unique_ptr<Server>(std::make_unique<ClusterRouterServer>(
      collections, std::move(state), pictures, options, std::move(*keys)));
}

}  // namespace alike::server
