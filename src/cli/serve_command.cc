#include "cli/serve_command.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "alike/library.h"
#include "cli/stop_signal.h"
#include "server/server.h"

#ifdef ALIKE_WITH_CLUSTER
#include "cli/cluster_collections.h"
#include "cli/cluster_pictures.h"
#endif

namespace alike::cli {
namespace {

struct ServeArgs {
  server::ServerOptions server;
  std::string cluster;          // NATS URLs; empty: serve the library
  std::string cluster_library;  // with cluster: the image library searched by picture; empty: none
  int64_t search_timeout_ms = 5000;
};

// Binds, prints the line tests and scripts wait for, and serves until SIGINT or SIGTERM.
// `what` names what is served.
void BindAndRun(CommandContext& ctx, server::Server& server, const server::ServerOptions& options,
                const std::string& what) {
  auto port = server.Bind();
  if (!port.ok()) return Fail(ctx, port.status());
  // Tests and scripts read the port from this line (with --port 0 it is chosen by the kernel).
  std::printf("alike: serving %s on http://%s:%d\n", what.c_str(), options.bind.c_str(), *port);
  std::fflush(stdout);
  Status ran;
  {
    StopOnSignal stop([&server] {
      std::fprintf(stderr, "alike: stopping (requests in progress are finished)\n");
      server.Stop();
    });
    ran = server.Run();
  }
  if (!ran.ok()) return Fail(ctx, ran);
  std::printf("alike: stopped\n");
}

#ifdef ALIKE_WITH_CLUSTER
// A cluster router: no library, the cluster collections over NATS.
void RunClusterRouter(CommandContext& ctx, const ServeArgs& a) {
  auto nats = cluster::NatsConnection::Connect(
      {.servers = a.cluster, .client_name = "alike serve --cluster"});
  if (!nats.ok()) return Fail(ctx, nats.status());
  const std::chrono::milliseconds deadline(a.search_timeout_ms);
  const ClusterCollectionsOptions timeouts{.search_deadline = deadline,
                                           .attempt_timeout = deadline * 2 / 5};
  ClusterCollections collections(**nats, timeouts);
  std::unique_ptr<ClusterPictures> pictures;
  if (!a.cluster_library.empty()) {
    auto opened = ClusterPictures::Open(**nats, a.cluster_library, timeouts);
    if (!opened.ok()) return Fail(ctx, opened.status());
    pictures = std::move(*opened);
  }
  auto server = server::Server::CreateRouter(
      collections, [&nats] { return ClusterStateJson(**nats); }, pictures.get(), a.server);
  if (!server.ok()) return Fail(ctx, server.status());
  const std::string library =
      a.cluster_library.empty() ? "" : " (image library " + a.cluster_library + ")";
  BindAndRun(ctx, **server, a.server, "cluster " + a.cluster + library);
}
#endif

void RunServe(CommandContext& ctx, const ServeArgs& a) {
#ifdef ALIKE_WITH_CLUSTER
  if (!a.cluster.empty()) return RunClusterRouter(ctx, a);
#endif
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto server = server::Server::Create(**lib, a.server);
  if (!server.ok()) return Fail(ctx, server.status());
  BindAndRun(ctx, **server, a.server, ctx.LibraryDir());
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  server::ServerOptions* options = &args->server;
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the library over HTTP: a JSON API (see /openapi.json) and the web page");
#ifdef ALIKE_WITH_CLUSTER
  cmd->add_option("--cluster", args->cluster,
                  "Serve as a cluster router instead of a library: /v1/collections over the "
                  "cluster collections of these NATS server URL(s), comma-separated");
  cmd->add_option("--library", args->cluster_library,
                  "With --cluster: the cluster image library searched by picture (/v1/search, "
                  "/v1/images/{id}, faces, copies and the web page)");
  cmd->add_option("--search-timeout-ms", args->search_timeout_ms,
                  "With --cluster: a search's deadline over every shard, retries included")
      ->capture_default_str();
#endif
  cmd->add_option("--port", options->port, "TCP port; 0 picks a free one")->capture_default_str();
  cmd->add_option("--bind", options->bind, "Address to listen on")->capture_default_str();
  cmd->add_option("--roots", options->roots,
                  "Server-side folders clients may index by path (POST /v1/index)");
  cmd->add_option("--keys", options->keys_file,
                  "API keys file: lines 'SHA256-OF-KEY read|write [name]'; none: open, loopback "
                  "only");
  cmd->add_flag("--insecure", options->insecure_open,
                "Allow a non-loopback --bind without --keys (anyone reaching it may write)");
  cmd->add_option("--cors", options->cors_origin, "Allow browser pages from this origin");
  cmd->add_option("--web", options->web_dir,
                  "Folder served at / instead of the built-in page (to work on web/ without "
                  "rebuilding)");
  cmd->add_option("--uploads", options->uploads_dir,
                  "Where uploaded pictures are kept (default: LIBRARY/uploads)");
  cmd->add_option("--max-body", options->max_body_bytes, "Largest request body in bytes")
      ->capture_default_str();
  cmd->add_option("--max-pixels", options->max_pixels, "Largest picture accepted, in pixels")
      ->capture_default_str();
  cmd->add_option("--threads", options->threads, "Request threads (0: max(8, 2 x cores))")
      ->capture_default_str();
  cmd->add_option("--timeout", options->io_timeout_seconds,
                  "Seconds allowed to read a request or write a response")
      ->capture_default_str();
  cmd->add_option(
         "--index-timeout", options->index_timeout_seconds,
         "Seconds after which an index job (POST /v1/index) stops (what it finished is kept)")
      ->capture_default_str();
  cmd->callback([&ctx, args] { RunServe(ctx, *args); });
}

}  // namespace alike::cli
