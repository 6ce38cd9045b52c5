#include "http/server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <exception>
#include <fstream>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace lmsgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using Strand = asio::strand<asio::io_context::executor_type>;
using TlsStream = asio::ssl::stream<tcp::socket>;

// After the last response on a connection we keep reading (and discarding) for a moment, so
// that unread request bytes do not turn our close into a TCP reset that destroys the response
// before the client has read it (e.g. a 413 sent while the client is still uploading).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
constexpr std::size_t kFirstReadBytes = 2048;
constexpr std::size_t kRetainedBufferBytes = 16 * 1024;
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
// Ready-made, so refusing a connection over the limit costs no allocation and no parsing.
constexpr std::string_view kOverLimitResponse =
    "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";

std::string_view view(beast::string_view text) noexcept { return {text.data(), text.size()}; }

Method to_method(bhttp::verb verb) noexcept {
  switch (verb) {
    case bhttp::verb::get:
      return Method::get;
    case bhttp::verb::head:
      return Method::head;
    case bhttp::verb::post:
      return Method::post;
    case bhttp::verb::put:
      return Method::put;
    case bhttp::verb::patch:
      return Method::patch;
    case bhttp::verb::delete_:
      return Method::delete_;
    case bhttp::verb::options:
      return Method::options;
    default:
      return Method::other;
  }
}

bool is_http_parse_error(const ErrorCode& ec) noexcept {
  return &ec.category() == &bhttp::make_error_code(bhttp::error::bad_target).category();
}

