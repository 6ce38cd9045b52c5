#include "http/client.h"

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <condition_variable>
#include <exception>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace lmsgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace urls = boost::urls;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<tcp::socket>;
using sdk::Error;

// Provider responses carry more headers than a browser request (cookies, CSP, tracing).
constexpr std::uint32_t kMaxResponseHeaderBytes = 64 * 1024;

Error unavailable(std::string detail) {
  return Error{sdk::ErrorCode::upstream_unavailable, std::move(detail)};
}

Error invalid(std::string detail) {
  return Error{sdk::ErrorCode::invalid_request, std::move(detail)};
}

bool is_token(std::string_view text) noexcept {
  if (text.empty()) return false;
  for (const char c : text) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool valid_header_value(std::string_view value) noexcept {
  return value.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

// Headers the client owns: the URL decides Host, the body decides its length, and every call
// uses its own connection.
bool is_owned_header(std::string_view name) noexcept {
  return beast::iequals(name, "host") || beast::iequals(name, "content-length") ||
         beast::iequals(name, "transfer-encoding") || beast::iequals(name, "connection");
}

struct Target {
  bool tls = true;
  bool host_is_ip = false;
  bool loopback_only = false;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string host_header;  // host[:port], IPv6 in brackets
  std::string where;        // host:port for error details
  std::string path;         // path and query
};

bool is_loopback_name(std::string_view host) noexcept {
  return beast::iequals(host, "localhost") || beast::iequals(host, "localhost.");
}

sdk::Result<Target> parse_target(const std::string& url, const ClientOptions& options) {
  const auto parsed = urls::parse_uri(url);
  if (!parsed) return invalid("malformed URL");
  const urls::url_view& view = *parsed;
  Target target;
  // Boost.URL 1.81 reads "https://127.0.0.1.evil.example/x" as host 127.0.0.1 and path
  // ".evil.example/x"; after an authority a path must be empty or start with '/'.
  if (!view.encoded_path().empty() && view.encoded_path().front() != '/') {
    return invalid("URL with a malformed host");
  }
  const urls::scheme scheme = view.scheme_id();
  if (scheme != urls::scheme::https && scheme != urls::scheme::http) {
    return invalid("unsupported URL scheme '" + std::string(view.scheme()) + "'");
  }
  target.tls = scheme == urls::scheme::https;
  if (view.has_userinfo()) return invalid("credentials in the URL are not allowed");
  bool loopback = false;
  switch (view.host_type()) {
    case urls::host_type::name:
      target.host = view.host_address();
      loopback = is_loopback_name(target.host);
      break;
    case urls::host_type::ipv4:
      target.host = view.host_address();
      target.host_is_ip = true;
      loopback = view.host_ipv4_address().is_loopback();
      break;
    case urls::host_type::ipv6:
      target.host = view.host_address();
      target.host_is_ip = true;
      loopback = view.host_ipv6_address().is_loopback();
      break;
    default:
      return invalid("URL without a usable host");
  }
  if (target.host.empty()) return invalid("URL without a host");
  if (target.host.find_first_of(std::string_view("%\0\r\n/ ", 6)) != std::string::npos) {
    return invalid("URL with an invalid host");
  }
  if (!target.tls) {
    if (!options.allow_plain_http_to_loopback || !loopback) {
      return invalid("plain http:// is refused for " + target.host + "; use https://");
    }
    target.loopback_only = true;
  }
  const std::uint16_t default_port = target.tls ? 443 : 80;
  if (view.has_port()) {
    if (view.port().empty() || view.port_number() == 0) return invalid("URL with an invalid port");
    target.port = view.port_number();
  } else {
    target.port = default_port;
  }
  const std::string bracketed =
      view.host_type() == urls::host_type::ipv6 ? "[" + target.host + "]" : target.host;
  target.host_header = bracketed;
  if (target.port != default_port) target.host_header += ":" + std::to_string(target.port);
  target.where = bracketed + ":" + std::to_string(target.port);
  target.path = std::string(view.encoded_target());
  if (target.path.empty() || target.path.front() != '/') target.path.insert(0, "/");
  return target;
}

// getaddrinfo cannot be cancelled, so each lookup runs on a thread of its own and the caller
// stops waiting at its deadline; a late answer is dropped. Without a bound, a slow DNS server
// would pile up one such thread per sign-in, so a lookup needs one of a fixed number of slots,
// which its thread holds until getaddrinfo returns. The lookup threads share ownership, as
// they may outlive the client.
class Resolver : public std::enable_shared_from_this<Resolver> {
 public:
  Resolver(std::size_t slots, std::function<void(const std::string&)> before_lookup)
      : free_slots_(slots), before_lookup_(std::move(before_lookup)) {}

  sdk::Result<std::vector<tcp::endpoint>> resolve(const Target& target, Clock::time_point deadline,
                                                  std::chrono::milliseconds timeout);

 private:
  struct Lookup {
    std::mutex mutex;
    std::condition_variable done_signal;
    bool done = false;
    std::string failure;
    std::vector<tcp::endpoint> endpoints;
  };

  bool acquire(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!slot_freed_.wait_until(lock, deadline, [this] { return free_slots_ > 0; })) return false;
    --free_slots_;
    return true;
  }

  void release() noexcept {
    {
      std::lock_guard lock(mutex_);
      ++free_slots_;
    }
    slot_freed_.notify_one();
  }

  void look_up(Lookup& lookup, const std::string& host, const std::string& port) noexcept;

  std::mutex mutex_;
  std::condition_variable slot_freed_;
  std::size_t free_slots_;
  const std::function<void(const std::string&)> before_lookup_;
};

void Resolver::look_up(Lookup& lookup, const std::string& host, const std::string& port) noexcept {
  std::string failure;
  std::vector<tcp::endpoint> endpoints;
  try {
    if (before_lookup_) before_lookup_(host);
    asio::io_context io;
    tcp::resolver resolver(io);
    ErrorCode ec;
    const auto results = resolver.resolve(host, port, ec);
    if (ec) failure = ec.message();
    for (const auto& entry : results) endpoints.push_back(entry.endpoint());
  } catch (const std::exception& e) {
    failure = e.what();
    endpoints.clear();
  }
  {
    std::lock_guard lock(lookup.mutex);
    lookup.failure = std::move(failure);
    lookup.endpoints = std::move(endpoints);
    lookup.done = true;
  }
  lookup.done_signal.notify_all();
}

sdk::Result<std::vector<tcp::endpoint>> Resolver::resolve(const Target& target,
                                                          Clock::time_point deadline,
                                                          std::chrono::milliseconds timeout) {
  if (target.host_is_ip) {
    return std::vector<tcp::endpoint>{
        tcp::endpoint(asio::ip::make_address(target.host), target.port)};
  }
  if (!acquire(deadline)) {
    return unavailable("DNS resolution queue full: no lookup slot for " + target.host + " within " +
                       std::to_string(timeout.count()) + " ms");
  }
  auto lookup = std::make_shared<Lookup>();
  try {
    std::thread([self = shared_from_this(), lookup, host = target.host,
                 port = std::to_string(target.port)] {
      self->look_up(*lookup, host, port);
      self->release();
    }).detach();
  } catch (const std::exception& e) {
    release();
    return unavailable("cannot start a DNS lookup for " + target.host + ": " + e.what());
  }
  std::unique_lock lock(lookup->mutex);
  if (!lookup->done_signal.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return unavailable("timed out after " + std::to_string(timeout.count()) + " ms resolving " +
                       target.host);
  }
  if (!lookup->failure.empty() || lookup->endpoints.empty()) {
    return unavailable("cannot resolve " + target.host + ": " +
                       (lookup->failure.empty() ? std::string("no address") : lookup->failure));
  }
  std::vector<tcp::endpoint> endpoints = std::move(lookup->endpoints);
  if (target.loopback_only) {
    // "localhost" could be mapped elsewhere; plain HTTP must still never leave the machine.
    std::erase_if(endpoints, [](const tcp::endpoint& e) { return !e.address().is_loopback(); });
    if (endpoints.empty()) {
      return invalid("plain http:// is refused: " + target.host + " is not a loopback address");
    }
  }
  return endpoints;
}

// Runs one asynchronous step on the call's private io_context until it completes or the
// call's deadline passes; on the deadline, `cancel` aborts the step and we report a timeout.
class Steps {
 public:
  Steps(asio::io_context& io, Clock::time_point deadline) : io_(io), deadline_(deadline) {}

  template <class Start, class Cancel>
  ErrorCode run(Start&& start, Cancel&& cancel) {
    std::optional<ErrorCode> result;
    start([&result](const ErrorCode& ec, auto&&...) { result = ec; });
    io_.restart();
    io_.run_until(deadline_);
    if (!result) {
      cancel();
      io_.restart();
      io_.run();
      return asio::error::timed_out;
    }
    return *result;
  }

 private:
  asio::io_context& io_;
  Clock::time_point deadline_;
};

}  // namespace

