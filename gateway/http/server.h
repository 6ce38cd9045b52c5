// The HTTP(S) server: asynchronous Asio, one io_context per I/O thread (connections are spread
// over them as accepted), Beast's parser for requests and our own serializer for responses.
// Beast and Asio appear only in server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "http/router.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::http {

struct TlsFiles {
  std::string certificate_chain_file;  // PEM
  std::string private_key_file;        // PEM
};

// Timeouts are checked a few times a second, so they may fire up to a quarter of the shortest
// one (at most 250 ms) late.
struct ServerLimits {
  // Request line and fields; a longer header, or one of more than 64 fields, is answered 431.
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_body_bytes = 64 * 1024;
  // Whole request: from its first byte to its last.
  std::chrono::milliseconds request_timeout{10'000};
  // Keep-alive: how long an idle connection may wait for its next request.
  std::chrono::milliseconds idle_timeout{60'000};
  // Connections beyond this are closed as soon as they are accepted: plain ones after a
  // best-effort 503, TLS ones before any handshake.
  std::size_t max_connections = 10'000;
  // Dispatch::worker requests waiting for a free worker thread; beyond this they are answered
  // 503 at once rather than queued without bound. The default allows 64 per default worker.
  std::size_t max_queued_worker_requests = 2048;
};

struct ServerOptions {
  std::string listen_host = "127.0.0.1";
  std::uint16_t listen_port = 8080;  // 0 picks a free port (see HttpServer::port)
  unsigned threads = 0;              // 0: one per core
  // For Dispatch::worker handlers. Sign-in handlers mostly wait on provider calls (timeouts of
  // 10 s), not on the CPU, so a pool sized to the cores would starve under a burst of sign-ins.
  unsigned worker_threads = 32;
  std::optional<TlsFiles> tls;
  ServerLimits limits;
  // On stop, how long in-flight requests may take to finish before connections are cut.
  std::chrono::milliseconds drain_timeout{10'000};
};

// Called once per response, on the thread that sent it, and once per connection refused over
// max_connections (as 503 on Router::kUnmatched). Must not block.
using RequestObserver =
    std::function<void(std::uint32_t route_index, int status, std::chrono::nanoseconds elapsed)>;

class HttpServer {
 public:
  HttpServer(ServerOptions options, const Router& router, RequestObserver observer = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads TLS material and binds the listening socket. Errors name the address or the file.
  sdk::Result<void> bind();
  // The bound port (useful after binding port 0).
  std::uint16_t port() const noexcept;

  // Serves until stop() is called or, when `stop_on_signals`, SIGTERM/SIGINT arrives; then
  // stops accepting, lets in-flight requests finish (up to drain_timeout) and returns.
  void run(bool stop_on_signals);

  // Thread-safe; may be called from any thread or a signal-triggered handler.
  void stop() noexcept;

  // Connections currently open (for tests and metrics).
  std::size_t open_connections() const noexcept;
  // Dispatch::worker requests waiting for a worker thread (for tests and metrics).
  std::size_t queued_worker_requests() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmsgw::http
