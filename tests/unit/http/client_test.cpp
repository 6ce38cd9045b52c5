#include "http/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "http/server.h"
#include "test_helpers.h"
#include "tests/support/test_pki.h"

namespace lmsgw::http {
namespace {

using namespace std::chrono_literals;
using test::RunningServer;

// A listening socket on 127.0.0.1 that the test drives by hand.
class RawListener {
 public:
  RawListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error("cannot open a test listener");
    }
    port_ = ntohs(address.sin_port);
  }
  ~RawListener() { ::close(fd_); }
  RawListener(const RawListener&) = delete;
  RawListener& operator=(const RawListener&) = delete;

  std::uint16_t port() const noexcept { return port_; }

  // Accepts one connection, reads its request head and answers with `response`.
  void answer_once(std::string response) {
    const int client = ::accept(fd_, nullptr, nullptr);
    if (client < 0) return;
    std::string received;
    char chunk[1024];
    while (received.find("\r\n\r\n") == std::string::npos) {
      const ssize_t n = ::recv(client, chunk, sizeof chunk, 0);
      if (n <= 0) break;
      received.append(chunk, static_cast<std::size_t>(n));
    }
    ::send(client, response.data(), response.size(), MSG_NOSIGNAL);
    ::close(client);
  }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

Router make_router() {
  Router router;
  router.add({Method::get}, "/hello", [](const Request&) { return Response::text(200, "hello"); });
  router.add({Method::get}, "/tls", [](const Request& request) {
    return Response::text(200, request.tls ? "tls" : "plain");
  });
  router.add({Method::post}, "/echo", [](const Request& request) {
    return Response::json(201, std::string(request.header("host")) + "|" +
                                   std::string(request.header("x-custom")) + "|" +
                                   std::string(request.header("content-length")) + "|" +
                                   std::string(request.body));
  });
  router.add({Method::get}, "/big",
             [](const Request&) { return Response::text(200, std::string(10'000, 'x')); });
  return router;
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = std::make_unique<test::TempDir>();
    pki_ = testing::make_test_pki(dir_->path() / "main");
    other_pki_ = testing::make_test_pki(dir_->path() / "other");
    localhost_only_pki_ =
        testing::make_test_pki(dir_->path() / "localhost-only", {"localhost"}, {});
    other_name_pki_ = testing::make_test_pki(dir_->path() / "other-name", {"other.example"}, {});
  }
  static void TearDownTestSuite() { dir_.reset(); }

  void start_plain() { server_ = std::make_unique<RunningServer>(test::test_options(), router_); }

  void start_tls(const testing::TestPki& pki) {
    auto options = test::test_options();
    options.tls = TlsFiles{pki.server_certificate_file, pki.server_key_file};
    server_ = std::make_unique<RunningServer>(options, router_);
  }

  std::string base(std::string_view scheme, std::string_view host = "127.0.0.1") const {
    return std::string(scheme) + "://" + std::string(host) + ":" + std::to_string(server_->port());
  }

  static std::unique_ptr<Client> make_client(ClientOptions options) {
    auto created = Client::create(std::move(options));
    if (!created) {
      ADD_FAILURE() << created.error().detail;
      return nullptr;
    }
    return std::move(created.value());
  }

  static std::unique_ptr<Client> trusting(const testing::TestPki& pki) {
    ClientOptions options;
    options.extra_ca_file = pki.ca_certificate_file;
    options.use_system_trust_store = false;
    return make_client(options);
  }

  static std::unique_ptr<Client> plain_loopback_client() {
    ClientOptions options;
    options.use_system_trust_store = false;
    options.allow_plain_http_to_loopback = true;
    return make_client(options);
  }

  static sdk::Result<sdk::HttpResponse> get(Client& client, std::string url,
                                            std::chrono::milliseconds timeout = 0ms) {
    sdk::HttpRequest request;
    request.url = std::move(url);
    request.timeout = timeout;
    return client.send(request);
  }

  static inline std::unique_ptr<test::TempDir> dir_;
  static inline testing::TestPki pki_;
  static inline testing::TestPki other_pki_;
  static inline testing::TestPki localhost_only_pki_;
  static inline testing::TestPki other_name_pki_;

  Router router_ = make_router();
  std::unique_ptr<RunningServer> server_;
};

TEST_F(ClientTest, TlsServerAndClientWithTestCa) {
  start_tls(pki_);
  auto client = trusting(pki_);
  ASSERT_TRUE(client);
  const auto response = get(*client, base("https") + "/tls");
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "tls");
  EXPECT_EQ(sdk::find_header(response->headers, "content-type"), "text/plain; charset=utf-8");
}

TEST_F(ClientTest, TlsByHostNameSendsBodyHeadersAndHost) {
  start_tls(pki_);
  auto client = trusting(pki_);
  ASSERT_TRUE(client);
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = base("https", "localhost") + "/echo";
  request.headers = {{"X-Custom", "v1"}, {"Host", "evil.example"}, {"Content-Length", "999"}};
  request.body = "form=data";
  const auto response = client->send(request);
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "localhost:" + std::to_string(server_->port()) + "|v1|9|form=data");
}

TEST_F(ClientTest, CurlTrustsOurTlsServer) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  start_tls(pki_);
  const std::string command = "curl -sS --max-time 5 --cacert '" + pki_.ca_certificate_file + "' " +
                              base("https") + "/tls 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char chunk[256];
  while (const std::size_t n = std::fread(chunk, 1, sizeof chunk, pipe)) output.append(chunk, n);
  const int status = ::pclose(pipe);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "tls");
}

