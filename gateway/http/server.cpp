#include "http/server.h"

#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <csignal>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <thread>
#include <type_traits>
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
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>

namespace lmsgw::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using ErrorCode = boost::system::error_code;
using Clock = std::chrono::steady_clock;
using TlsStream = asio::ssl::stream<tcp::socket>;

// After the last response on a connection we keep reading (and discarding) for a moment, so
// that unread request bytes do not turn our close into a TCP reset that destroys the response
// before the client has read it (e.g. a 413 sent while the client is still uploading).
constexpr std::chrono::milliseconds kLingerTime{1000};
constexpr std::size_t kLingerMaxBytes = 1024 * 1024;
// A connection's input starts this large, which holds a typical request in one read; it grows
// only for larger headers (up to the header limit) or to keep room for reading a body.
constexpr std::size_t kInitialInputBytes = 4096;
constexpr std::size_t kMinReadRoom = 1024;
// One large request must not pin its buffers for the rest of a long keep-alive connection.
constexpr std::size_t kRetainedBufferBytes = 16 * 1024;
// More fields than this is not a browser or a proxy; refusing keeps the field list bounded.
constexpr std::size_t kMaxRequestFields = 64;
// Deadlines are checked by one sweep per I/O thread, so they fire up to one period late.
constexpr std::chrono::milliseconds kMaxSweepPeriod{250};
constexpr std::chrono::milliseconds kMinSweepPeriod{10};
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

// RFC 9110 section 15; a status outside the table gets an empty reason, which RFC 9112 allows.
std::string_view reason_phrase(int status) noexcept {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return {};
  }
}

bool has_control_characters(std::string_view text) noexcept {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

// Framing headers are the server's business: a handler setting them would corrupt the stream.
bool is_framing_header(std::string_view name) noexcept {
  return beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding") ||
         beast::iequals(name, "connection");
}

bool within(std::string_view outer, std::string_view inner) noexcept {
  const std::less_equal<const char*> at_most;
  return at_most(outer.data(), inner.data()) &&
         at_most(inner.data() + inner.size(), outer.data() + outer.size());
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

// Records a request as views into the connection's input (method, target and fields) and
// appends its body to the connection's body string. Both containers keep their capacity across
// requests, so a request on a warm keep-alive connection costs no allocation.
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(Request& request, std::string& body) : request_(request), body_(body) {}

  // Parses what it can of `input` and returns the bytes it used; need_more asks for more.
  std::size_t feed(std::string_view input, ErrorCode& ec) {
    input_ = input;
    return put(asio::const_buffer(input.data(), input.size()), ec);
  }

  int version() const noexcept { return version_; }
  bool expects_continue() const noexcept { return version_ >= 11 && expect_continue_; }

 private:
  void on_request_impl(bhttp::verb method, beast::string_view, beast::string_view target,
                       int version, ErrorCode&) override {
    request_.method = to_method(method);
    request_.target = view(target);
    version_ = version;
  }

  // A request parser never sees a status line.
  void on_response_impl(int, beast::string_view, int, ErrorCode& ec) override {
    ec = bhttp::error::bad_version;
  }

  void on_field_impl(bhttp::field field, beast::string_view name, beast::string_view value,
                     ErrorCode& ec) override {
    if (request_.headers.size() >= kMaxRequestFields) {
      ec = bhttp::error::header_limit;
      return;
    }
    // Beast hands an obs-folded value over in a buffer of its own that dies with this call;
    // RFC 9112 section 5.2 lets a server reject obs-fold, which keeps every view in our input.
    if (!value.empty() && !within(input_, view(value))) {
      ec = bhttp::error::bad_value;
      return;
    }
    request_.headers.push_back({view(name), value.empty() ? std::string_view{} : view(value)});
    if (field == bhttp::field::expect && beast::iequals(value, "100-continue")) {
      expect_continue_ = true;
    }
  }

  void on_header_impl(ErrorCode&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& length, ErrorCode&) override {
    // Already checked against the body limit.
    if (length) body_.reserve(static_cast<std::size_t>(*length));
  }

  std::size_t on_body_impl(beast::string_view data, ErrorCode&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }

  void on_chunk_header_impl(std::uint64_t, beast::string_view, ErrorCode&) override {}

  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view data, ErrorCode&) override {
    body_.append(data.data(), data.size());
    return data.size();
  }

  void on_finish_impl(ErrorCode&) override {}

  Request& request_;
  std::string& body_;
  std::string_view input_;
  int version_ = 11;
  bool expect_continue_ = false;
};