struct Client::Impl {
  explicit Impl(ClientOptions client_options)
      : options(std::move(client_options)),
        tls(asio::ssl::context::tls_client),
        resolver(std::make_shared<Resolver>(options.max_dns_lookups,
                                            options.before_dns_lookup_for_test)) {}

  sdk::Result<sdk::HttpResponse> send(const sdk::HttpRequest& request);

  template <class Stream>
  sdk::Result<sdk::HttpResponse> exchange(Stream& stream, Steps& steps, const Target& target,
                                          bhttp::request<bhttp::string_body>& message,
                                          std::size_t max_bytes, const std::string& waited);

  ClientOptions options;
  asio::ssl::context tls;
  std::shared_ptr<Resolver> resolver;
};

sdk::Result<sdk::HttpResponse> Client::Impl::send(const sdk::HttpRequest& request) {
  auto parsed = parse_target(request.url, options);
  if (!parsed) return parsed.error();
  const Target& target = *parsed;

  bhttp::request<bhttp::string_body> message;
  const bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb != bhttp::verb::unknown) {
    message.method(verb);
  } else if (is_token(request.method)) {
    message.method_string(request.method);
  } else {
    return invalid("invalid HTTP method");
  }
  message.version(11);
  message.target(target.path);
  message.set(bhttp::field::host, target.host_header);
  for (const auto& [name, value] : request.headers) {
    if (!is_token(name) || !valid_header_value(value)) {
      return invalid("request header '" + (is_token(name) ? name : std::string("?")) +
                     "' has an invalid name or value");
    }
    if (!is_owned_header(name)) message.insert(name, value);
  }
  message.body() = request.body;
  message.keep_alive(false);
  message.prepare_payload();

  const std::chrono::milliseconds timeout =
      request.timeout.count() > 0 ? request.timeout : options.default_timeout;
  const std::size_t max_bytes = request.max_response_bytes > 0 ? request.max_response_bytes
                                                               : options.default_max_response_bytes;
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string waited = "timed out after " + std::to_string(timeout.count()) + " ms ";

  auto endpoints = resolver->resolve(target, deadline, timeout);
  if (!endpoints) return endpoints.error();

  asio::io_context io(1);
  Steps steps(io, deadline);
  const auto connect = [&](tcp::socket& socket) -> sdk::Result<void> {
    const ErrorCode ec =
        steps.run([&](auto handler) { asio::async_connect(socket, *endpoints, handler); },
                  [&] {
                    ErrorCode ignored;
                    socket.close(ignored);
                  });
    if (ec == asio::error::timed_out) return unavailable(waited + "connecting to " + target.where);
    if (ec) return unavailable("cannot connect to " + target.where + ": " + ec.message());
    return {};
  };

  if (!target.tls) {
    tcp::socket socket(io);
    if (auto connected = connect(socket); !connected) return connected.error();
    return exchange(socket, steps, target, message, max_bytes, waited);
  }

  TlsStream stream(io, tls);
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (target.host_is_ip) {
    if (X509_VERIFY_PARAM_set1_ip_asc(param, target.host.c_str()) != 1) {
      return invalid("invalid IP address in URL");
    }
  } else {
    if (SSL_set_tlsext_host_name(ssl, target.host.c_str()) != 1 ||
        X509_VERIFY_PARAM_set1_host(param, target.host.c_str(), target.host.size()) != 1) {
      return invalid("invalid host name in URL");
    }
  }
  stream.set_verify_mode(asio::ssl::verify_peer);
  if (auto connected = connect(stream.next_layer()); !connected) return connected.error();
  const ErrorCode ec = steps.run(
      [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); },
      [&] {
        ErrorCode ignored;
        stream.next_layer().close(ignored);
      });
  if (ec == asio::error::timed_out)
    return unavailable(waited + "in the TLS handshake with " + target.where);
  if (ec) {
    const long verify_result = SSL_get_verify_result(ssl);
    if (verify_result != X509_V_OK) {
      return unavailable("TLS certificate verification failed for " + target.where + ": " +
                         X509_verify_cert_error_string(verify_result));
    }
    return unavailable("TLS handshake with " + target.where + " failed: " + ec.message());
  }
  return exchange(stream, steps, target, message, max_bytes, waited);
}