bool has_control_characters(std::string_view text) noexcept {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Framing headers are the server's business: a handler setting them would corrupt the stream.
bool is_framing_header(std::string_view name) noexcept {
  return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
         beast::iequals(name, "connection");
}

std::string address_text(const asio::ip::address& address) {
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::string endpoint_text(std::string_view host, std::uint16_t port) {
  const bool bracket = host.find(':') != std::string_view::npos;
  return (bracket ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

Response plain_status(int status, std::string_view text) {
  return Response::text(status, std::string(text) + "\n");
}

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual asio::any_io_executor executor() = 0;
  virtual void start() = 0;
  // Stop accepting requests on this connection: close it if idle, else after the response.
  virtual void on_server_stop() = 0;
  // The drain time is over: close now, whatever is in flight.
  virtual void cut() = 0;
};

// State shared by the acceptor and every connection. It outlives all connections: run() only
// returns once the io_context has no work left, and worker tasks hold work on it.
struct ServerCore {
  ServerCore(ServerOptions server_options, const Router& server_router,
             RequestObserver request_observer)
      : options(std::move(server_options)),
        router(server_router),
        observer(std::move(request_observer)),
        io(static_cast<int>(io_thread_count())),
        strand(asio::make_strand(io)),
        acceptor(strand),
        drain_timer(strand),
        accept_retry_timer(strand),
        workers(std::max(1U, options.worker_threads)) {}

  unsigned io_thread_count() const noexcept {
    if (options.threads != 0) return options.threads;
    return std::max(1U, std::thread::hardware_concurrency());
  }

  void add(const std::shared_ptr<ConnectionBase>& connection) {
    std::lock_guard lock(registry_mutex);
    registry.emplace(connection.get(), connection);
  }

  void remove(const ConnectionBase* connection) noexcept {
    bool drained = false;
    {
      std::lock_guard lock(registry_mutex);
      registry.erase(connection);
      drained = stopping.load() && registry.empty();
    }
    open_count.fetch_sub(1);
    if (drained) {
      try {
        asio::post(strand, [this] { drain_timer.cancel(); });
      } catch (...) {
        // Without the post the drain timer simply runs out; stopping only takes longer.
      }
    }
  }

  // Takes a place in the worker queue; false when it is full.
  bool enter_worker_queue() noexcept {
    if (queued_worker_requests.fetch_add(1) < options.limits.max_queued_worker_requests) {
      return true;
    }
    queued_worker_requests.fetch_sub(1);
    return false;
  }

  void observe(std::uint32_t route_index, int status, std::chrono::nanoseconds elapsed) noexcept {
    if (!observer) return;
    try {
      observer(route_index, status, elapsed);
    } catch (...) {
      spdlog::error("http: request observer threw");
    }
  }

  std::vector<std::shared_ptr<ConnectionBase>> live_connections() {
    std::vector<std::shared_ptr<ConnectionBase>> live;
    std::lock_guard lock(registry_mutex);
    live.reserve(registry.size());
    for (const auto& [pointer, weak] : registry) {
      if (auto connection = weak.lock()) live.push_back(std::move(connection));
    }
    return live;
  }

  ServerOptions options;
  const Router& router;
  RequestObserver observer;

  // Declared before the io_context so that connections destroyed with its pending handlers
  // can still unregister.
  std::mutex registry_mutex;
  std::unordered_map<const ConnectionBase*, std::weak_ptr<ConnectionBase>> registry;
  std::atomic<std::size_t> open_count{0};
  // Posted to the worker pool and not yet started.
  std::atomic<std::size_t> queued_worker_requests{0};
  std::atomic<bool> stopping{false};
  std::optional<asio::ssl::context> tls;
  std::uint16_t bound_port = 0;

  asio::io_context io;
  Strand strand;  // acceptor, signals and timers below
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  asio::steady_timer accept_retry_timer;
  std::optional<asio::signal_set> signals;
  // Last, so it is destroyed (and joined) first, while everything its tasks touch still exists.
  asio::thread_pool workers;
};

template <class Stream>
class Connection final : public ConnectionBase,
                         public std::enable_shared_from_this<Connection<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Connection(ServerCore& core, tcp::socket socket)
      : core_(core),
        stream_(make_stream(core, std::move(socket))),
        timer_(stream_.get_executor()) {}

  ~Connection() override { core_.remove(this); }

  asio::any_io_executor executor() override { return stream_.get_executor(); }

  void start() override {
    ErrorCode ec;
    const tcp::endpoint peer = socket().remote_endpoint(ec);
    if (!ec) remote_address_ = address_text(peer.address());
    socket().set_option(tcp::no_delay(true), ec);
    request_start_ = Clock::now();
    if constexpr (kTls) {
      phase_ = Phase::handshake;
      arm(core_.options.limits.request_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const ErrorCode& error) {
                                self->disarm();
                                if (error || self->closed()) return self->close_now();
                                self->wait_for_request();
                              });
    } else {
      wait_for_request();
    }
  }

  void on_server_stop() override {
    stop_requested_ = true;
    if (phase_ == Phase::handshake || phase_ == Phase::idle || phase_ == Phase::closing) {
      close_now();
    }
  }

  void cut() override { close_now(); }

 private:
  enum class Phase : std::uint8_t { handshake, idle, reading, handling, writing, closing, closed };

  static Stream make_stream(ServerCore& core, tcp::socket socket) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *core.tls);
    } else {
      return socket;
    }
  }

  tcp::socket& socket() noexcept {
    if constexpr (kTls) {
      return stream_.next_layer();
    } else {
      return stream_;
    }
  }

  bool stopping() const noexcept { return stop_requested_ || core_.stopping.load(); }
  // A completion can be queued with success just before a stop or cut closed the socket.
  bool closed() const noexcept { return phase_ == Phase::closed; }

  // The first request on a connection must start within the request timeout; later ones
  // within the keep-alive idle timeout. Nothing read yet means there is no one to answer.
  void wait_for_request() {
    if (stopping()) return close_now();
    phase_ = Phase::idle;
    timed_out_ = false;
    if (buffer_.size() > 0) return begin_request();
    arm(first_request_ ? core_.options.limits.request_timeout : core_.options.limits.idle_timeout);
    stream_.async_read_some(buffer_.prepare(kFirstReadBytes),
                            [self = this->shared_from_this()](const ErrorCode& ec, std::size_t n) {
                              self->disarm();
                              if (ec || self->closed()) return self->close_now();
                              self->buffer_.commit(n);
                              self->begin_request();
                            });
  }

  void begin_request() {
    phase_ = Phase::reading;
    first_request_ = false;
    request_start_ = Clock::now();
    route_index_ = Router::kUnmatched;
    const auto& limits = core_.options.limits;
    parser_.emplace();
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
    arm(limits.request_timeout);
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
                               self->on_header(ec);
                             });
  }

  void on_header(const ErrorCode& ec) {
    if (ec) return on_read_error(ec);
    if (parser_->is_done()) return on_request_read();
    const auto& message = parser_->get();
    if (message.version() >= 11 && beast::iequals(message[bhttp::field::expect], "100-continue")) {
      asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](const ErrorCode& error, std::size_t) {
                          if (error) return self->on_read_error(error);
                          self->read_body();
                        });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(stream_, buffer_, *parser_,
                      [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
                        if (ec) return self->on_read_error(ec);
                        self->on_request_read();
                      });
  }

  void on_read_error(const ErrorCode& ec) {
    disarm();
    if (closed()) return;
    if (timed_out_) return send_error(408);
    if (ec == bhttp::error::header_limit) return send_error(431);
    if (ec == bhttp::error::body_limit) return send_error(413);
    if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) {
      return close_now();
    }
    if (is_http_parse_error(ec)) return send_error(400);
    close_now();
  }

  void on_request_read() {
    disarm();
    if (closed()) return;
    phase_ = Phase::handling;
    const auto& message = parser_->get();
    request_.method = to_method(message.method());
    request_.target = view(message.target());
    const std::size_t question = request_.target.find('?');
    request_.path = request_.target.substr(0, question);
    request_.query = question == std::string_view::npos ? std::string_view{}
                                                        : request_.target.substr(question + 1);
    request_.headers.clear();
    for (const auto& field : message) {
      request_.headers.push_back({view(field.name_string()), view(field.value())});
    }
    request_.body = message.body();
    request_.remote_address = remote_address_;
    request_.tls = kTls;
    request_.route_param_count = 0;
    version_ = message.version();
    keep_alive_ = message.keep_alive();
    head_ = message.method() == bhttp::verb::head;

    const RouteMatch match = core_.router.match(request_);
    route_index_ = match.route_index;
    if (match.handler == nullptr) {
      if (match.method_mismatch) {
        send(plain_status(405, "Method Not Allowed")
                 .with_header("Allow", core_.router.allowed_methods(request_.path)));
      } else {
        send(plain_status(404, "Not Found"));
      }
      return;
    }
    if (match.dispatch == Dispatch::inline_) return send(invoke(*match.handler));

    if (!core_.enter_worker_queue()) {
      // Every worker is busy and the queue is full: waiting would only add to the backlog, and
      // closing tells the client to back off.
      keep_alive_ = false;
      return send(plain_status(503, "Service Unavailable"));
    }
    // The request views point into parser_, which stays put until the response is written;
    // the work guard keeps run() from returning while the handler is still busy.
    try {
      asio::post(core_.workers, [self = this->shared_from_this(), handler = match.handler,
                                 work = asio::make_work_guard(core_.io)]() mutable {
        self->core_.queued_worker_requests.fetch_sub(1);
        Response response = self->invoke(*handler);
        asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
          self->send(std::move(response));
        });
        work.reset();
      });
    } catch (...) {
      // Out of memory: with no handler and no timer left, the connection would only hang.
      core_.queued_worker_requests.fetch_sub(1);
      spdlog::error("http: cannot queue a request for the workers; connection closed");
      close_now();
    }
  }

  Response invoke(const Handler& handler) noexcept {
    try {
      return handler(request_);
    } catch (...) {
      // The exception text may quote request data, so only the route is named.
      spdlog::error("http: handler of route '{}' threw; answered 500",
                    core_.router.route_names()[route_index_]);
    }
    return plain_status(500, "Internal Server Error");
  }

  static bool valid(const Response& response) noexcept {
    if (response.status < 200 || response.status > 999) return false;
    if (has_control_characters(response.content_type)) return false;
    for (const auto& [name, value] : response.headers) {
      if (name.empty() || name.find_first_of(": \t") != std::string::npos ||
          has_control_characters(name) || has_control_characters(value)) {
        return false;
      }
    }
    return true;
  }

  void send(Response response) {
    if (closed()) return;
    if (!valid(response)) {
      spdlog::error(
          "http: handler of route '{}' returned an invalid status or header; "
          "answered 500",
          core_.router.route_names()[route_index_]);
      response = plain_status(500, "Internal Server Error");
    }
    status_ = response.status;
    response_ = {};
    response_.version(version_);
    response_.result(static_cast<unsigned>(response.status));
    if (!response.content_type.empty()) {
      response_.set(bhttp::field::content_type, response.content_type);
    }
    for (const auto& [name, value] : response.headers) {
      if (!is_framing_header(name)) response_.insert(name, value);
    }
    if (response.prepared != nullptr) {
      // Validated when prepared: "Name: value\r\n" lines.
      std::string_view text = response.prepared->text();
      while (!text.empty()) {
        const std::size_t colon = text.find(": ");
        const std::size_t end = text.find("\r\n");
        response_.insert(text.substr(0, colon), text.substr(colon + 2, end - colon - 2));
        text.remove_prefix(end + 2);
      }
    }
    response_.keep_alive(keep_alive_ && !stopping());
    if (response.status == 204 || response.status == 304) {
      // No body and no Content-Length for these statuses (RFC 9110 8.6).
    } else if (head_) {
      response_.content_length(response.body.size());
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    write();
  }

  // Errors found while reading: the request is not trustworthy, so the connection closes.
  void send_error(int status) {
    std::string_view text;
    switch (status) {
      case 400:
        text = "Bad Request";
        break;
      case 408:
        text = "Request Timeout";
        break;
      case 413:
        text = "Content Too Large";
        break;
      case 431:
        text = "Request Header Fields Too Large";
        break;
      default:
        text = "Error";
        break;
    }
    keep_alive_ = false;
    head_ = false;
    version_ = 11;
    route_index_ = Router::kUnmatched;
    send(plain_status(status, text));
  }

  void write() {
    phase_ = Phase::writing;
    arm(core_.options.limits.request_timeout);
    bhttp::async_write(stream_, response_,
                       [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
                         self->on_write(ec);
                       });
  }

  void on_write(const ErrorCode& ec) {
    disarm();
    if (ec) return close_now();
    core_.observe(route_index_, status_, Clock::now() - request_start_);
    if (!response_.keep_alive()) return close_gracefully();
    response_ = {};
    parser_.reset();
    // One large request must not pin its buffer for the rest of a long keep-alive connection.
    if (buffer_.size() == 0 && buffer_.capacity() > kRetainedBufferBytes) buffer_.shrink_to_fit();
    wait_for_request();
  }

  void close_gracefully() {
    phase_ = Phase::closing;
    arm(std::min<std::chrono::milliseconds>(kLingerTime, core_.options.limits.request_timeout));
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const ErrorCode&) { self->close_now(); });
    } else {
      ErrorCode ec;
      socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close_now();
      buffer_.clear();
      linger();
    }
  }

  void linger() {
    socket().async_read_some(buffer_.prepare(kFirstReadBytes),
                             [self = this->shared_from_this()](const ErrorCode& ec, std::size_t n) {
                               self->lingered_ += n;
                               if (ec || self->lingered_ > kLingerMaxBytes)
                                 return self->close_now();
                               self->linger();
                             });
  }

  void close_now() {
    if (closed()) return;
    phase_ = Phase::closed;
    disarm();
    ErrorCode ec;
    socket().close(ec);
  }

  void arm(std::chrono::milliseconds duration) {
    timer_.expires_after(duration);
    const std::uint64_t generation = ++timer_generation_;
    timer_.async_wait([self = this->shared_from_this(), generation](const ErrorCode& ec) {
      if (ec || generation != self->timer_generation_) return;
      self->on_deadline();
    });
  }

  void disarm() {
    ++timer_generation_;
    timer_.cancel();
  }

  void on_deadline() {
    if (phase_ == Phase::reading) {
      // Cancel rather than close, so the read handler can still answer 408.
      timed_out_ = true;
      ErrorCode ec;
      socket().cancel(ec);
      return;
    }
    close_now();
  }

  ServerCore& core_;
  Stream stream_;
  asio::steady_timer timer_;
  std::uint64_t timer_generation_ = 0;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  Request request_;
  bhttp::response<bhttp::string_body> response_;
  std::string remote_address_;
  Clock::time_point request_start_;
  std::uint32_t route_index_ = Router::kUnmatched;
  int status_ = 0;
  unsigned version_ = 11;
  std::size_t lingered_ = 0;
  Phase phase_ = Phase::idle;
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool head_ = false;
  bool timed_out_ = false;
  bool stop_requested_ = false;
};