TEST_F(ClientTest, CurlWithoutOurCaIsRefused) {
  if (std::system("curl --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "curl not installed";
  start_tls(pki_);
  const std::string command = "curl -sS --max-time 5 --cacert '" + other_pki_.ca_certificate_file +
                              "' " + base("https") + "/tls > /dev/null 2>&1";
  EXPECT_NE(std::system(command.c_str()), 0);
}

TEST_F(ClientTest, RefusesUntrustedCa) {
  start_tls(pki_);
  auto client = trusting(other_pki_);
  ASSERT_TRUE(client);
  const auto response = get(*client, base("https") + "/hello");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(response.error().detail.find("TLS certificate verification failed for 127.0.0.1:" +
                                         std::to_string(server_->port())),
            std::string::npos)
      << response.error().detail;
}

TEST_F(ClientTest, TestCaIsNotInTheSystemStore) {
  start_tls(pki_);
  auto client = make_client(ClientOptions{});
  ASSERT_TRUE(client);
  const auto response = get(*client, base("https") + "/hello");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST_F(ClientTest, RefusesWrongHostName) {
  start_tls(localhost_only_pki_);
  auto client = trusting(localhost_only_pki_);
  ASSERT_TRUE(client);
  const auto by_ip = get(*client, base("https") + "/hello");
  ASSERT_FALSE(by_ip);
  EXPECT_EQ(by_ip.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(by_ip.error().detail.find("verification failed"), std::string::npos)
      << by_ip.error().detail;
  // The same certificate is fine for the name it carries.
  const auto by_name = get(*client, base("https", "localhost") + "/hello");
  ASSERT_TRUE(by_name) << by_name.error().detail;
  EXPECT_EQ(by_name->body, "hello");
}

TEST_F(ClientTest, ChecksTheHostNameAgainstTheCertificate) {
  // A trusted certificate for another name is refused: the chain alone proves nothing.
  start_tls(other_name_pki_);
  auto client = trusting(other_name_pki_);
  ASSERT_TRUE(client);
  const auto refused = get(*client, base("https", "localhost") + "/hello");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(refused.error().detail.find("verification failed"), std::string::npos)
      << refused.error().detail;
  EXPECT_NE(refused.error().detail.find("hostname mismatch"), std::string::npos)
      << refused.error().detail;

  server_.reset();
  start_tls(localhost_only_pki_);
  client = trusting(localhost_only_pki_);
  ASSERT_TRUE(client);
  const auto accepted = get(*client, base("https", "localhost") + "/hello");
  ASSERT_TRUE(accepted) << accepted.error().detail;
  EXPECT_EQ(accepted->body, "hello");
}

// Holds host-name lookups (before getaddrinfo) until opened.
class HeldLookups {
 public:
  void hold(const std::string&) {
    std::unique_lock lock(mutex_);
    ++entered_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
  }
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 5s, [&] { return entered_ >= count; });
  }
  int entered() {
    std::lock_guard lock(mutex_);
    return entered_;
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int entered_ = 0;
  bool open_ = false;
};

// The lookup threads own the HeldLookups through the client's resolver, so it cannot open
// itself on destruction; this opens it when the test ends, however it ends.
struct OpenAtExit {
  std::shared_ptr<HeldLookups> held;
  ~OpenAtExit() { held->open(); }
};

TEST_F(ClientTest, DnsLookupsAreBoundedAndIpAddressesNeedNone) {
  start_plain();
  const auto held = std::make_shared<HeldLookups>();
  const OpenAtExit open_at_exit{held};
  ClientOptions options;
  options.use_system_trust_store = false;
  options.allow_plain_http_to_loopback = true;
  options.max_dns_lookups = 2;
  options.before_dns_lookup_for_test = [held](const std::string& host) { held->hold(host); };
  auto client = make_client(options);
  ASSERT_TRUE(client);
  const std::string by_name = base("http", "localhost") + "/hello";

  // Each caller gives up at its deadline, but its lookup thread keeps the slot until the lookup
  // returns.
  for (int i = 0; i < 2; ++i) {
    const auto abandoned = get(*client, by_name, 100ms);
    ASSERT_FALSE(abandoned);
    EXPECT_NE(abandoned.error().detail.find("resolving localhost"), std::string::npos)
        << abandoned.error().detail;
  }
  ASSERT_TRUE(held->wait_entered(2));

  const auto queue_full = get(*client, by_name, 100ms);
  ASSERT_FALSE(queue_full);
  EXPECT_EQ(queue_full.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(queue_full.error().detail.find("DNS resolution queue full"), std::string::npos)
      << queue_full.error().detail;
  EXPECT_EQ(held->entered(), 2);

  const auto by_ip = get(*client, base("http") + "/hello", 5s);
  ASSERT_TRUE(by_ip) << by_ip.error().detail;
  EXPECT_EQ(by_ip->body, "hello");

  // Slots come back when the lookups return.
  held->open();
  const auto resolved = get(*client, by_name, 5s);
  ASSERT_TRUE(resolved) << resolved.error().detail;
  EXPECT_EQ(resolved->body, "hello");
}

TEST_F(ClientTest, CreateRefusesZeroDnsLookups) {
  ClientOptions options;
  options.use_system_trust_store = false;
  options.max_dns_lookups = 0;
  const auto created = Client::create(options);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, sdk::ErrorCode::config_invalid);
}

TEST_F(ClientTest, RefusesPlainHttpToNonLoopback) {
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  for (const char* url : {"http://example.com/", "http://10.1.2.3:8080/x", "http://[2001:db8::1]/",
                          "http://localhost.example.com/"}) {
    const auto response = get(*client, url);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, sdk::ErrorCode::invalid_request) << url;
  }
}

// Boost.URL reads these as host 127.0.0.1 with a path that does not start with '/'; sending
// them there would reach another host than the one named.
TEST_F(ClientTest, RefusesHostsThatOnlyStartLikeAnAddress) {
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  for (const char* url : {"http://127.0.0.1.evil.example/x", "https://127.0.0.1.evil.example"}) {
    const auto response = get(*client, url);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, sdk::ErrorCode::invalid_request) << url;
  }
}

TEST_F(ClientTest, RefusesPlainHttpToLoopbackUnlessAllowed) {
  start_plain();
  ClientOptions options;
  options.use_system_trust_store = false;
  auto strict = make_client(options);
  ASSERT_TRUE(strict);
  const auto refused = get(*strict, base("http") + "/hello");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::invalid_request);

  auto relaxed = plain_loopback_client();
  ASSERT_TRUE(relaxed);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    const auto response = get(*relaxed, base("http", host) + "/tls");
    ASSERT_TRUE(response) << host << ": " << response.error().detail;
    EXPECT_EQ(response->body, "plain");
  }
}

