// Checks of single configuration values (addresses, URLs, identifiers, paths). Internal to
// the config library; each failing check returns an error located at the node it read.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::config {

struct ListenAddress {
  std::string host;  // IPv6 without its brackets
  std::uint16_t port = 0;
};

// `host:port`, `[v6]:port`. The host is an IPv4 address, an IPv6 address in brackets or a
// DNS name; the port is 0..65535.
sdk::Result<ListenAddress> parse_listen(const sdk::ConfigNode& node);

struct HttpUrl {
  bool https = false;
  std::string host;        // lower case; IPv6 without brackets
  std::uint16_t port = 0;  // the scheme's default when the URL names none
  std::string path;        // as written (percent-encoded), may be empty
  bool loopback = false;   // localhost, 127.0.0.0/8 or ::1
};

struct UrlRules {
  bool allow_query = false;
  bool allow_trailing_slash = true;
};

// An absolute http:// or https:// URL with a host, without user information or fragment.
sdk::Result<HttpUrl> parse_http_url(const sdk::ConfigNode& node, UrlRules rules);

// Same scheme, host and port, and `url`'s path starts with the prefix's path on a segment
// boundary (`/app` covers `/app` and `/app/x`, not `/apple`).
bool url_under_prefix(const HttpUrl& url, const HttpUrl& prefix);

// `[a-z0-9][a-z0-9_-]{0,62}`: connection, district and plugin names, which appear in URLs,
// headers and file names.
bool is_identifier(std::string_view text) noexcept;

// An HTTP token (RFC 9110 tchar), as a cookie name must be.
bool is_http_token(std::string_view text) noexcept;

// `path` as is when absolute, else relative to `base`; lexically normalised.
std::string resolve_path(const std::filesystem::path& base, const std::string& path);

}  // namespace lmsgw::config
