#include "http/server.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "http/client.h"
#include "test_helpers.h"
#include "tests/support/test_pki.h"

namespace lmsgw::http {
namespace {

using test::RawSocket;
using test::RunningServer;
using namespace std::chrono_literals;

// Holds worker handlers until the test opens it.
class Gate {
 public:
  void wait() {
    std::unique_lock lock(mutex_);
    ++entered_;
    entered_signal_.notify_all();
    open_signal_.wait(lock, [this] { return open_; });
  }
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return entered_signal_.wait_for(lock, 5s, [&] { return entered_ >= count; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    open_signal_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable entered_signal_;
  std::condition_variable open_signal_;
  int entered_ = 0;
  bool open_ = false;
};

struct Observed {
  std::uint32_t route_index;
  int status;
  std::chrono::nanoseconds elapsed;
};

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

class ServerTest : public ::testing::Test {
 protected:
  ServerTest() {
    router_.add({Method::get}, "/hello",
                [](const Request&) { return Response::text(200, "hello"); });
    router_.add({Method::get}, "/items/{id}/parts/{part}", [](const Request& request) {
      return Response::text(200, std::string(request.route_param("id")) + ":" +
                                     std::string(request.route_param("part")));
    });
    router_.add({Method::post}, "/echo", [](const Request& request) {
      std::string out;
      for (const std::string_view part :
           {to_string(request.method), request.path, request.query, request.header("x-test"),
            request.cookie("sid"), request.body, request.remote_address}) {
        out.append(part).push_back('|');
      }
      out += request.tls ? "tls" : "plain";
      return Response::text(200, out).with_header("X-Echo", "yes");
    });
    router_.add({Method::get}, "/throw",
                [](const Request&) -> Response { throw std::runtime_error("handler failure"); });
    router_.add(
        {Method::get}, "/block",
        [this](const Request& request) {
          gate_.wait();
          return Response::text(200, "unblocked:" + std::string(request.header("x-id")));
        },
        Dispatch::worker);
    router_.add(
        {Method::get}, "/worker-throw",
        [](const Request&) -> Response { throw std::runtime_error("worker failure"); },
        Dispatch::worker);
    router_.add({Method::get}, "/fast", [](const Request&) { return Response::text(200, "fast"); });
    router_.add({Method::get}, "/bad-header", [](const Request&) {
      return Response::text(200, "x").with_header("X-Split", "a\r\nSet-Cookie: evil=1");
    });
    router_.add({Method::get}, "/no-content",
                [](const Request&) { return Response{204, "", {}, "ignored", nullptr, {}}; });
    router_.add(
        {Method::get}, "/worker-fast",
        [](const Request& request) {
          return Response::text(200, "worker:" + std::string(request.header("x-id")));
        },
        Dispatch::worker);
  }

  ~ServerTest() override {
    gate_.open();
    if (server_) server_->stop_and_join();
  }

  void start(ServerOptions options = test::test_options()) {
    server_ = std::make_unique<RunningServer>(
        std::move(options), router_,
        [this](std::uint32_t route, int status, std::chrono::nanoseconds elapsed) {
          std::lock_guard lock(observed_mutex_);
          observed_.push_back({route, status, elapsed});
        });
  }

  std::uint16_t port() const { return server_->port(); }

  std::uint32_t route_index(std::string_view pattern) const {
    const auto& names = router_.route_names();
    for (std::uint32_t i = 0; i < names.size(); ++i) {
      if (names[i] == pattern) return i;
    }
    return Router::kUnmatched;
  }

  std::vector<Observed> observed() {
    std::lock_guard lock(observed_mutex_);
    return observed_;
  }

  // One request on a fresh connection.
  std::optional<test::RawResponse> exchange(std::string_view request) {
    RawSocket socket(port());
    if (!socket.connected() || !socket.send(request)) return std::nullopt;
    return socket.read_response();
  }

  Gate gate_;
  Router router_;
  std::mutex observed_mutex_;
  std::vector<Observed> observed_;
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ServerTest, RoutesWithParameters) {
  start();
  const auto response = exchange(get("/items/42/parts/wheel"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "42:wheel");
  EXPECT_EQ(response->header("content-type"), "text/plain; charset=utf-8");
  EXPECT_EQ(response->header("server"), "");
}

TEST_F(ServerTest, UnknownPathIs404) {
  start();
  const auto response = exchange(get("/nowhere"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
}

TEST_F(ServerTest, WrongMethodIs405WithAllow) {
  start();
  const auto response = exchange("DELETE /hello HTTP/1.1\r\nHost: test\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->header("allow"), "GET, HEAD");
}

TEST_F(ServerTest, HandlerSeesRequestFieldsAndHeadersPassVerbatim) {
  start();
  const std::string body = "payload";
  const auto response = exchange(
      "POST /echo?a=1&b=2 HTTP/1.1\r\nHost: test\r\nX-Test: hi\r\nCookie: theme=x; sid=abc\r\n"
      "Content-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST|/echo|a=1&b=2|hi|abc|payload|127.0.0.1|plain");
  EXPECT_EQ(response->header("x-echo"), "yes");
  EXPECT_EQ(response->header("content-length"), std::to_string(response->body.size()));
}

TEST_F(ServerTest, ChunkedRequestBodyIsAssembled) {
  start();
  const auto response = exchange(
      "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("|abcde|"), std::string::npos) << response->body;
}

TEST_F(ServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  RawSocket socket(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(socket.send(get("/items/" + std::to_string(i) + "/parts/p")));
    const auto response = socket.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, std::to_string(i) + ":p");
    EXPECT_NE(response->header("connection"), "close");
  }
  EXPECT_EQ(server_->server().open_connections(), 1U);
}

TEST_F(ServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/items/1/parts/a") + get("/items/2/parts/b")));
  const auto first = socket.read_response();
  const auto second = socket.read_response();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(first->body, "1:a");
  EXPECT_EQ(second->body, "2:b");
}

TEST_F(ServerTest, PipelinedMixOfInlineWorkerBodyAndHeadRequestsIsAnsweredInOrder) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/items/1/parts/a") +
                          "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\n\r\nxyz" +
                          get("/worker-fast", "X-Id: 3\r\n") +
                          "HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n" +
                          "POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n"
                          "2\r\nuv\r\n0\r\n\r\n" +
                          get("/items/5/parts/e")));
  const auto first = socket.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->body, "1:a");
  const auto echoed = socket.read_response();
  ASSERT_TRUE(echoed);
  EXPECT_NE(echoed->body.find("|xyz|"), std::string::npos) << echoed->body;
  const auto worker = socket.read_response();
  ASSERT_TRUE(worker);
  EXPECT_EQ(worker->body, "worker:3");
  const auto head = socket.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "5");
  const auto chunked = socket.read_response();
  ASSERT_TRUE(chunked);
  EXPECT_NE(chunked->body.find("|uv|"), std::string::npos) << chunked->body;
  const auto last = socket.read_response();
  ASSERT_TRUE(last);
  EXPECT_EQ(last->body, "5:e");
  EXPECT_EQ(server_->server().open_connections(), 1U);
}

TEST_F(ServerTest, PreparedHeadersAreWrittenVerbatimAndHeldUntilTheResponseIsWritten) {
  // Shared state a handler answers from, as a session cache entry would be.
  class Shared {
   public:
    Shared(PreparedHeaders headers, std::function<void()> on_release)
        : headers_(std::move(headers)), on_release_(std::move(on_release)) {}
    ~Shared() { on_release_(); }
    Shared(const Shared&) = delete;
    Shared& operator=(const Shared&) = delete;
    const PreparedHeaders& headers() const { return headers_; }

   private:
    PreparedHeaders headers_;
    std::function<void()> on_release_;
  };
  std::atomic<int> released{0};
  // How many responses the observer had seen (it runs once a write has completed) when the
  // shared state was let go.
  std::atomic<std::size_t> observed_at_release{0};
  const auto make_shared_state = [&] {
    auto headers =
        PreparedHeaders::make({{"X-Account-Id", "acct-1"}, {"Cache-Control", "no-store"}});
    return std::make_shared<Shared>(std::move(*headers), [&] {
      observed_at_release = observed().size();
      ++released;
    });
  };
  router_.add({Method::get}, "/prepared", [&](const Request&) {
    auto shared = make_shared_state();
    Response response;
    response.prepared = &shared->headers();
    response.keep_alive = std::move(shared);
    return response;
  });
  router_.add({Method::get}, "/prepared-full", [&](const Request&) {
    auto shared = make_shared_state();
    Response response = Response::text(200, "ok").with_header("X-Handler", "h");
    response.content_type = "text/plain";
    response.prepared = &shared->headers();
    response.keep_alive = std::move(shared);
    return response;
  });
  start();
  RawSocket socket(port());

  ASSERT_TRUE(socket.send(get("/prepared")));
  const std::string bare =
      "HTTP/1.1 200 OK\r\nX-Account-Id: acct-1\r\nCache-Control: no-store\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_EQ(socket.read_exactly(bare.size()), bare);
  ASSERT_TRUE(test::eventually([&] { return released == 1; }));
  EXPECT_EQ(observed_at_release, 1U);

  ASSERT_TRUE(socket.send(get("/prepared-full")));
  const std::string full =
      "HTTP/1.1 200 OK\r\nX-Handler: h\r\nX-Account-Id: acct-1\r\nCache-Control: no-store\r\n"
      "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\nok";
  EXPECT_EQ(socket.read_exactly(full.size()), full);
  ASSERT_TRUE(test::eventually([&] { return released == 2; }));
  EXPECT_EQ(observed_at_release, 2U);
}

TEST_F(ServerTest, Http10KeepAliveIsHonoured) {
  start();
  RawSocket socket(port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(socket.send("GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    const auto response = socket.read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->body, "hello");
    EXPECT_EQ(response->header("connection"), "keep-alive");
  }
  EXPECT_EQ(server_->server().open_connections(), 1U);
}

TEST_F(ServerTest, ConnectionCloseIsHonoured) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/hello", "Connection: close\r\n")));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, Http10ClosesByDefault) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send("GET /hello HTTP/1.0\r\n\r\n"));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "hello");
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, HeadHasContentLengthButNoBody) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send("HEAD /hello HTTP/1.1\r\nHost: test\r\n\r\n"));
  const auto head = socket.read_response(true);
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-length"), "5");
  // Were a body sent after the HEAD response, it would be read as the next status line.
  ASSERT_TRUE(socket.send(get("/hello")));
  const auto next = socket.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, NoContentHasNoBody) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/no-content")));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 204);
  ASSERT_TRUE(socket.send(get("/hello")));
  const auto next = socket.read_response();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "hello");
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(
      socket.send("POST /echo HTTP/1.1\r\nHost: test\r\nExpect: 100-continue\r\n"
                  "Content-Length: 4\r\n\r\n"));
  const auto interim = socket.read_response();
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(socket.send("data"));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("|data|"), std::string::npos);
}

