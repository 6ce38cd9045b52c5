#include "hello_config.h"

#include <string_view>

namespace hello {
namespace {

using lmsgw::sdk::ConfigNode;
using lmsgw::sdk::Result;

enum class UrlUse { browser, server };

bool is_loopback(std::string_view host) {
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

// An absolute URL with a host, without user info or fragment: `https://host[:port][/path][?q]`.
Result<std::string> url_option(const ConfigNode& config, std::string_view key, UrlUse use) {
  auto url = config.get_string(key);
  if (!url) return url.error();
  const ConfigNode& node = *config.find(key);
  for (char c : *url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return node.error("a URL holds no spaces or control characters");
    }
  }
  const std::size_t scheme_end = url->find("://");
  if (scheme_end == std::string::npos) return node.error("expected an absolute URL");
  const std::string_view scheme = std::string_view(*url).substr(0, scheme_end);
  const std::string_view rest = std::string_view(*url).substr(scheme_end + 3);
  const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  std::string_view host = authority.substr(0, authority.rfind(':'));
  if (authority.starts_with('[')) host = authority.substr(0, authority.find(']') + 1);
  if (host.empty() || authority.find('@') != std::string_view::npos ||
      url->find('#') != std::string::npos) {
    return node.error("expected a URL with a host and no user info or fragment");
  }
  if (scheme == "https") return url;
  if (scheme == "http" && use == UrlUse::browser && is_loopback(host)) return url;
  return node.error(use == UrlUse::browser ? "expected https (http only on a loopback host)"
                                           : "expected https");
}

}  // namespace

Result<HelloConfig> read_config(lmsgw::sdk::PluginContext& context) {
  const ConfigNode& node = context.config();
  if (!node.is_mapping()) return node.error("expected a mapping with client_id and client_secret");
  if (auto keys = node.check_keys({"client_id", "client_secret", "authorize_url", "token_url",
                                   "userinfo_url", "timeout_ms"});
      !keys) {
    return keys.error();
  }
  HelloConfig config;
  auto client_id = node.get_string("client_id");
  if (!client_id) return client_id.error();
  if (client_id->empty()) return node.find("client_id")->error("must not be empty");
  config.client_id = std::move(*client_id);

  // A secret is always a reference (env:NAME or file:PATH); the gateway resolves it and masks
  // its value in every log line.
  const ConfigNode* secret_node = node.find("client_secret");
  if (secret_node == nullptr) return node.missing("client_secret");
  auto secret = context.secrets().resolve(*secret_node);
  if (!secret) return secret.error();
  config.client_secret = std::move(*secret);

  auto authorize = url_option(node, "authorize_url", UrlUse::browser);
  if (!authorize) return authorize.error();
  auto token = url_option(node, "token_url", UrlUse::server);
  if (!token) return token.error();
  auto userinfo = url_option(node, "userinfo_url", UrlUse::server);
  if (!userinfo) return userinfo.error();
  config.authorize_url = std::move(*authorize);
  config.token_url = std::move(*token);
  config.userinfo_url = std::move(*userinfo);

  auto timeout = node.get_int("timeout_ms", 10'000, 100, 60'000);
  if (!timeout) return timeout.error();
  config.timeout = std::chrono::milliseconds(*timeout);
  return config;
}

}  // namespace hello