TEST_F(ClientTest, RejectsMalformedUrls) {
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  for (const char* url : {"not a url", "ftp://example.com/", "https://user:pw@example.com/",
                          "https:///path", "https://example.com:0/", "/relative"}) {
    const auto response = get(*client, url);
    ASSERT_FALSE(response) << url;
    EXPECT_EQ(response.error().code, sdk::ErrorCode::invalid_request) << url;
  }
}

TEST_F(ClientTest, RejectsInvalidMethodAndHeaders) {
  start_plain();
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  sdk::HttpRequest request;
  request.url = base("http") + "/hello";
  request.headers = {{"X-Split", "a\r\nInjected: 1"}};
  auto response = client->send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::invalid_request);
  request.headers = {};
  request.method = "GE T";
  response = client->send(request);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::invalid_request);
}

TEST_F(ClientTest, NonSuccessStatusIsAResponse) {
  start_plain();
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  const auto response = get(*client, base("http") + "/nowhere");
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 404);
}

TEST_F(ClientTest, HeadResponseHasNoBody) {
  start_plain();
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  sdk::HttpRequest request;
  request.method = "HEAD";
  request.url = base("http") + "/hello";
  const auto response = client->send(request);
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(sdk::find_header(response->headers, "content-length"), "5");
  EXPECT_EQ(response->body, "");
}

