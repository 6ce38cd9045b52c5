#include "config/validators.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace lmsgw::config {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// 0..65535, digits only.
bool parse_port(std::string_view text, std::uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool is_dns_name(std::string_view host) {
  if (host.empty() || host.size() > 253 || host.front() == '.' || host.back() == '.') {
    return false;
  }
  return std::all_of(host.begin(), host.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '-' || c == '.'; });
}

}  // namespace

sdk::Result<ListenAddress> parse_listen(const sdk::ConfigNode& node) {
  const std::string& text = node.text();
  const std::string expected = "expected host:port (e.g. 127.0.0.1:8080 or [::1]:8080)";
  ListenAddress address;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    std::size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return node.error(expected);
    }
    address.host = text.substr(1, close - 1);
    in6_addr parsed{};
    if (inet_pton(AF_INET6, address.host.c_str(), &parsed) != 1) {
      return node.error("'" + address.host + "' is not an IPv6 address");
    }
    port_text = std::string_view(text).substr(close + 2);
  } else {
    std::size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return node.error(expected);
    address.host = text.substr(0, colon);
    if (address.host.find(':') != std::string::npos) {
      return node.error("an IPv6 address must be in brackets, e.g. [::1]:8080");
    }
    if (!is_dns_name(address.host)) {
      return node.error("'" + address.host + "' is not an IP address or host name");
    }
    port_text = std::string_view(text).substr(colon + 1);
  }
  if (!parse_port(port_text, address.port)) {
    return node.error("the port must be a number between 0 and 65535");
  }
  return address;
}

sdk::Result<HttpUrl> parse_http_url(const sdk::ConfigNode& node, UrlRules rules) {
  const std::string expected = "expected an absolute http:// or https:// URL";
  auto parsed = boost::urls::parse_uri(node.text());
  if (!parsed) return node.error(expected);
  const boost::urls::url_view& url = *parsed;
  HttpUrl result;
  std::string scheme = lower(url.scheme());
  if (scheme != "http" && scheme != "https") return node.error(expected);
  result.https = scheme == "https";
  if (!url.has_authority() || url.encoded_host().empty()) {
    return node.error(expected + " with a host");
  }
  // Boost.URL reads "https://127.0.0.1.evil.example" as host 127.0.0.1 and path ".evil.example".
  if (!url.encoded_path().empty() && url.encoded_path().front() != '/') {
    return node.error("has an invalid host");
  }
  if (url.has_userinfo()) return node.error("must not contain user information");
  if (url.has_fragment()) return node.error("must not contain a fragment (#...)");
  if (!rules.allow_query && url.has_query()) return node.error("must not contain a query");

  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      result.host = url.host_ipv4_address().to_string();
      result.loopback = url.host_ipv4_address().is_loopback();
      break;
    case boost::urls::host_type::ipv6:
      result.host = url.host_ipv6_address().to_string();
      result.loopback = url.host_ipv6_address().is_loopback();
      break;
    case boost::urls::host_type::name:
      result.host = lower(url.encoded_host());
      if (!is_dns_name(result.host)) return node.error("has an invalid host name");
      result.loopback = result.host == "localhost";
      break;
    default:
      return node.error("has an invalid host");
  }

  result.port = result.https ? 443 : 80;
  if (url.has_port() && !parse_port(url.port(), result.port)) {
    return node.error("has an invalid port");
  }
  if (url.has_port() && result.port == 0) return node.error("has an invalid port");

  result.path = std::string(url.encoded_path());
  if (!rules.allow_trailing_slash && !result.path.empty() && result.path.back() == '/') {
    return node.error("must not end with a slash");
  }
  return result;
}

bool url_under_prefix(const HttpUrl& url, const HttpUrl& prefix) {
  if (url.https != prefix.https || url.host != prefix.host || url.port != prefix.port) {
    return false;
  }
  std::string_view base = prefix.path.empty() ? std::string_view("/") : prefix.path;
  std::string_view path = url.path.empty() ? std::string_view("/") : url.path;
  if (path.substr(0, base.size()) != base) return false;
  return path.size() == base.size() || base.back() == '/' || path[base.size()] == '/';
}

bool is_identifier(std::string_view text) noexcept {
  if (text.empty() || text.size() > 63) return false;
  auto lower_alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!lower_alnum(text.front())) return false;
  return std::all_of(text.begin(), text.end(),
                     [&](char c) { return lower_alnum(c) || c == '_' || c == '-'; });
}

bool is_http_token(std::string_view text) noexcept {
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [&](char c) {
    auto u = static_cast<unsigned char>(c);
    return std::isalnum(u) != 0 || kSymbols.find(c) != std::string_view::npos;
  });
}

std::string resolve_path(const std::filesystem::path& base, const std::string& path) {
  std::filesystem::path value(path);
  if (value.is_relative()) value = base / value;
  return value.lexically_normal().string();
}

}  // namespace lmsgw::config
