#include "cli/serve_command.h"

#include <cstdio>
#include <memory>

#include "alike/library.h"
#include "cli/stop_signal.h"
#include "server/server.h"

namespace alike::cli {
namespace {

void RunServe(CommandContext& ctx, const server::ServerOptions& options) {
  auto lib = ctx.OpenLibrary();
  if (!lib.ok()) return Fail(ctx, lib.status());
  auto server = server::Server::Create(**lib, options);
  if (!server.ok()) return Fail(ctx, server.status());
  auto port = (*server)->Bind();
  if (!port.ok()) return Fail(ctx, port.status());
  // Tests and scripts read the port from this line (with --port 0 it is chosen by the kernel).
  std::printf("alike: serving %s on http://%s:%d\n", ctx.LibraryDir().c_str(), options.bind.c_str(),
              *port);
  std::fflush(stdout);
  Status ran;
  {
    StopOnSignal stop([&server] {
      std::fprintf(stderr, "alike: stopping (requests in progress are finished)\n");
      (*server)->Stop();
    });
    ran = (*server)->Run();
  }
  if (!ran.ok()) return Fail(ctx, ran);
  std::printf("alike: stopped\n");
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto options = std::make_shared<server::ServerOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve", "Serve the library over HTTP: a JSON API (see /openapi.json) and the web page");
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
  cmd->callback([&ctx, options] { RunServe(ctx, *options); });
}

}  // namespace alike::cli
