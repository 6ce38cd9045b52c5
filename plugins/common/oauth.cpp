#include "oauth.h"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>

#include "lmsgw/sdk/encoding.h"

namespace lmsgw::plugins::common {

std::string form_encode(Pairs pairs) {
  std::string out;
  for (const auto& [name, value] : pairs) {
    if (value.empty()) continue;
    if (!out.empty()) out += '&';
    out += sdk::percent_encode(name);
    out += '=';
    out += sdk::percent_encode(value);
  }
  return out;
}

std::string with_query(std::string_view base_url, Pairs pairs) {
  std::string out(base_url);
  const std::string query = form_encode(pairs);
  if (query.empty()) return out;
  out += (out.find('?') == std::string::npos) ? '?' : '&';
  return out + query;
}

std::string basic_authorization(std::string_view client_id, std::string_view client_secret) {
  return "Basic " + sdk::base64_encode(sdk::percent_encode(client_id) + ":" +
                                       sdk::percent_encode(client_secret));
}

sdk::Result<boost::json::object> parse_json_object(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) return sdk::Error{sdk::ErrorCode::upstream_malformed, std::string(what) + " is not JSON"};
  if (!value.is_object()) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed,
                      std::string(what) + " is not a JSON object"};
  }
  return std::move(value.as_object());
}

const boost::json::string* string_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_string() : nullptr;
}

const boost::json::object* object_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  return value != nullptr ? value->if_object() : nullptr;
}

std::optional<std::int64_t> int64_member(const boost::json::object& object, std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (const std::int64_t* number = value->if_int64()) return *number;
  if (const std::uint64_t* number = value->if_uint64()) {
    if (*number <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(*number);
  }
  return std::nullopt;
}

sdk::Error unexpected_status(std::string_view step, int status) {
  return sdk::Error{sdk::ErrorCode::upstream_rejected,
                    std::string(step) + " answered HTTP " + std::to_string(status)};
}

sdk::Result<std::string> url_option(const sdk::ConfigNode& config, std::string_view key,
                                    std::string_view fallback, UrlUse use) {
  auto configured = config.get_optional_string(key);
  if (!configured) return configured.error();
  const std::string url = configured->value_or(std::string(fallback));
  const sdk::ConfigNode* node = config.find(key);
  auto error = [&](std::string_view reason) {
    return node != nullptr ? node->error(reason) : config.error(reason);
  };

  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return error("expected an absolute URL");
  const std::string scheme(parsed->scheme());
  if (!parsed->has_authority() || parsed->host().empty() || parsed->has_userinfo() ||
      parsed->has_fragment()) {
    return error("expected a URL with a host and no user info or fragment");
  }
  // Boost.URL reads "http://127.0.0.1.evil.example/" as host 127.0.0.1, path ".evil.example/":
  // after an authority a path must be empty or start with '/'.
  if (!parsed->encoded_path().empty() && parsed->encoded_path().front() != '/') {
    return error("expected a URL with a valid host");
  }
  if (scheme == "https") return url;
  bool loopback = false;
  switch (parsed->host_type()) {
    case boost::urls::host_type::ipv4:
      loopback = parsed->host_ipv4_address().is_loopback();
      break;
    case boost::urls::host_type::ipv6:
      loopback = parsed->host_ipv6_address().is_loopback();
      break;
    case boost::urls::host_type::name:
      loopback = parsed->encoded_host() == "localhost";
      break;
    default:
      break;
  }
  if (scheme == "http" && loopback && use == UrlUse::browser_redirect) return url;
  return error(use == UrlUse::browser_redirect
                   ? "must be https (http only on a loopback host, for local demos)"
                   : "must be https");
}

}  // namespace lmsgw::plugins::common
