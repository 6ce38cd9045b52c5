/// @file
/// @brief The HTTP client a plugin uses to talk to its provider.
///
/// The core's implementation verifies TLS certificates and host names (against the system
/// trust store plus any CA the operator configured), refuses plain `http://`, and enforces a
/// time limit and a response size limit on every call. Plugins must not open sockets of
/// their own.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>

#include "lmsgw/sdk/result.h"

namespace lmsgw::sdk {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

/// Case-insensitive lookup of the first header with `name`; empty view when absent.
inline std::string_view find_header(const HttpHeaders& headers, std::string_view name) noexcept {
  for (const auto& [key, value] : headers) {
    if (key.size() != name.size()) continue;
    bool equal = true;
    for (std::size_t i = 0; i < key.size() && equal; ++i) {
      auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
      equal = lower(key[i]) == lower(name[i]);
    }
    if (equal) return value;
  }
  return {};
}

struct HttpRequest {
  std::string method = "GET";
  /// Absolute URL, `https://host[:port]/path?query`.
  std::string url;
  HttpHeaders headers;
  std::string body;
  /// Zero means the client's configured default.
  std::chrono::milliseconds timeout{0};
  /// Zero means the client's configured default.
  std::size_t max_response_bytes = 0;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

/// @warning Implementations are called concurrently from several threads.
class BOOST_SYMBOL_VISIBLE HttpClient {
 public:
  virtual ~HttpClient() = default;

  /// Sends the request and waits for the whole response. Any HTTP status is a success at
  /// this level; an error means no response: `upstream_unavailable` (connect, TLS, time
  /// limit), `limit_exceeded` (response too large) or `invalid_request` (bad URL or scheme).
  virtual Result<HttpResponse> send(const HttpRequest& request) noexcept = 0;
};

}  // namespace lmsgw::sdk