TEST_F(ServerTest, OversizedHeaderIs431AndCloses) {
  start();
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/hello", "X-Big: " + std::string(4000, 'a') + "\r\n")));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, TooManyHeaderFieldsIs431) {
  start();
  std::string fields;
  for (int i = 0; i < 65; ++i) fields += "X-" + std::to_string(i) + ": v\r\n";
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/hello", fields)));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 431);
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, LargeHeaderWithinTheLimitIsServed) {
  auto options = test::test_options();
  options.limits.max_header_bytes = 16 * 1024;
  start(options);
  const std::string value(10'000, 'v');
  const auto response = exchange("POST /echo HTTP/1.1\r\nHost: test\r\nX-Test: " + value +
                                 "\r\nContent-Length: 2\r\n\r\nhi");
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_NE(response->body.find("|" + value + "|"), std::string::npos);
  EXPECT_NE(response->body.find("|hi|"), std::string::npos);
}

// Beast takes the request line (and complete fields) before the rest of the header is in; the
// views it handed over must survive the input moving as the rest arrives.
TEST_F(ServerTest, RequestSplitAcrossReadsKeepsItsViews) {
  auto options = test::test_options();
  options.limits.max_header_bytes = 16 * 1024;
  start(options);
  RawSocket socket(port());
  const std::string first(3000, 'f');
  const std::string second(6000, 's');
  ASSERT_TRUE(
      socket.send("POST /echo?q=1 HTTP/1.1\r\nHost: test\r\nCookie: sid=" + first + "\r\nX-Te"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(socket.send("st: " + second + "\r\nContent-Length: 4\r\n\r\nbo"));
  std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(socket.send("dy"));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "POST|/echo|q=1|" + second + "|" + first + "|body|127.0.0.1|plain");
}

// A header that nearly fills the first read leaves no room for the body: the input grows while
// the handler's views into the header must still read right.
TEST_F(ServerTest, HeaderViewsSurviveTheInputGrowingForTheBody) {
  auto options = test::test_options();
  options.limits.max_header_bytes = 8 * 1024;
  start(options);
  RawSocket socket(port());
  for (const std::size_t header_size : {3900U, 4000U, 4050U}) {
    const std::string value(header_size, 'h');
    const std::string body(3000, 'b');
    ASSERT_TRUE(socket.send("POST /echo HTTP/1.1\r\nHost: test\r\nX-Test: " + value +
                            "\r\nCookie: sid=s1\r\nContent-Length: " + std::to_string(body.size()) +
                            "\r\n\r\n" + body));
    const auto response = socket.read_response();
    ASSERT_TRUE(response) << header_size;
    EXPECT_EQ(response->status, 200);
    EXPECT_NE(response->body.find("|" + value + "|s1|" + body + "|"), std::string::npos)
        << header_size;
  }
}

TEST_F(ServerTest, OversizedBodyIs413AndCloses) {
  start();
  RawSocket socket(port());
  const std::string body(10'000, 'b');
  ASSERT_TRUE(socket.send("POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\n\r\n" + body));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, OversizedChunkedBodyIs413) {
  start();
  RawSocket socket(port());
  std::string chunks;
  for (int i = 0; i < 5; ++i) chunks += "400\r\n" + std::string(1024, 'c') + "\r\n";
  ASSERT_TRUE(
      socket.send("POST /echo HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked"
                  "\r\n\r\n" +
                  chunks + "0\r\n\r\n"));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 413);
}

TEST_F(ServerTest, SlowRequestIs408AndCloses) {
  auto options = test::test_options();
  options.limits.request_timeout = 200ms;
  start(options);
  RawSocket socket(port());
  ASSERT_TRUE(socket.send("GET /hello HTTP/1.1\r\nHost: test\r\n"));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, SlowWorkerHandlerIsNotCutByTheRequestTimeout) {
  auto options = test::test_options();
  options.limits.request_timeout = 200ms;
  start(options);
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/block", "X-Id: 9\r\n")));
  ASSERT_TRUE(gate_.wait_entered(1));
  std::this_thread::sleep_for(600ms);
  gate_.open();
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "unblocked:9");
}

TEST_F(ServerTest, SilentConnectionIsClosedWithoutResponse) {
  auto options = test::test_options();
  options.limits.request_timeout = 200ms;
  start(options);
  RawSocket socket(port());
  EXPECT_FALSE(socket.read_response());
  EXPECT_TRUE(socket.closed_by_peer());
  EXPECT_TRUE(test::eventually([&] { return server_->server().open_connections() == 0; }));
}

TEST_F(ServerTest, IdleKeepAliveConnectionIsClosed) {
  auto options = test::test_options();
  options.limits.idle_timeout = 200ms;
  start(options);
  RawSocket socket(port());
  ASSERT_TRUE(socket.send(get("/hello")));
  const auto response = socket.read_response();
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(socket.closed_by_peer());
}

TEST_F(ServerTest, ConnectionsBeyondTheLimitGet503AndAreClosedAtOnce) {
  auto options = test::test_options();
  options.limits.max_connections = 2;
  // Nothing but the limit may close a socket during the test.
  options.limits.request_timeout = 30s;
  options.limits.idle_timeout = 30s;
  start(options);
  RawSocket first(port());
  RawSocket second(port());
  for (RawSocket* socket : {&first, &second}) {
    ASSERT_TRUE(socket->send(get("/hello")));
    ASSERT_TRUE(socket->read_response());
  }
  EXPECT_EQ(server_->server().open_connections(), 2U);

  const std::size_t descriptors = test::open_file_descriptors();
  RawSocket third(port());
  ASSERT_TRUE(third.send(get("/hello")));
  const auto refused = third.read_response();
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 503);
  EXPECT_EQ(refused->header("connection"), "close");
  EXPECT_EQ(refused->header("content-length"), "0");
  EXPECT_TRUE(third.closed_by_peer());
  // The client's end is the only new descriptor: the server closed its end as it refused, not
  // after a linger.
  EXPECT_EQ(test::open_file_descriptors(), descriptors + 1);

  ASSERT_TRUE(first.send(get("/hello")));
  const auto still_served = first.read_response();
  ASSERT_TRUE(still_served);
  EXPECT_EQ(still_served->status, 200);
  EXPECT_EQ(server_->server().open_connections(), 2U);
}

