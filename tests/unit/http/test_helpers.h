// Blocking loopback sockets and a server runner for the HTTP tests. Raw sockets let the tests
// send what a well-behaved client never would (slow, oversized, malformed requests).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http/server.h"
#include "tests/support/process.h"

namespace lmsgw::http::test {

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // Case-insensitive; empty when absent.
  std::string header(std::string_view name) const;
};

class RawSocket {
 public:
  // Connects to 127.0.0.1:port; reads give up after `read_timeout`.
  explicit RawSocket(std::uint16_t port,
                     std::chrono::milliseconds read_timeout = std::chrono::seconds(5));
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  bool connected() const noexcept { return fd_ >= 0; }
  bool send(std::string_view data);
  // Reads one response (Content-Length framed; `head` for a response to HEAD).
  std::optional<RawResponse> read_response(bool head = false);
  // Reads exactly `size` bytes (less on EOF or timeout).
  std::string read_exactly(std::size_t size);
  // True when the peer closed the connection (EOF or reset) before the read timeout.
  bool closed_by_peer();

 private:
  bool fill();
  int fd_ = -1;
  bool eof_ = false;
  std::string buffered_;
};

// Runs an HttpServer on a background thread; stops and joins on destruction.
class RunningServer {
 public:
  RunningServer(ServerOptions options, const Router& router, RequestObserver observer = {});
  ~RunningServer();
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  std::uint16_t port() const noexcept { return server_.port(); }
  HttpServer& server() noexcept { return server_; }
  // Stops the server and waits for run() to return.
  void stop_and_join();

 private:
  HttpServer server_;
  std::thread thread_;
};

// Options for a loopback test server on a free port with small limits.
ServerOptions test_options();

// File descriptors this process has open. The server runs in the test process, so this shows
// whether it still holds a socket the client already saw closed.
std::size_t open_file_descriptors();

using lmsgw::testing::eventually;
using lmsgw::testing::TempDir;

}  // namespace lmsgw::http::test