// A connection's received bytes in one block: [0, begin) is parsed, [begin, end) is not yet.
// Header views point into the parsed part, so the block moves only through grow(), whose caller
// re-points them.
class InputBuffer {
 public:
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t parsed() const noexcept { return begin_; }
  std::string_view unparsed() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
  std::size_t room() const noexcept { return capacity_ - end_; }
  asio::mutable_buffer free_space() noexcept { return {data_.get() + end_, capacity_ - end_}; }
  const char* data() const noexcept { return data_.get(); }

  void consume(std::size_t size) noexcept { begin_ += size; }
  void commit(std::size_t size) noexcept { end_ += size; }
  void clear() noexcept { begin_ = end_ = 0; }

  // Moves the unparsed bytes down to `floor`, overwriting parsed bytes no view points to.
  void compact(std::size_t floor) noexcept {
    if (begin_ == floor) return;
    const std::size_t size = end_ - begin_;
    if (size > 0) std::memmove(data_.get() + floor, data_.get() + begin_, size);
    begin_ = floor;
    end_ = floor + size;
  }

  // Returns the old block, still readable, so the caller can re-point its views before it goes.
  std::unique_ptr<char[]> grow(std::size_t capacity) {
    auto fresh = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > 0) std::memcpy(fresh.get(), data_.get(), end_);
    capacity_ = capacity;
    std::swap(fresh, data_);
    return fresh;
  }

  void release() noexcept {
    data_.reset();
    capacity_ = begin_ = end_ = 0;
  }

 private:
  std::unique_ptr<char[]> data_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

struct Loop;

class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void start() = 0;
  // Stop accepting requests on this connection: close it if idle, else after the response.
  virtual void on_server_stop() = 0;
  // The drain time is over: close now, whatever is in flight.
  virtual void cut() = 0;
  // Called by the sweep of the connection's loop, on its thread.
  virtual void check_deadline(Clock::time_point now) = 0;

  // The connection's place in its loop's list of open connections.
  ConnectionBase* previous = nullptr;
  ConnectionBase* next = nullptr;
  bool linked = false;
};

// One io_context per I/O thread, each run by exactly that thread: a connection's handlers, its
// deadline sweep and the list below are all touched by one thread only, so none of them needs
// a strand or a lock. Other threads (workers, the acceptor's loop) reach a loop by posting.
struct Loop {
  Loop() : io(1), sweep_timer(io) {}

  // Declared before the io_context: connections destroyed with its pending handlers unlink.
  ConnectionBase* first = nullptr;
  asio::io_context io;
  asio::steady_timer sweep_timer;
};

// State shared by the acceptor and every connection. It outlives all connections: run() only
// returns once the io_contexts have no work left, and worker tasks hold work on them.
struct ServerCore {
  ServerCore(ServerOptions server_options, const Router& server_router,
             RequestObserver request_observer)
      : options(std::move(server_options)),
        router(server_router),
        observer(std::move(request_observer)),
        sweep_period(compute_sweep_period(options.limits)),
        loops(make_loops(io_thread_count(options))),
        acceptor(loops.front()->io),
        drain_timer(loops.front()->io),
        accept_retry_timer(loops.front()->io),
        workers(std::max(1U, options.worker_threads)) {}