TEST_F(ServerTest, BlockingWorkerDoesNotStallInlineHandlers) {
  auto options = test::test_options();
  options.threads = 1;
  start(options);
  RawSocket blocked(port());
  ASSERT_TRUE(blocked.send(get("/block", "X-Id: 1\r\n")));
  ASSERT_TRUE(gate_.wait_entered(1));

  RawSocket fast(port());
  ASSERT_TRUE(fast.send(get("/fast")));
  const auto fast_response = fast.read_response();
  ASSERT_TRUE(fast_response);
  EXPECT_EQ(fast_response->body, "fast");

  gate_.open();
  const auto blocked_response = blocked.read_response();
  ASSERT_TRUE(blocked_response);
  EXPECT_EQ(blocked_response->status, 200);
  EXPECT_EQ(blocked_response->body, "unblocked:1");
}

TEST_F(ServerTest, FullWorkerQueueIs503AndQueuedRequestsStillComplete) {
  auto options = test::test_options();
  options.worker_threads = 2;
  options.limits.max_queued_worker_requests = 3;
  start(options);
  std::vector<std::unique_ptr<RawSocket>> accepted;
  const auto send_block = [&](int id) {
    accepted.push_back(std::make_unique<RawSocket>(port()));
    return accepted.back()->send(get("/block", "X-Id: " + std::to_string(id) + "\r\n"));
  };
  // Workers first: a request counts as queued until a worker picks it up.
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(send_block(i));
  ASSERT_TRUE(gate_.wait_entered(2));
  for (int i = 2; i < 5; ++i) ASSERT_TRUE(send_block(i));
  ASSERT_TRUE(test::eventually([&] { return server_->server().queued_worker_requests() == 3; }));

  RawSocket refused(port());
  ASSERT_TRUE(refused.send(get("/block", "X-Id: refused\r\n")));
  const auto refusal = refused.read_response();
  ASSERT_TRUE(refusal);
  EXPECT_EQ(refusal->status, 503);
  EXPECT_EQ(refusal->header("connection"), "close");
  EXPECT_TRUE(refused.closed_by_peer());
  EXPECT_EQ(server_->server().queued_worker_requests(), 3U);

  // Inline handlers do not queue behind the workers.
  const auto fast = exchange(get("/fast"));
  ASSERT_TRUE(fast);
  EXPECT_EQ(fast->body, "fast");

  gate_.open();
  for (std::size_t i = 0; i < accepted.size(); ++i) {
    const auto response = accepted[i]->read_response();
    ASSERT_TRUE(response) << i;
    EXPECT_EQ(response->status, 200) << i;
    EXPECT_EQ(response->body, "unblocked:" + std::to_string(i));
  }
  EXPECT_EQ(server_->server().queued_worker_requests(), 0U);
  ASSERT_TRUE(test::eventually([&] { return observed().size() == 7; }));
  const auto seen = observed();
  EXPECT_EQ(std::count_if(seen.begin(), seen.end(),
                          [&](const Observed& entry) {
                            return entry.route_index == route_index("/block") &&
                                   entry.status == 503;
                          }),
            1);
}

