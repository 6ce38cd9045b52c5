#include "discovery.h"

#include <algorithm>

#include <boost/json/array.hpp>
#include <boost/url/parse.hpp>

#include "oauth.h"

namespace lmsgw::plugins::google {
namespace {

constexpr std::chrono::seconds kRetryInterval{10};

sdk::Error malformed(std::string detail) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, "discovery document: " + detail};
}

// By the parsed host, not its spelling: "127.evil.example" is a DNS name that can point anywhere.
bool is_loopback(const boost::urls::url_view& url) {
  switch (url.host_type()) {
    case boost::urls::host_type::ipv4:
      return url.host_ipv4_address().is_loopback();
    case boost::urls::host_type::ipv6:
      return url.host_ipv6_address().is_loopback();
    case boost::urls::host_type::name:
      return url.encoded_host() == "localhost";
    default:
      return false;
  }
}

// An endpoint URL from the document. Only the browser visits the authorization endpoint, so
// there (and only there) plain http is accepted on a loopback host, for local demos.
sdk::Result<std::string> endpoint(const boost::json::object& document, std::string_view key,
                                  bool browser_only) {
  const boost::json::string* value = common::string_member(document, key);
  if (value == nullptr || value->empty()) return malformed(std::string(key) + " is missing");
  auto parsed = boost::urls::parse_absolute_uri(*value);
  // Boost.URL 1.81 reads "http://127.0.0.1.evil.example/x" as host 127.0.0.1 and path
  // ".evil.example/x"; after an authority a path must begin with '/' (RFC 3986 3.3).
  if (!parsed || !parsed->has_authority() || parsed->host().empty() || parsed->has_userinfo() ||
      parsed->has_fragment() ||
      (!parsed->encoded_path().empty() && !parsed->encoded_path().starts_with('/'))) {
    return malformed(std::string(key) + " is not an absolute URL with a host");
  }
  const bool https = parsed->scheme() == "https";
  const bool demo = browser_only && parsed->scheme() == "http" && is_loopback(*parsed);
  if (!https && !demo) return malformed(std::string(key) + " is not https");
  return std::string(*value);
}

// Where the document lists the values it supports for `key`, `wanted` must be among them.
sdk::Result<void> supports_any(const boost::json::object& document, std::string_view key,
                               const std::vector<std::string>& wanted) {
  const boost::json::value* listed = document.if_contains(key);
  if (listed == nullptr) return {};
  const boost::json::array* values = listed->if_array();
  if (values == nullptr) return malformed(std::string(key) + " is not an array");
  for (const boost::json::value& value : *values) {
    if (const boost::json::string* text = value.if_string()) {
      if (std::find(wanted.begin(), wanted.end(), std::string_view(*text)) != wanted.end()) {
        return {};
      }
    }
  }
  return malformed(std::string(key) + " lists none of the values this connection uses");
}

// The document's issuer, which must be one of `rules.issuers` exactly (OpenID Connect
// Discovery 1.0 section 4.3): a document that names another issuer could hand us another
// provider's endpoints.
sdk::Result<std::string> expected_issuer(const boost::json::object& document,
                                         const DiscoveryRules& rules) {
  const boost::json::string* issuer = common::string_member(document, "issuer");
  if (issuer == nullptr) return malformed("issuer is missing");
  if (std::find(rules.issuers.begin(), rules.issuers.end(), std::string_view(*issuer)) ==
      rules.issuers.end()) {
    return malformed("issuer is not the one this connection expects");
  }
  return std::string(*issuer);
}

}  // namespace

sdk::Result<Discovery> parse_risc_configuration(std::string_view body,
                                                const DiscoveryRules& rules) {
  auto parsed = common::parse_json_object(body, "RISC configuration");
  if (!parsed) return parsed.error();
  Discovery out;
  auto issuer = expected_issuer(*parsed, rules);
  if (!issuer) return issuer.error();
  out.issuer = std::move(*issuer);
  auto jwks = endpoint(*parsed, "jwks_uri", false);
  if (!jwks) return jwks.error();
  out.jwks_uri = std::move(*jwks);
  return out;
}

sdk::Result<Discovery> parse_discovery(std::string_view body, const DiscoveryRules& rules) {
  auto parsed = common::parse_json_object(body, "discovery document");
  if (!parsed) return parsed.error();
  const boost::json::object& document = *parsed;

  Discovery out;
  auto issuer = expected_issuer(document, rules);
  if (!issuer) return issuer.error();
  out.issuer = std::move(*issuer);

  auto authorization = endpoint(document, "authorization_endpoint", true);
  if (!authorization) return authorization.error();
  auto token = endpoint(document, "token_endpoint", false);
  if (!token) return token.error();
  auto jwks = endpoint(document, "jwks_uri", false);
  if (!jwks) return jwks.error();
  out.authorization_endpoint = std::move(*authorization);
  out.token_endpoint = std::move(*token);
  out.jwks_uri = std::move(*jwks);

  for (auto [key, wanted] :
       {std::pair<std::string_view, std::vector<std::string>>{"response_types_supported", {"code"}},
        {"code_challenge_methods_supported", {"S256"}},
        {"id_token_signing_alg_values_supported", rules.algorithms},
        {"token_endpoint_auth_methods_supported", {rules.client_auth_method}}}) {
    if (auto supported = supports_any(document, key, wanted); !supported) return supported.error();
  }
  if (const boost::json::value* flag =
          document.if_contains("authorization_response_iss_parameter_supported")) {
    out.issuer_in_response = flag->is_bool() && flag->get_bool();
  }
  return out;
}

DiscoveryCache::DiscoveryCache(DiscoveryRules rules, sdk::HttpClient& http, const sdk::Clock& clock,
                               sdk::Logger& logger, Parser parse)
    : rules_(std::move(rules)), parse_(parse), http_(http), clock_(clock), logger_(logger) {}

sdk::Result<Discovery> DiscoveryCache::fetch() {
  sdk::HttpRequest request;
  request.url = rules_.url;
  request.timeout = rules_.timeout;
  request.max_response_bytes = kMaxDiscoveryBytes;
  request.headers = {{"Accept", "application/json"}};
  auto response = http_.send(request);
  if (!response) return response.error();
  if (response->status != 200) return common::unexpected_status("discovery", response->status);
  return parse_(response->body, rules_);
}

sdk::Result<std::shared_ptr<const Discovery>> DiscoveryCache::get() {
  // One lock over lookup and fetch: concurrent sign-ins then share one fetch.
  std::lock_guard lock(mutex_);
  const auto now = clock_.now();
  const bool have = current_ && now >= fetched_at_;
  if (have && now - fetched_at_ < rules_.lifetime) return current_;
  const bool stale_usable = have && now - fetched_at_ < 2 * rules_.lifetime;
  // A clock set back must not stretch the wait.
  const bool retry_pending = now < next_retry_ && next_retry_ - now <= kRetryInterval;
  if (stale_usable && retry_pending) return current_;
  if (!stale_usable && retry_pending && last_failure_) return *last_failure_;

  auto fetched = fetch();
  if (!fetched) {
    logger_.warn("discovery document unavailable",
                 {{"step", "discovery"}, {"error", to_string(fetched.error().code)}});
    next_retry_ = now + kRetryInterval;
    last_failure_ = fetched.error();
    if (stale_usable) return current_;
    return fetched.error();
  }
  current_ = std::make_shared<const Discovery>(std::move(*fetched));
  fetched_at_ = now;
  last_failure_.reset();
  return current_;
}

}  // namespace lmsgw::plugins::google