  static unsigned io_thread_count(const ServerOptions& options) noexcept {
    if (options.threads != 0) return options.threads;
    return std::max(1U, std::thread::hardware_concurrency());
  }

  static std::chrono::milliseconds compute_sweep_period(const ServerLimits& limits) noexcept {
    const auto shortest = std::min({limits.request_timeout, limits.idle_timeout, kLingerTime});
    return std::clamp<std::chrono::milliseconds>(shortest / 4, kMinSweepPeriod, kMaxSweepPeriod);
  }

  static std::vector<std::unique_ptr<Loop>> make_loops(unsigned count) {
    std::vector<std::unique_ptr<Loop>> made;
    for (unsigned i = 0; i < count; ++i) made.push_back(std::make_unique<Loop>());
    return made;
  }

  Loop& main_loop() noexcept { return *loops.front(); }

  Loop& next_loop() noexcept { return *loops[next_loop_index++ % loops.size()]; }

  // On the loop's thread.
  void link(Loop& loop, ConnectionBase* connection) noexcept {
    connection->previous = nullptr;
    connection->next = loop.first;
    if (loop.first != nullptr) loop.first->previous = connection;
    loop.first = connection;
    connection->linked = true;
  }

  // On the loop's thread.
  void unlink(Loop& loop, ConnectionBase* connection) noexcept {
    if (!connection->linked) return;
    if (connection->previous != nullptr) connection->previous->next = connection->next;
    if (connection->next != nullptr) connection->next->previous = connection->previous;
    if (loop.first == connection) loop.first = connection->next;
    connection->previous = connection->next = nullptr;
    connection->linked = false;
    // The loop's last connection is gone during a stop: its run() may return now.
    if (stopping.load() && loop.first == nullptr) loop.sweep_timer.cancel();
  }

  // Calls `action` on each connection of `loop`; it may close (and so unlink) that connection.
  template <class Action>
  static void for_each_connection(Loop& loop, Action action) {
    for (ConnectionBase* connection = loop.first; connection != nullptr;) {
      ConnectionBase* following = connection->next;
      action(*connection);
      connection = following;
    }
  }

  // On the loop's thread, every sweep_period until the loop has nothing left to watch.
  void sweep(Loop& loop) {
    if (stopping.load() && loop.first == nullptr) return;
    const Clock::time_point now = Clock::now();
    for_each_connection(loop,
                        [now](ConnectionBase& connection) { connection.check_deadline(now); });
    loop.sweep_timer.expires_at(now + sweep_period);
    loop.sweep_timer.async_wait([this, &loop](const ErrorCode&) { sweep(loop); });
  }

  // When a connection object goes, on whichever thread drops the last reference.
  void connection_gone() noexcept {
    const bool drained = open_count.fetch_sub(1) == 1 && stopping.load();
    if (!drained) return;
    try {
      asio::post(main_loop().io, [this] { drain_timer.cancel(); });
    } catch (...) {
      // Without the post the drain timer simply runs out; stopping only takes longer.
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

  ServerOptions options;
  const Router& router;
  RequestObserver observer;
  const std::chrono::milliseconds sweep_period;

  std::atomic<std::size_t> open_count{0};
  // Posted to the worker pool and not yet started.
  std::atomic<std::size_t> queued_worker_requests{0};
  std::atomic<bool> stopping{false};
  std::optional<asio::ssl::context> tls;
  std::uint16_t bound_port = 0;

  std::vector<std::unique_ptr<Loop>> loops;
  // Used by the acceptor's handler only, on the main loop.
  std::size_t next_loop_index = 0;
  // On the main loop: the acceptor, signals and the timers below.
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

  Connection(ServerCore& core, Loop& loop, tcp::socket socket)
      : core_(core), loop_(loop), stream_(make_stream(core, std::move(socket))) {}

  ~Connection() override {
    core_.unlink(loop_, this);
    core_.connection_gone();
  }

  void start() override {
    core_.link(loop_, this);
    const Clock::time_point now = Clock::now();
    deadline_ = now + core_.options.limits.request_timeout;
    ErrorCode ec;
    const tcp::endpoint peer = socket().remote_endpoint(ec);
    if (!ec) remote_address_ = address_text(peer.address());
    socket().set_option(tcp::no_delay(true), ec);
    if (stopping()) return close_now();
    if constexpr (kTls) {
      phase_ = Phase::handshake;
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](const ErrorCode& error) {
                                if (self->closed()) return;
                                if (error) return self->close_now();
                                self->wait_for_request(Clock::now());
                              });
    } else {
      wait_for_request(now);
    }
  }

