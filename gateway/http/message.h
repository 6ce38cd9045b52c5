// Our own request/response types, so that Beast stays inside server.cpp and client.cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmsgw::http {

enum class Method : std::uint8_t { get, head, post, put, patch, delete_, options, other };

std::string_view to_string(Method method) noexcept;

struct HeaderView {
  std::string_view name;
  std::string_view value;
};

// A request as the server read it. Every view points into the server's buffers and stays
// valid until the handler's response has been sent, also when the handler runs on a worker.
struct Request {
  static constexpr std::size_t kMaxRouteParams = 4;

  Method method = Method::get;
  std::string_view target;  // as sent: path and query
  std::string_view path;
  std::string_view query;  // without '?'
  std::vector<HeaderView> headers;
  std::string_view body;
  std::string_view remote_address;
  bool tls = false;
  // Filled by the router from `{name}` segments of the route pattern (not percent-decoded).
  std::array<std::pair<std::string_view, std::string_view>, kMaxRouteParams> route_params{};
  std::size_t route_param_count = 0;

  // Case-insensitive; the first header named `name`, empty when absent.
  std::string_view header(std::string_view name) const noexcept;
  std::string_view route_param(std::string_view name) const noexcept;
  // The value of cookie `name` in the Cookie header(s), empty when absent.
  std::string_view cookie(std::string_view name) const noexcept;
};

// A block of header lines serialized once ("Name: value\r\n" each) and reused for many
// responses, so a hot path answers without building headers per request.
class PreparedHeaders {
 public:
  // nullopt when a name is not an HTTP token, a value holds a control character, or a name is
  // a framing header (Content-Length, Transfer-Encoding, Connection), which only the server
  // may write.
  static std::optional<PreparedHeaders> make(
      const std::vector<std::pair<std::string, std::string>>& headers);
  const std::string& text() const noexcept { return text_; }

 private:
  explicit PreparedHeaders(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

struct Response {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Written after `headers`, verbatim. Not owned: the handler guarantees it outlives the write
  // of this response (e.g. it belongs to an object the server keeps alive, see `keep_alive`).
  const PreparedHeaders* prepared = nullptr;
  // Kept until the response has been written; lets `prepared` point into shared state.
  std::shared_ptr<const void> keep_alive;

  static Response text(int status, std::string body);
  static Response html(int status, std::string body);
  static Response json(int status, std::string body);
  // Callers pass 303 after a POST; 302 otherwise. The body is a short plain-text line.
  static Response redirect(std::string location, int status = 302);

  Response& with_header(std::string name, std::string value) &;
  Response&& with_header(std::string name, std::string value) &&;
};

// Decodes application/x-www-form-urlencoded (also a URL query): '+' is a space, %XX escapes.
// Appends the pairs to `out` in order; a malformed escape fails the whole decode (false) and
// leaves `out` unchanged.
bool parse_form(std::string_view encoded, std::vector<std::pair<std::string, std::string>>& out);

// Escapes &, <, >, " and ' for HTML text and double-quoted attribute values.
std::string html_escape(std::string_view text);

}  // namespace lmsgw::http
