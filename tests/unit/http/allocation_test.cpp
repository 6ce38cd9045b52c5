// The server's keep-alive path must not allocate once a connection is warm. This executable
// replaces the C allocation functions (which operator new, Asio and Beast all end in) with
// counting ones, per thread, so the count of the server's I/O thread can be read from a handler
// running on it.
#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/server.h"
#include "test_helpers.h"

extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* pointer, std::size_t size);
void* __libc_memalign(std::size_t alignment, std::size_t size);
}

namespace {

// Constant-initialized, so reading it needs no allocation of its own.
thread_local std::uint64_t allocations_on_this_thread = 0;

}  // namespace

extern "C" {

void* malloc(std::size_t size) noexcept {
  ++allocations_on_this_thread;
  return __libc_malloc(size);
}

void* calloc(std::size_t count, std::size_t size) noexcept {
  ++allocations_on_this_thread;
  return __libc_calloc(count, size);
}

void* realloc(void* pointer, std::size_t size) noexcept {
  ++allocations_on_this_thread;
  return __libc_realloc(pointer, size);
}

void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept {
  ++allocations_on_this_thread;
  return __libc_memalign(alignment, size);
}

void* memalign(std::size_t alignment, std::size_t size) noexcept {
  ++allocations_on_this_thread;
  return __libc_memalign(alignment, size);
}

int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept {
  ++allocations_on_this_thread;
  void* pointer = __libc_memalign(alignment, size);
  if (pointer == nullptr) return ENOMEM;
  *out = pointer;
  return 0;
}

}  // extern "C"

namespace lmsgw::http {
namespace {

using test::RawSocket;
using test::RunningServer;

TEST(ServerAllocationTest, WarmKeepAliveConnectionAllocatesNothingPerRequest) {
  // The I/O thread's count, as the handler saw it at the latest request.
  std::atomic<std::uint64_t> seen_by_handler{0};
  std::atomic<std::uint64_t> requests{0};
  const auto prepared = std::make_shared<const PreparedHeaders>(
      *PreparedHeaders::make({{"X-Account-Id", "acct-1"}, {"Cache-Control", "no-store"}}));
  Router router;
  const auto answer = [&seen_by_handler, &requests, prepared](const Request& request) {
    seen_by_handler = allocations_on_this_thread;
    ++requests;
    Response response;
    // Reads what a forward-auth handler reads, so the views must be right.
    response.status = request.cookie("sid") == "abc" && request.body.size() % 2 == 0 ? 200 : 400;
    response.prepared = prepared.get();
    response.keep_alive = prepared;
    return response;
  };
  router.add({Method::get, Method::post}, "/auth/check", answer);
  auto options = test::test_options();
  // One I/O thread serves both the acceptor and the connection.
  options.threads = 1;
  std::atomic<std::uint64_t> observed{0};
  RunningServer server(options, router,
                       [&observed](std::uint32_t, int, std::chrono::nanoseconds) { ++observed; });

  RawSocket socket(server.port());
  const std::string get =
      "GET /auth/check HTTP/1.1\r\nHost: test\r\nCookie: theme=dark; sid=abc\r\n"
      "X-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Uri: /course/7\r\n\r\n";
  const std::string post =
      "POST /auth/check HTTP/1.1\r\nHost: test\r\nCookie: sid=abc\r\nContent-Length: 100\r\n\r\n" +
      std::string(100, 'p');
  const auto exchange = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {
      // Alternating with a body and a pipelined pair: every reuse of the buffers is exercised.
      const std::string& request = i % 3 == 0 ? post : get;
      const bool pipelined = i % 5 == 0;
      if (!socket.send(pipelined ? request + request : request)) return false;
      for (int j = 0; j < (pipelined ? 2 : 1); ++j) {
        const auto response = socket.read_response();
        if (!response || response->status != 200) return false;
      }
    }
    return true;
  };
  ASSERT_TRUE(exchange(50));
  const std::uint64_t warm = seen_by_handler;
  // The count works: warming up a connection (its buffers, its address) allocates.
  EXPECT_GT(warm, 0U);
  const std::uint64_t warm_requests = requests;
  ASSERT_TRUE(exchange(1000));
  EXPECT_EQ(requests - warm_requests, 1200U);
  EXPECT_EQ(seen_by_handler - warm, 0U);
  // The observer runs once the write has completed, which may be after the client read it.
  EXPECT_TRUE(test::eventually([&] { return observed.load() == requests.load(); }));
}

}  // namespace
}  // namespace lmsgw::http