TEST_F(ServerTest, HandlerExceptionIs500) {
  start();
  for (const char* target : {"/throw", "/worker-throw"}) {
    RawSocket socket(port());
    ASSERT_TRUE(socket.send(get(target)));
    const auto response = socket.read_response();
    ASSERT_TRUE(response) << target;
    EXPECT_EQ(response->status, 500) << target;
    EXPECT_EQ(response->body.find("failure"), std::string::npos);
    // The connection survives a failing handler.
    ASSERT_TRUE(socket.send(get("/hello")));
    const auto next = socket.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->status, 200);
  }
}

TEST_F(ServerTest, InvalidResponseHeaderIs500) {
  start();
  const auto response = exchange(get("/bad-header"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->header("set-cookie"), "");
}

TEST_F(ServerTest, ObserverSeesRouteStatusAndElapsed) {
  start();
  ASSERT_TRUE(exchange(get("/items/1/parts/2")));
  ASSERT_TRUE(exchange(get("/nowhere")));
  ASSERT_TRUE(exchange(get("/throw")));
  ASSERT_TRUE(test::eventually([&] { return observed().size() == 3; }));
  const auto seen = observed();
  std::vector<std::tuple<std::uint32_t, int>> pairs;
  for (const auto& entry : seen) {
    pairs.emplace_back(entry.route_index, entry.status);
    EXPECT_GT(entry.elapsed.count(), 0);
  }
  std::sort(pairs.begin(), pairs.end());
  std::vector<std::tuple<std::uint32_t, int>> expected{
      {route_index("/items/{id}/parts/{part}"), 200},
      {Router::kUnmatched, 404},
      {route_index("/throw"), 500}};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(pairs, expected);
}

TEST_F(ServerTest, MalformedRequestsAre400) {
  start();
  for (const std::string& request :
       {std::string("GET / HTTP/1.1\r\nHost test\r\n\r\n"), std::string("G@T / HTTP/1.1\r\n\r\n"),
        std::string("GET / XTTP/1.1\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
        std::string("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
        // obs-fold: RFC 9112 section 5.2 lets a server reject it.
        std::string("GET /hello HTTP/1.1\r\nHost: test\r\nX-Fold: a\r\n b\r\n\r\n"),
        std::string("\x01\x02\x03\r\n\r\n", 7)}) {
    RawSocket socket(port());
    ASSERT_TRUE(socket.send(request));
    const auto response = socket.read_response();
    ASSERT_TRUE(response) << request;
    EXPECT_EQ(response->status, 400) << request;
    EXPECT_TRUE(socket.closed_by_peer()) << request;
  }
  // The server is still healthy afterwards.
  const auto response = exchange(get("/hello"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 200);
}

TEST_F(ServerTest, GracefulStopFinishesInFlightWorkerRequest) {
  start();
  {
    RawSocket in_flight(port());
    ASSERT_TRUE(in_flight.send(get("/block", "X-Id: 7\r\n")));
    ASSERT_TRUE(gate_.wait_entered(1));
    RawSocket idle(port());
    ASSERT_TRUE(idle.send(get("/hello")));
    ASSERT_TRUE(idle.read_response());

    server_->server().stop();
    EXPECT_TRUE(idle.closed_by_peer());
    EXPECT_TRUE(test::eventually([&] { return !RawSocket(port()).connected(); }));

    gate_.open();
    const auto response = in_flight.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "unblocked:7");
    EXPECT_EQ(response->header("connection"), "close");
    EXPECT_TRUE(in_flight.closed_by_peer());
  }
  server_->stop_and_join();
  EXPECT_EQ(server_->server().open_connections(), 0U);
}

TEST_F(ServerTest, DrainTimeoutCutsStuckConnections) {
  auto options = test::test_options();
  options.drain_timeout = 100ms;
  options.limits.request_timeout = 10s;
  start(options);
  RawSocket partial(port());
  ASSERT_TRUE(partial.send("GET /hello HTTP/1.1\r\n"));
  ASSERT_TRUE(test::eventually([&] { return server_->server().open_connections() == 1; }));
  server_->stop_and_join();
  EXPECT_TRUE(partial.closed_by_peer());
}

TEST(ServerTlsLimitTest, ConnectionsBeyondTheLimitAreClosedWithoutHandshake) {
  test::TempDir dir;
  const auto pki = lmsgw::testing::make_test_pki(dir.path());
  Router router;
  router.add({Method::get}, "/hello", [](const Request&) { return Response::text(200, "hi"); });
  auto options = test::test_options();
  options.tls = TlsFiles{pki.server_certificate_file, pki.server_key_file};
  options.limits.max_connections = 1;
  // A counted connection may wait this long for a handshake; the refused one must not.
  options.limits.request_timeout = 30s;
  RunningServer server(options, router);

  RawSocket held(server.port());
  ASSERT_TRUE(test::eventually([&] { return server.server().open_connections() == 1; }));
  const std::size_t descriptors = test::open_file_descriptors();
  RawSocket refused(server.port(), 3s);
  EXPECT_TRUE(refused.closed_by_peer());
  EXPECT_EQ(refused.read_exactly(1), "");
  EXPECT_EQ(test::open_file_descriptors(), descriptors + 1);
  EXPECT_EQ(server.server().open_connections(), 1U);

  // A real client offering a handshake gets none, rather than a 503 over TLS.
  ClientOptions client_options;
  client_options.use_system_trust_store = false;
  client_options.extra_ca_file = pki.ca_certificate_file;
  auto client = Client::create(client_options);
  ASSERT_TRUE(client) << client.error().detail;
  sdk::HttpRequest request;
  request.url = "https://127.0.0.1:" + std::to_string(server.port()) + "/hello";
  request.timeout = 5s;
  const auto response = (*client)->send(request);
  ASSERT_FALSE(response) << response->status;
  EXPECT_EQ(response.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_EQ(server.server().open_connections(), 1U);
}

TEST(ServerLifecycleTest, StopBeforeRunReturnsPromptly) {
  Router router;
  HttpServer server(test::test_options(), router);
  ASSERT_TRUE(server.bind());
  EXPECT_NE(server.port(), 0);
  server.stop();
  server.run(false);
  EXPECT_FALSE(RawSocket(server.port()).connected());
}

TEST(ServerLifecycleTest, SigtermStopsRunWithSignals) {
  Router router;
  router.add({Method::get}, "/hello", [](const Request&) { return Response::text(200, "hi"); });
  HttpServer server(test::test_options(), router);
  ASSERT_TRUE(server.bind());
  std::thread runner([&] { server.run(true); });
  // A served request proves run() has installed its signal handling.
  {
    RawSocket socket(server.port());
    ASSERT_TRUE(socket.send(get("/hello")));
    const auto response = socket.read_response();
    ASSERT_TRUE(response);
  }
  ASSERT_EQ(::kill(::getpid(), SIGTERM), 0);
  runner.join();
  EXPECT_FALSE(RawSocket(server.port()).connected());
}

TEST(ServerLifecycleTest, BindFailureNamesTheAddress) {
  Router router;
  HttpServer first(test::test_options(), router);
  ASSERT_TRUE(first.bind());
  auto options = test::test_options();
  options.listen_port = first.port();
  HttpServer second(options, router);
  const auto bound = second.bind();
  ASSERT_FALSE(bound);
  EXPECT_EQ(bound.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_NE(bound.error().detail.find("127.0.0.1:" + std::to_string(first.port())),
            std::string::npos)
      << bound.error().detail;
}

}  // namespace
}  // namespace lmsgw::http
