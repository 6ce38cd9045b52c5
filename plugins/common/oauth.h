// Helpers every OAuth 2.0 / OpenID Connect plugin needs. Plugins share them here rather than
// copy them; the core never includes this folder.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/object.hpp>

#include "lmsgw/sdk/config_node.h"
#include "lmsgw/sdk/http.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::common {

using Pairs = std::initializer_list<std::pair<std::string_view, std::string_view>>;

// application/x-www-form-urlencoded body; pairs with an empty value are left out.
std::string form_encode(Pairs pairs);

// `base_url` with the pairs appended to its query (after '?' or '&').
std::string with_query(std::string_view base_url, Pairs pairs);

// RFC 6749 section 2.3.1: both parts form-encoded, then joined and base64-encoded.
std::string basic_authorization(std::string_view client_id, std::string_view client_secret);

// Parses a provider's JSON answer that must be an object. `what` names the step in errors
// ("token response"); the body itself never appears in an error.
sdk::Result<boost::json::object> parse_json_object(std::string_view body, std::string_view what);

// The string member `key`, or nullptr when absent or not a string.
const boost::json::string* string_member(const boost::json::object& object, std::string_view key);
// The object member `key`, or nullptr when absent or not an object.
const boost::json::object* object_member(const boost::json::object& object, std::string_view key);
// The integer member `key` (a time in Unix seconds, say), or nullopt when absent, not an
// integer or beyond int64.
std::optional<std::int64_t> int64_member(const boost::json::object& object, std::string_view key);

// The standard error for an answer with an unexpected HTTP status.
sdk::Error unexpected_status(std::string_view step, int status);

enum class UrlUse : std::uint8_t {
  // Fetched by the gateway: https only.
  server_to_server,
  // Only ever visited by the browser: https, or http on a loopback host for local demos.
  browser_redirect,
};

// Reads an absolute URL option (or `fallback` when absent) and checks it for `use`: no user
// info, no fragment, host present. Errors name `file:line: key`.
sdk::Result<std::string> url_option(const sdk::ConfigNode& config, std::string_view key,
                                    std::string_view fallback, UrlUse use);

}  // namespace lmsgw::plugins::common