sdk::Error config_error(std::string detail) {
  return sdk::Error{sdk::ErrorCode::config_invalid, std::move(detail)};
}

bool readable(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return file.good();
}

sdk::Result<void> load_tls(ServerCore& core, const TlsFiles& files) {
  auto& context = core.tls.emplace(asio::ssl::context::tls_server);
  SSL_CTX* native = context.native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1) {
    return sdk::Error{sdk::ErrorCode::internal, "cannot restrict TLS to version 1.2 and later"};
  }
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (!readable(files.certificate_chain_file)) {
    return config_error("cannot read TLS certificate chain file '" + files.certificate_chain_file +
                        "'");
  }
  if (!readable(files.private_key_file)) {
    return config_error("cannot read TLS private key file '" + files.private_key_file + "'");
  }
  ErrorCode ec;
  context.use_certificate_chain_file(files.certificate_chain_file, ec);
  if (ec) {
    return config_error("invalid TLS certificate chain file '" + files.certificate_chain_file +
                        "': " + ec.message());
  }
  context.use_private_key_file(files.private_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return config_error("invalid TLS private key file '" + files.private_key_file +
                        "': " + ec.message());
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    return config_error("TLS private key file '" + files.private_key_file +
                        "' does not match certificate '" + files.certificate_chain_file + "'");
  }
  return {};
}

}  // namespace

