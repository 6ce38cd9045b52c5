#include "test_helpers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <iterator>
#include <stdexcept>

namespace lmsgw::http::test {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::string RawResponse::header(std::string_view name) const {
  const std::string wanted = lower(name);
  for (const auto& [key, value] : headers) {
    if (lower(key) == wanted) return value;
  }
  return {};
}

RawSocket::RawSocket(std::uint16_t port, std::chrono::milliseconds read_timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return;
  timeval timeout{};
  timeout.tv_sec = static_cast<time_t>(read_timeout.count() / 1000);
  timeout.tv_usec = static_cast<suseconds_t>((read_timeout.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

RawSocket::~RawSocket() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawSocket::send(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool RawSocket::fill() {
  if (eof_ || fd_ < 0) return false;
  char chunk[4096];
  for (;;) {
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      eof_ = n == 0 || errno == ECONNRESET;
      return false;
    }
    buffered_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<RawResponse> RawSocket::read_response(bool head) {
  std::size_t end = std::string::npos;
  while ((end = buffered_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) return std::nullopt;
  }
  const std::string head_text = buffered_.substr(0, end);
  buffered_.erase(0, end + 4);
  RawResponse response;
  std::size_t line_end = head_text.find("\r\n");
  const std::string status_line = head_text.substr(0, line_end);
  if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
  response.status = std::stoi(status_line.substr(9, 3));
  while (line_end != std::string::npos) {
    const std::size_t start = line_end + 2;
    line_end = head_text.find("\r\n", start);
    const std::string line = head_text.substr(start, line_end - start);
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::size_t value_start = colon + 1;
    while (value_start < line.size() && line[value_start] == ' ') ++value_start;
    response.headers.emplace_back(line.substr(0, colon), line.substr(value_start));
  }
  const std::string length = response.header("content-length");
  if (head || length.empty()) return response;
  response.body = read_exactly(std::stoul(length));
  return response;
}

std::string RawSocket::read_exactly(std::size_t size) {
  while (buffered_.size() < size) {
    if (!fill()) break;
  }
  const std::size_t taken = std::min(size, buffered_.size());
  std::string out = buffered_.substr(0, taken);
  buffered_.erase(0, taken);
  return out;
}

bool RawSocket::closed_by_peer() {
  while (fill()) {
  }
  return eof_;
}

RunningServer::RunningServer(ServerOptions options, const Router& router, RequestObserver observer)
    : server_(std::move(options), router, std::move(observer)) {
  const auto bound = server_.bind();
  if (!bound) throw std::runtime_error("test server cannot bind: " + bound.error().detail);
  thread_ = std::thread([this] { server_.run(false); });
}

RunningServer::~RunningServer() { stop_and_join(); }

void RunningServer::stop_and_join() {
  server_.stop();
  if (thread_.joinable()) thread_.join();
}

ServerOptions test_options() {
  ServerOptions options;
  options.listen_host = "127.0.0.1";
  options.listen_port = 0;
  options.threads = 2;
  options.worker_threads = 2;
  options.limits.max_header_bytes = 2048;
  options.limits.max_body_bytes = 4096;
  options.limits.request_timeout = std::chrono::milliseconds(2000);
  options.limits.idle_timeout = std::chrono::milliseconds(2000);
  options.limits.max_connections = 64;
  options.drain_timeout = std::chrono::milliseconds(3000);
  return options;
}

std::size_t open_file_descriptors() {
  const std::filesystem::directory_iterator entries("/proc/self/fd");
  return static_cast<std::size_t>(std::distance(begin(entries), end(entries)));
}

}  // namespace lmsgw::http::test