template <class Stream>
sdk::Result<sdk::HttpResponse> Client::Impl::exchange(Stream& stream, Steps& steps,
                                                      const Target& target,
                                                      bhttp::request<bhttp::string_body>& message,
                                                      std::size_t max_bytes,
                                                      const std::string& waited) {
  const auto abort = [&] {
    ErrorCode ignored;
    beast::get_lowest_layer(stream).close(ignored);
  };
  ErrorCode ec =
      steps.run([&](auto handler) { bhttp::async_write(stream, message, handler); }, abort);
  if (ec == asio::error::timed_out) return unavailable(waited + "sending to " + target.where);
  if (ec) return unavailable("sending the request to " + target.where + " failed: " + ec.message());

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  parser.body_limit(static_cast<std::uint64_t>(max_bytes));
  if (message.method() == bhttp::verb::head) parser.skip(true);
  ec = steps.run([&](auto handler) { bhttp::async_read(stream, buffer, parser, handler); }, abort);
  if (ec == asio::error::timed_out) {
    return unavailable(waited + "waiting for the response from " + target.where);
  }
  if (ec == bhttp::error::body_limit) {
    return Error{sdk::ErrorCode::limit_exceeded, "response from " + target.where + " exceeds " +
                                                     std::to_string(max_bytes) + " bytes"};
  }
  if (ec == bhttp::error::header_limit) {
    return Error{sdk::ErrorCode::limit_exceeded,
                 "response headers from " + target.where + " exceed " +
                     std::to_string(kMaxResponseHeaderBytes) + " bytes"};
  }
  if (ec) {
    return unavailable("reading the response from " + target.where + " failed: " + ec.message());
  }
  auto& received = parser.get();
  sdk::HttpResponse response;
  response.status = static_cast<int>(received.result_int());
  for (const auto& field : received) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(received.body());
  return response;
}

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Client::~Client() = default;