struct HttpServer::Impl {
  Impl(ServerOptions options, const Router& router, RequestObserver observer)
      : core(std::move(options), router, std::move(observer)) {}

  void accept() {
    core.acceptor.async_accept(
        asio::make_strand(core.io), [this](const ErrorCode& ec, tcp::socket socket) {
          if (core.stopping.load() || !core.acceptor.is_open()) return;
          if (ec) {
            // Usually out of file descriptors: back off instead of spinning on the error.
            spdlog::warn("http: accept failed: {}", ec.message());
            core.accept_retry_timer.expires_after(kAcceptRetryDelay);
            core.accept_retry_timer.async_wait([this](const ErrorCode& error) {
              if (!error) accept();
            });
            return;
          }
          start_connection(std::move(socket));
          accept();
        });
  }

  void start_connection(tcp::socket socket) {
    // Only this strand increments, so the check and the increment cannot race with another.
    if (core.open_count.load() >= core.options.limits.max_connections) return refuse(socket);
    core.open_count.fetch_add(1);
    std::shared_ptr<ConnectionBase> connection;
    if (core.tls) {
      connection = std::make_shared<Connection<TlsStream>>(core, std::move(socket));
    } else {
      connection = std::make_shared<Connection<tcp::socket>>(core, std::move(socket));
    }
    core.add(connection);
    asio::post(connection->executor(), [connection] { connection->start(); });
  }