  void on_server_stop() override {
    stop_requested_ = true;
    if (phase_ == Phase::handshake || phase_ == Phase::idle || phase_ == Phase::closing) {
      close_now();
    }
  }

  void cut() override { close_now(); }

  void check_deadline(Clock::time_point now) override {
    if (now < deadline_) return;
    if (phase_ == Phase::reading) {
      // Cancel rather than close, so the read handler can still answer 408.
      if (timed_out_) return;
      timed_out_ = true;
      ErrorCode ec;
      socket().cancel(ec);
      return;
    }
    close_now();
  }

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
  // Bytes already received (a pipelined request) are parsed without another read.
  void wait_for_request(Clock::time_point now) {
    if (stopping()) return close_now();
    phase_ = Phase::idle;
    timed_out_ = false;
    input_.compact(0);
    if (!input_.unparsed().empty()) {
      begin_request(now);
      return parse();
    }
    if (input_.capacity() > kRetainedBufferBytes) input_.release();
    deadline_ = now + (first_request_ ? core_.options.limits.request_timeout
                                      : core_.options.limits.idle_timeout);
    read();
  }

  void begin_request(Clock::time_point now) {
    phase_ = Phase::reading;
    first_request_ = false;
    request_start_ = now;
    deadline_ = now + core_.options.limits.request_timeout;
    route_index_ = Router::kUnmatched;
    continue_sent_ = false;
    header_end_ = 0;
    request_.target = {};
    request_.headers.clear();
    body_.clear();
    const auto& limits = core_.options.limits;
    parser_.emplace(request_, body_);
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(limits.max_body_bytes));
  }

  void read() {
    if (!make_room()) return send_error(431);
    stream_.async_read_some(input_.free_space(),
                            [self = this->shared_from_this()](const ErrorCode& ec, std::size_t n) {
                              self->on_read(ec, n);
                            });
  }

  // What the current request's views point to stays: the parsed part of its header (Beast
  // consumes the request line before the fields are complete). Parsed body bytes have been
  // copied out, so after the header only the header stays. False when the request cannot fit.
  bool make_room() {
    const auto& limits = core_.options.limits;
    // A chunk-size line or trailer section this long is no more acceptable than such a header.
    if (input_.unparsed().size() > limits.max_header_bytes) return false;
    const bool reading = phase_ == Phase::reading;
    const bool header_done = reading && parser_->is_header_done();
    const std::size_t floor = !reading ? 0 : header_done ? header_end_ : input_.parsed();
    input_.compact(floor);
    if (input_.room() >= kMinReadRoom) return true;
    std::size_t wanted = std::max(kInitialInputBytes, input_.capacity() * 2);
    if (!header_done) {
      // Beast reports header_limit once that many unparsed bytes hold no complete header.
      const std::size_t header_capacity = floor + limits.max_header_bytes + kMinReadRoom;
      if (input_.capacity() >= header_capacity) return input_.room() > 0;
      wanted = std::min(wanted, header_capacity);
    }
    const auto old = input_.grow(wanted);
    if (reading) repoint_views(old.get());
    return true;
  }

  void repoint_views(const char* old_base) noexcept {
    const char* base = input_.data();
    const auto repoint = [&](std::string_view& text) {
      if (text.data() != nullptr) text = {base + (text.data() - old_base), text.size()};
    };
    repoint(request_.target);
    for (auto& field : request_.headers) {
      repoint(field.name);
      repoint(field.value);
    }
  }

  void on_read(const ErrorCode& ec, std::size_t n) {
    if (closed()) return;
    if (ec || timed_out_) return on_read_failed();
    input_.commit(n);
    if (phase_ == Phase::idle) begin_request(Clock::now());
    parse();
  }

  void on_read_failed() {
    if (phase_ == Phase::reading && timed_out_) return send_error(408);
    close_now();
  }

  void parse() {
    for (;;) {
      const std::string_view unparsed = input_.unparsed();
      if (unparsed.empty()) break;
      const bool header_was_done = parser_->is_header_done();
      ErrorCode ec;
      const std::size_t used = parser_->feed(unparsed, ec);
      input_.consume(used);
      if (!header_was_done && parser_->is_header_done()) header_end_ = input_.parsed();
      if (ec == bhttp::error::need_more) break;
      if (ec) return on_parse_error(ec);
      if (parser_->is_done()) return on_request_read();
      if (used == 0) break;
    }
    if (parser_->is_header_done() && parser_->expects_continue() && !continue_sent_) {
      continue_sent_ = true;
      asio::async_write(stream_, asio::const_buffer(kContinue.data(), kContinue.size()),
                        [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
                          if (self->closed()) return;
                          if (ec || self->timed_out_) return self->on_read_failed();
                          self->read();
                        });
      return;
    }
    read();
  }

  void on_parse_error(const ErrorCode& ec) {
    if (ec == bhttp::error::header_limit) return send_error(431);
    if (ec == bhttp::error::body_limit) return send_error(413);
    send_error(400);
  }

  void on_request_read() {
    phase_ = Phase::handling;
    // A handler on a worker may take long; its response is timed once it is written.
    deadline_ = Clock::time_point::max();
    const std::size_t question = request_.target.find('?');
    request_.path = request_.target.substr(0, question);
    request_.query = question == std::string_view::npos ? std::string_view{}
                                                        : request_.target.substr(question + 1);
    request_.body = body_;
    request_.remote_address = remote_address_;
    request_.tls = kTls;
    request_.route_param_count = 0;
    version_ = parser_->version();
    keep_alive_ = parser_->keep_alive();
    head_ = request_.method == Method::head;

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
    // The request views point into input_ and body_, which stay put until the response is
    // written; the work guard keeps run() from returning while the handler is still busy.
    try {
      asio::post(core_.workers, [self = this->shared_from_this(), handler = match.handler,
                                 work = asio::make_work_guard(loop_.io)]() mutable {
        self->core_.queued_worker_requests.fetch_sub(1);
        Response response = self->invoke(*handler);
        asio::post(self->loop_.io, [self, response = std::move(response)]() mutable {
          self->send(std::move(response));
        });
        work.reset();
      });
    } catch (...) {
      // Out of memory: with no handler and no deadline left, the connection would only hang.
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

  void send(Response&& response) {
    if (closed()) return;
    if (!valid(response)) {
      spdlog::error(
          "http: handler of route '{}' returned an invalid status or header; "
          "answered 500",
          core_.router.route_names()[route_index_]);
      response = plain_status(500, "Internal Server Error");
    }
    response_ = std::move(response);
    keep_alive_ = keep_alive_ && !stopping();
    const bool bodiless = response_.status == 204 || response_.status == 304;
    serialize_head(bodiless);
    std::string_view body;
    // RFC 9110 8.6: no body and no Content-Length for 204 and 304; HEAD gets the length only.
    if (!bodiless && !head_) body = response_.body;
    write(body);
  }

  void serialize_head(bool bodiless) {
    out_.clear();
    out_.append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    append_number(static_cast<unsigned>(response_.status));
    out_.push_back(' ');
    out_.append(reason_phrase(response_.status));
    out_.append("\r\n");
    for (const auto& [name, value] : response_.headers) {
      if (is_framing_header(name)) continue;
      out_.append(name).append(": ").append(value).append("\r\n");
    }
    if (response_.prepared != nullptr) out_.append(response_.prepared->text());
    if (!response_.content_type.empty()) {
      out_.append("Content-Type: ").append(response_.content_type).append("\r\n");
    }
    if (!bodiless) {
      out_.append("Content-Length: ");
      append_number(response_.body.size());
      out_.append("\r\n");
    }
    if (!keep_alive_) {
      out_.append("Connection: close\r\n");
    } else if (version_ == 10) {
      out_.append("Connection: keep-alive\r\n");
    }
    out_.append("\r\n");
  }

  void append_number(std::size_t number) {
    std::array<char, 24> digits{};
    const auto result = std::to_chars(digits.data(), digits.data() + digits.size(), number);
    out_.append(digits.data(), result.ptr);
  }

  void write(std::string_view body) {
    phase_ = Phase::writing;
    deadline_ = Clock::now() + core_.options.limits.request_timeout;
    auto on_written = [self = this->shared_from_this()](const ErrorCode& ec, std::size_t) {
      self->on_write(ec);
    };
    // TLS sends each buffer as its own record, so its response goes out as one.
    if (kTls || body.empty()) {
      out_.append(body);
      asio::async_write(stream_, asio::const_buffer(out_.data(), out_.size()),
                        std::move(on_written));
    } else {
      const std::array<asio::const_buffer, 2> buffers{asio::const_buffer(out_.data(), out_.size()),
                                                      asio::const_buffer(body.data(), body.size())};
      asio::async_write(stream_, buffers, std::move(on_written));
    }
  }

  void on_write(const ErrorCode& ec) {
    if (closed()) return;
    if (ec) return close_now();
    const Clock::time_point now = Clock::now();
    core_.observe(route_index_, response_.status, now - request_start_);
    // Releases the handler's strings and its keep_alive, which Response promises to hold until
    // the response has been written.
    response_ = Response{};
    if (out_.capacity() > kRetainedBufferBytes) out_ = std::string();
    if (body_.capacity() > kRetainedBufferBytes) body_ = std::string();
    if (!keep_alive_) return close_gracefully(now);
    wait_for_request(now);
  }

  // Errors found while reading: the request is not trustworthy, so the connection closes.
  void send_error(int status) {
    keep_alive_ = false;
    head_ = false;
    version_ = 11;
    route_index_ = Router::kUnmatched;
    send(plain_status(status, reason_phrase(status)));
  }

  void close_gracefully(Clock::time_point now) {
    phase_ = Phase::closing;
    deadline_ = now + std::min<std::chrono::milliseconds>(kLingerTime,
                                                          core_.options.limits.request_timeout);
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](const ErrorCode&) { self->close_now(); });
    } else {
      ErrorCode ec;
      socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close_now();
      input_.clear();
      if (input_.capacity() < kInitialInputBytes) input_.grow(kInitialInputBytes);
      linger();
    }
  }

  void linger() {
    socket().async_read_some(input_.free_space(),
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
    ErrorCode ec;
    socket().close(ec);
    core_.unlink(loop_, this);
  }

  ServerCore& core_;
  Loop& loop_;
  Stream stream_;
  // When the current phase (reading a request, writing a response, waiting) must be over.
  Clock::time_point deadline_;
  InputBuffer input_;
  std::optional<RequestParser> parser_;
  std::size_t header_end_ = 0;
  std::string body_;
  Request request_;
  Response response_;
  std::string out_;
  std::string remote_address_;
  Clock::time_point request_start_;
  std::uint32_t route_index_ = Router::kUnmatched;
  int version_ = 11;
  std::size_t lingered_ = 0;
  Phase phase_ = Phase::idle;
  bool first_request_ = true;
  bool keep_alive_ = false;
  bool head_ = false;
  bool timed_out_ = false;
  bool continue_sent_ = false;
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

  // On the main loop.
  void accept() {
    Loop& loop = core.next_loop();
    core.acceptor.async_accept(loop.io, [this, &loop](const ErrorCode& ec, tcp::socket socket) {
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
      start_connection(loop, std::move(socket));
      accept();
    });
  }

  void start_connection(Loop& loop, tcp::socket socket) {
    // Only the main loop increments, so the check and the increment cannot race.
    if (core.open_count.load() >= core.options.limits.max_connections) return refuse(socket);
    core.open_count.fetch_add(1);
    std::shared_ptr<ConnectionBase> connection;
    if (core.tls) {
      connection = std::make_shared<Connection<TlsStream>>(core, loop, std::move(socket));
    } else {
      connection = std::make_shared<Connection<tcp::socket>>(core, loop, std::move(socket));
    }
    asio::post(loop.io, [connection] { connection->start(); });
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

  // On the main loop.
  void begin_stop() {
    if (core.stopping.load()) return;
    core.stopping.store(true);
    ErrorCode ec;
    core.acceptor.close(ec);
    core.accept_retry_timer.cancel();
    if (core.signals) {
      // Give the signals back: a second SIGTERM during the drain then ends the process.
      core.signals->cancel(ec);
      core.signals->clear(ec);
    }
    for (auto& loop : core.loops) {
      asio::post(loop->io, [target = loop.get()] {
        ServerCore::for_each_connection(
            *target, [](ConnectionBase& connection) { connection.on_server_stop(); });
        if (target->first == nullptr) target->sweep_timer.cancel();
      });
    }
    // Read after `stopping` was set: a connection going from now on cancels the drain timer
    // itself (see ServerCore::connection_gone).
    if (core.open_count.load() == 0) return;
    core.drain_timer.expires_after(core.options.drain_timeout);
    core.drain_timer.async_wait([this](const ErrorCode& error) {
      if (error) return;
      spdlog::warn("http: drain time over; closing remaining connections");
      for (auto& loop : core.loops) {
        asio::post(loop->io, [target = loop.get()] {
          ServerCore::for_each_connection(*target,
                                          [](ConnectionBase& connection) { connection.cut(); });
        });
      }
    });
  }

  static void run_io(asio::io_context& io) noexcept {
    for (;;) {
      try {
        io.run();
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
      tcp::resolver resolver(core.main_loop().io);
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
  Loop& main = core.main_loop();
  if (stop_on_signals) {
    core.signals.emplace(main.io, SIGINT, SIGTERM);
    core.signals->async_wait([&impl](const ErrorCode& ec, int signal_number) {
      if (ec) return;
      spdlog::info("http: signal {} received; stopping", signal_number);
      impl.begin_stop();
    });
  }
  asio::post(main.io, [&impl] {
    if (!impl.core.stopping.load()) impl.accept();
  });
  for (auto& loop : core.loops) {
    asio::post(loop->io, [&core, target = loop.get()] { core.sweep(*target); });
  }
  std::vector<std::thread> threads;
  threads.reserve(core.loops.size() - 1);
  for (std::size_t i = 1; i < core.loops.size(); ++i) {
    threads.emplace_back([&io = core.loops[i]->io] { Impl::run_io(io); });
  }
  Impl::run_io(main.io);
  for (auto& thread : threads) thread.join();
}

void HttpServer::stop() noexcept {
  try {
    asio::post(impl_->core.main_loop().io, [impl = impl_.get()] { impl->begin_stop(); });
  } catch (...) {
    spdlog::error("http: could not schedule the stop");
  }
}

std::size_t HttpServer::open_connections() const noexcept { return impl_->core.open_count.load(); }

std::size_t HttpServer::queued_worker_requests() const noexcept {
  return impl_->core.queued_worker_requests.load();
}

}  // namespace lmsgw::http