sdk::Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  try {
    if (options.max_dns_lookups == 0) {
      return Error{sdk::ErrorCode::config_invalid, "max_dns_lookups must be at least 1"};
    }
    auto impl = std::make_unique<Impl>(std::move(options));
    SSL_CTX* native = impl->tls.native_handle();
    if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
      return Error{sdk::ErrorCode::internal, "cannot restrict TLS to version 1.2 and later"};
    }
    impl->tls.set_verify_mode(asio::ssl::verify_peer);
    ErrorCode ec;
    if (impl->options.use_system_trust_store) {
      impl->tls.set_default_verify_paths(ec);
      if (ec) {
        return Error{sdk::ErrorCode::config_invalid,
                     "cannot load the system trust store: " + ec.message()};
      }
    }
    if (impl->options.extra_ca_file) {
      const std::string& file = *impl->options.extra_ca_file;
      if (!std::ifstream(file, std::ios::binary).good()) {
        return Error{sdk::ErrorCode::config_invalid, "cannot read CA file '" + file + "'"};
      }
      impl->tls.load_verify_file(file, ec);
      if (ec) {
        return Error{sdk::ErrorCode::config_invalid,
                     "invalid CA file '" + file + "': " + ec.message()};
      }
    }
    return std::unique_ptr<Client>(new Client(std::move(impl)));
  } catch (const std::exception& e) {
    return Error{sdk::ErrorCode::internal,
                 std::string("cannot create the HTTP client: ") + e.what()};
  }
}

sdk::Result<sdk::HttpResponse> Client::send(const sdk::HttpRequest& request) noexcept {
  try {
    return impl_->send(request);
  } catch (const std::bad_alloc&) {
    return Error{sdk::ErrorCode::internal, "out of memory"};
  } catch (const std::exception& e) {
    return Error{sdk::ErrorCode::internal, std::string("HTTP client failure: ") + e.what()};
  }
}

}  // namespace lmsgw::http