  // Over the limit the socket closes at once, so the limit bounds open sockets and TLS
  // handshakes: no handshake, no read, no linger. A plain client gets a 503 if the kernel can
  // take it without waiting; a TLS one just sees the connection close.
  void refuse(tcp::socket& socket) noexcept {
    const Clock::time_point start = Clock::now();
    ErrorCode ec;
    if (!core.tls) {
      socket.non_blocking(true, ec);
      if (!ec) {
        socket.write_some(asio::buffer(kOverLimitResponse.data(), kOverLimitResponse.size()), ec);
      }
    }
    socket.close(ec);
    core.observe(Router::kUnmatched, 503, Clock::now() - start);
  }

  void begin_stop() {
    if (core.stopping.load()) return;
    {
      // Under the registry lock, so a connection leaving now sees either the flag or the
      // snapshot below (see ServerCore::remove).
      std::lock_guard lock(core.registry_mutex);
      core.stopping.store(true);
    }
    const auto live = core.live_connections();
    ErrorCode ec;
    core.acceptor.close(ec);
    core.accept_retry_timer.cancel();
    if (core.signals) {
      // Give the signals back: a second SIGTERM during the drain then ends the process.
      core.signals->cancel(ec);
      core.signals->clear(ec);
    }
    for (const auto& connection : live) {
      asio::post(connection->executor(), [connection] { connection->on_server_stop(); });
    }
    if (live.empty()) return;
    core.drain_timer.expires_after(core.options.drain_timeout);
    core.drain_timer.async_wait([this](const ErrorCode& error) {
      if (error) return;
      spdlog::warn("http: drain time over; closing remaining connections");
      for (const auto& connection : core.live_connections()) {
        asio::post(connection->executor(), [connection] { connection->cut(); });
      }
    });
  }