TEST_F(ClientTest, ResponseTooLargeIsLimitExceeded) {
  start_plain();
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  sdk::HttpRequest request;
  request.url = base("http") + "/big";
  request.max_response_bytes = 1000;
  const auto limited = client->send(request);
  ASSERT_FALSE(limited);
  EXPECT_EQ(limited.error().code, sdk::ErrorCode::limit_exceeded);

  ClientOptions options;
  options.use_system_trust_store = false;
  options.allow_plain_http_to_loopback = true;
  options.default_max_response_bytes = 2000;
  auto small_default = make_client(options);
  ASSERT_TRUE(small_default);
  const auto by_default = get(*small_default, base("http") + "/big");
  ASSERT_FALSE(by_default);
  EXPECT_EQ(by_default.error().code, sdk::ErrorCode::limit_exceeded);

  request.max_response_bytes = 10'000;
  const auto enough = client->send(request);
  ASSERT_TRUE(enough) << enough.error().detail;
  EXPECT_EQ(enough->body.size(), 10'000U);
}

TEST_F(ClientTest, ChunkedResponseIsAssembled) {
  RawListener listener;
  std::thread server([&] {
    listener.answer_once(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  });
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  const auto response =
      get(*client, "http://127.0.0.1:" + std::to_string(listener.port()) + "/", 5s);
  server.join();
  ASSERT_TRUE(response) << response.error().detail;
  EXPECT_EQ(response->body, "hello world");
}

TEST_F(ClientTest, TimesOutAgainstSilentServer) {
  // The kernel completes the TCP handshake from the backlog; nobody ever reads or answers.
  RawListener silent;
  auto client = trusting(pki_);
  ASSERT_TRUE(client);
  const auto tls = get(*client, "https://127.0.0.1:" + std::to_string(silent.port()) + "/", 200ms);
  ASSERT_FALSE(tls);
  EXPECT_EQ(tls.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(tls.error().detail.find("timed out"), std::string::npos) << tls.error().detail;

  auto plain = plain_loopback_client();
  ASSERT_TRUE(plain);
  const auto response =
      get(*plain, "http://127.0.0.1:" + std::to_string(silent.port()) + "/", 200ms);
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::upstream_unavailable);
  EXPECT_NE(response.error().detail.find("timed out"), std::string::npos);
}

TEST_F(ClientTest, ConnectionRefusedIsUnavailable) {
  std::uint16_t closed_port = 0;
  {
    RawListener listener;
    closed_port = listener.port();
  }
  auto client = plain_loopback_client();
  ASSERT_TRUE(client);
  const auto response = get(*client, "http://127.0.0.1:" + std::to_string(closed_port) + "/");
  ASSERT_FALSE(response);
  EXPECT_EQ(response.error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST_F(ClientTest, CreateFailsOnMissingOrInvalidCaFile) {
  ClientOptions missing;
  missing.extra_ca_file = (dir_->path() / "absent.pem").string();
  const auto absent = Client::create(missing);
  ASSERT_FALSE(absent);
  EXPECT_EQ(absent.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_NE(absent.error().detail.find("absent.pem"), std::string::npos);

  const auto garbage_file = dir_->path() / "garbage.pem";
  std::ofstream(garbage_file) << "not a certificate\n";
  ClientOptions garbage;
  garbage.extra_ca_file = garbage_file.string();
  const auto invalid = Client::create(garbage);
  ASSERT_FALSE(invalid);
  EXPECT_EQ(invalid.error().code, sdk::ErrorCode::config_invalid);
  EXPECT_NE(invalid.error().detail.find("garbage.pem"), std::string::npos);
}

TEST_F(ClientTest, TlsServerBindReportsBadFiles) {
  const auto garbage_file = dir_->path() / "garbage-cert.pem";
  std::ofstream(garbage_file) << "not a certificate\n";
  const std::vector<std::pair<TlsFiles, std::string>> cases{
      {{(dir_->path() / "absent.pem").string(), pki_.server_key_file}, "absent.pem"},
      {{pki_.server_certificate_file, (dir_->path() / "absent-key.pem").string()},
       "absent-key.pem"},
      {{garbage_file.string(), pki_.server_key_file}, "garbage-cert.pem"},
      {{pki_.server_certificate_file, other_pki_.server_key_file}, "other/server-key.pem"}};
  for (const auto& [files, expected] : cases) {
    auto options = test::test_options();
    options.tls = files;
    HttpServer server(options, router_);
    const auto bound = server.bind();
    ASSERT_FALSE(bound) << expected;
    EXPECT_EQ(bound.error().code, sdk::ErrorCode::config_invalid);
    EXPECT_NE(bound.error().detail.find(expected), std::string::npos) << bound.error().detail;
  }
}

TEST(TestPkiTest, WritesPemFilesAndKeepsTheKeyPrivate) {
  test::TempDir dir;
  const auto pki = testing::make_test_pki(dir.path() / "nested");
  for (const auto& file :
       {pki.ca_certificate_file, pki.server_certificate_file, pki.server_key_file}) {
    std::ifstream in(file);
    std::string first_line;
    std::getline(in, first_line);
    EXPECT_EQ(first_line.rfind("-----BEGIN ", 0), 0U) << file;
  }
  const auto permissions = std::filesystem::status(pki.server_key_file).permissions();
  EXPECT_EQ(permissions & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
            std::filesystem::perms::none);
}

}  // namespace
}  // namespace lmsgw::http
