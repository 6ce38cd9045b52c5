// The HTTP server alone, answering GET /auth/check the way the forward-auth hot path does: a
// constant 200 whose headers come from a PreparedHeaders block. It measures the server's
// per-request cost against a reference such as nginx's `return 200` on the same machine:
//
//   lmsgw_bench_http_server --threads 1 --port 18090 &
//   wrk -t1 -c64 -d10s --latency http://127.0.0.1:18090/auth/check
//
// SIGINT or SIGTERM stops it; it then prints how many responses it sent.
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "http/server.h"

namespace {

using lmsgw::http::Dispatch;
using lmsgw::http::HttpServer;
using lmsgw::http::Method;
using lmsgw::http::PreparedHeaders;
using lmsgw::http::Request;
using lmsgw::http::Response;
using lmsgw::http::Router;
using lmsgw::http::ServerOptions;

template <class Number>
bool parse_number(std::string_view text, Number& out) {
  const auto result = std::from_chars(text.data(), text.data() + text.size(), out);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

int usage() {
  std::fprintf(stderr, "usage: lmsgw_bench_http_server [--threads N] [--port P]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ServerOptions options;
  options.threads = 1;
  options.listen_port = 18090;
  options.worker_threads = 2;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) return usage();
    const std::string_view flag = argv[i];
    const std::string_view value = argv[i + 1];
    if (flag == "--threads" ? !parse_number(value, options.threads)
        : flag == "--port"  ? !parse_number(value, options.listen_port)
                            : true) {
      return usage();
    }
  }

  // The shape of a signed-in session's answer: a few identity headers, prepared once.
  const auto prepared = std::make_shared<const PreparedHeaders>(
      *PreparedHeaders::make({{"X-Account-Id", "acct-0123456789abcdef"},
                              {"X-Account-Role", "student"},
                              {"X-Age-Band", "under13"},
                              {"Cache-Control", "no-store"}}));
  Router router;
  // Routes ahead of /auth/check, as in the gateway, so matching costs what it costs there.
  router.add({Method::get}, "/healthz", [](const Request&) { return Response::text(200, "ok\n"); });
  router.add(
      {Method::get}, "/login/{connection}",
      [](const Request&) { return Response::text(200, "login\n"); }, Dispatch::worker);
  router.add({Method::get}, "/auth/check", [prepared](const Request&) {
    Response response;
    response.prepared = prepared.get();
    response.keep_alive = prepared;
    return response;
  });

  static std::atomic<std::uint64_t> responses{0};
  HttpServer server(options, router, [](std::uint32_t, int, std::chrono::nanoseconds) {
    responses.fetch_add(1, std::memory_order_relaxed);
  });
  if (auto bound = server.bind(); !bound) {
    std::fprintf(stderr, "%s\n", bound.error().detail.c_str());
    return 1;
  }
  std::fprintf(stderr, "listening on 127.0.0.1:%u with %u I/O thread(s)\n", server.port(),
               options.threads);
  server.run(true);
  std::fprintf(stderr, "%llu responses\n", static_cast<unsigned long long>(responses.load()));
  return 0;
}