  void run_io() noexcept {
    for (;;) {
      try {
        core.io.run();
        return;
      } catch (const std::exception& e) {
        spdlog::error("http: I/O thread caught an exception: {}", e.what());
      } catch (...) {
        spdlog::error("http: I/O thread caught a non-standard exception");
      }
    }
  }

  ServerCore core;
};

HttpServer::HttpServer(ServerOptions options, const Router& router, RequestObserver observer)
    : impl_(std::make_unique<Impl>(std::move(options), router, std::move(observer))) {}

HttpServer::~HttpServer() = default;

sdk::Result<void> HttpServer::bind() {
  ServerCore& core = impl_->core;
  const std::string& host = core.options.listen_host;
  const std::string where = endpoint_text(host, core.options.listen_port);
  try {
    if (core.acceptor.is_open()) return config_error("server already bound to " + where);
    if (core.options.tls) {
      auto loaded = load_tls(core, *core.options.tls);
      if (!loaded) return loaded;
    }
    ErrorCode ec;
    asio::ip::address address = asio::ip::make_address(host, ec);
    if (ec) {
      tcp::resolver resolver(core.io);
      const auto results = resolver.resolve(host, "", tcp::resolver::passive, ec);
      if (ec || results.empty())
        return config_error("cannot resolve listen address '" + host + "'");
      address = results.begin()->endpoint().address();
    }
    const tcp::endpoint endpoint(address, core.options.listen_port);
    core.acceptor.open(endpoint.protocol(), ec);
    if (!ec) core.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) core.acceptor.bind(endpoint, ec);
    if (!ec) core.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      ErrorCode ignored;
      core.acceptor.close(ignored);
      return config_error("cannot listen on " + where + ": " + ec.message());
    }
    core.bound_port = core.acceptor.local_endpoint().port();
    return {};
  } catch (const std::exception& e) {
    return sdk::Error{sdk::ErrorCode::internal,
                      "cannot set up the listener on " + where + ": " + e.what()};
  }
}

std::uint16_t HttpServer::port() const noexcept { return impl_->core.bound_port; }

void HttpServer::run(bool stop_on_signals) {
  Impl& impl = *impl_;
  ServerCore& core = impl.core;
  if (!core.acceptor.is_open() && !core.stopping.load()) {
    spdlog::error("http: run() called before a successful bind()");
    return;
  }
  if (stop_on_signals) {
    core.signals.emplace(core.strand, SIGINT, SIGTERM);
    core.signals->async_wait([&impl](const ErrorCode& ec, int signal_number) {
      if (ec) return;
      spdlog::info("http: signal {} received; stopping", signal_number);
      impl.begin_stop();
    });
  }
  asio::post(core.strand, [&impl] {
    if (!impl.core.stopping.load()) impl.accept();
  });
  std::vector<std::thread> threads;
  const unsigned count = core.io_thread_count();
  threads.reserve(count - 1);
  for (unsigned i = 1; i < count; ++i) threads.emplace_back([&impl] { impl.run_io(); });
  impl.run_io();
  for (auto& thread : threads) thread.join();
}

void HttpServer::stop() noexcept {
  try {
    asio::post(impl_->core.strand, [impl = impl_.get()] { impl->begin_stop(); });
  } catch (...) {
    spdlog::error("http: could not schedule the stop");
  }
}

std::size_t HttpServer::open_connections() const noexcept { return impl_->core.open_count.load(); }

std::size_t HttpServer::queued_worker_requests() const noexcept {
  return impl_->core.queued_worker_requests.load();
}

}  // namespace lmsgw::http
