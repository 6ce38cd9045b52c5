#include "hello_sign_in.h"

#include <charconv>
#include <chrono>
#include <initializer_list>
#include <optional>
#include <utility>

#include <boost/json/parse.hpp>

#include "lmsgw/sdk/encoding.h"

namespace hello {
namespace {

namespace sdk = lmsgw::sdk;

constexpr std::size_t kMaxCodeLength = 512;
constexpr std::size_t kMaxTokenLength = 4096;
constexpr std::size_t kMaxIdLength = 128;
constexpr std::size_t kMaxTextLength = 256;
constexpr std::size_t kMaxResponseBytes = 64 * 1024;

// Letters, digits and `-._:`: what Hello ID uses for ids and login hints. Anything else is
// refused rather than passed on, so no id can smuggle a separator into a URL or a log.
bool is_safe_id(std::string_view text) {
  if (text.empty() || text.size() > kMaxIdLength) return false;
  for (char c : text) {
    const bool allowed = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                         (c >= 'A' && c <= 'Z') || c == '-' || c == '.' || c == '_' || c == ':';
    if (!allowed) return false;
  }
  return true;
}

// Codes and tokens go into form bodies and headers: printable ASCII only.
bool is_visible_ascii(std::string_view text) {
  for (char c : text) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return !text.empty();
}

std::string with_query(const std::string& base,
                       std::initializer_list<std::pair<std::string_view, std::string_view>> pairs) {
  std::string url = base;
  char separator = base.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : pairs) {
    if (value.empty()) continue;
    url += separator;
    url += sdk::percent_encode(name);
    url += '=';
    url += sdk::percent_encode(value);
    separator = '&';
  }
  return url;
}

std::optional<sdk::CivilDate> parse_birthdate(std::string_view text) {
  // Exactly YYYY-MM-DD, and a day that exists.
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  auto number = [&](std::size_t at, std::size_t length, auto& out) {
    auto [end, ec] = std::from_chars(text.data() + at, text.data() + at + length, out);
    return ec == std::errc{} && end == text.data() + at + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                                         std::chrono::day{day}};
  if (!date.ok()) return std::nullopt;
  return sdk::CivilDate{year, month, day};
}

sdk::Role role_of(std::string_view role) {
  if (role == "student") return sdk::Role::student;
  if (role == "teacher") return sdk::Role::teacher;
  if (role == "staff") return sdk::Role::staff;
  if (role == "guardian") return sdk::Role::guardian;
  return sdk::Role::unknown;
}

sdk::Error malformed(std::string_view what) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, "userinfo " + std::string(what)};
}

// An optional text member: absent or null is fine, anything but a string of sane length is not.
sdk::Result<std::optional<std::string>> optional_text(const boost::json::object& object,
                                                      std::string_view key) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>{};
  if (!value->is_string()) return malformed(std::string(key) + " is not a string");
  if (value->get_string().size() > kMaxTextLength) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded,
                      "userinfo " + std::string(key) + " is too long"};
  }
  if (value->get_string().empty()) return std::optional<std::string>{};
  return std::optional<std::string>(std::string(value->get_string()));
}

}  // namespace

sdk::Result<sdk::ExternalIdentity> identity_from_userinfo(const boost::json::object& userinfo) {
  sdk::ExternalIdentity identity;
  const boost::json::value* sub = userinfo.if_contains("sub");
  if (sub == nullptr || !sub->is_string() || !is_safe_id(sub->get_string())) {
    return malformed("has no valid sub");
  }
  identity.subject = std::string(sub->get_string());

  auto role = optional_text(userinfo, "role");
  if (!role) return role.error();
  identity.role = role->has_value() ? role_of(**role) : sdk::Role::unknown;

  auto school = optional_text(userinfo, "school");
  if (!school) return school.error();
  if (*school && !is_safe_id(**school)) return malformed("school is not a valid id");
  identity.provider_district = std::move(*school);

  for (auto [key, field] :
       {std::pair{"given_name", &identity.given_name},
        std::pair{"family_name", &identity.family_name}, std::pair{"email", &identity.email}}) {
    auto text = optional_text(userinfo, key);
    if (!text) return text.error();
    *field = std::move(*text);
  }

  if (const boost::json::value* verified = userinfo.if_contains("email_verified")) {
    if (!verified->is_bool()) return malformed("email_verified is not a boolean");
    identity.email_verified = verified->get_bool() && identity.email.has_value();
  }

  auto birthdate = optional_text(userinfo, "birthdate");
  if (!birthdate) return birthdate.error();
  if (*birthdate) {
    identity.birthdate = parse_birthdate(**birthdate);
    if (!identity.birthdate) return malformed("birthdate is not a YYYY-MM-DD date");
  }

  // Every other text claim is reported as is; the gateway never stores `extra`.
  for (const auto& member : userinfo) {
    static constexpr std::string_view kMapped[] = {
        "sub",         "role",  "school",         "given_name",
        "family_name", "email", "email_verified", "birthdate"};
    bool mapped = false;
    for (std::string_view key : kMapped) mapped = mapped || member.key() == key;
    if (!mapped && member.value().is_string()) {
      identity.extra.emplace(std::string(member.key()), std::string(member.value().get_string()));
    }
  }
  return identity;
}

HelloSignIn::HelloSignIn(HelloConfig config, sdk::PluginContext& context)
    : config_(std::move(config)), context_(context) {}

sdk::Result<sdk::LoginRedirect> HelloSignIn::begin(const sdk::LoginRequest& request) noexcept {
  // guarded(): whatever throws in here (std::bad_alloc, a library) becomes an `internal` error
  // instead of crossing the plugin boundary.
  return sdk::guarded([&]() -> sdk::Result<sdk::LoginRedirect> {
    std::string login_hint;
    if (auto hint = request.params.find("login_hint"); hint != request.params.end()) {
      if (!is_safe_id(hint->second)) {
        return sdk::Error{sdk::ErrorCode::invalid_request, "login_hint is not a valid Hello ID id"};
      }
      login_hint = hint->second;
    }
    // The core minted state and the PKCE challenge and keeps the verifier; the plugin only
    // passes them on, with the connection's exact redirect URI.
    sdk::LoginRedirect redirect;
    redirect.url = with_query(config_.authorize_url, {{"response_type", "code"},
                                                      {"client_id", config_.client_id},
                                                      {"redirect_uri", request.redirect_uri},
                                                      {"state", request.state},
                                                      {"code_challenge", request.code_challenge},
                                                      {"code_challenge_method", "S256"},
                                                      {"login_hint", login_hint}});
    return redirect;
  });
}

sdk::Result<sdk::ExternalIdentity> HelloSignIn::complete(
    const sdk::CallbackRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::ExternalIdentity> {
    if (request.params.contains("error")) {
      return sdk::Error{sdk::ErrorCode::provider_denied,
                        "Hello ID returned an error to the callback"};
    }
    // Hello ID has no provider-initiated sign-in: a callback must belong to a login the
    // gateway started, or the code could be an attacker's (login CSRF).
    if (!request.login) {
      return sdk::Error{sdk::ErrorCode::state_missing, "Hello ID sign-ins start at the gateway"};
    }
    auto code = request.params.find("code");
    if (code == request.params.end() || code->second.empty()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no code"};
    }
    if (code->second.size() > kMaxCodeLength || !is_visible_ascii(code->second)) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback code is malformed"};
    }
    auto access_token = redeem(code->second, request.redirect_uri, request.login->code_verifier);
    if (!access_token) return access_token.error();
    return fetch_identity(*access_token);
  });
}

sdk::Result<boost::json::object> HelloSignIn::call(const sdk::HttpRequest& request,
                                                   std::string_view step) {
  auto response = context_.http().send(request);
  if (!response) {
    context_.logger().warn("Hello ID request failed",
                           {{"step", step}, {"error", to_string(response.error().code)}});
    return response.error();
  }
  if (response->status != 200) {
    context_.logger().warn("Hello ID refused the request",
                           {{"step", step}, {"status", std::to_string(response->status)}});
    return sdk::Error{sdk::ErrorCode::upstream_rejected,
                      std::string(step) + " answered HTTP " + std::to_string(response->status)};
  }
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response->body, ec);
  if (ec || !body.is_object()) {
    context_.logger().warn("Hello ID answered something else than a JSON object", {{"step", step}});
    return sdk::Error{sdk::ErrorCode::upstream_malformed,
                      std::string(step) + " answer is not a JSON object"};
  }
  return std::move(body.get_object());
}

sdk::Result<std::string> HelloSignIn::redeem(const std::string& code,
                                             const std::string& redirect_uri,
                                             const std::string& code_verifier) {
  sdk::HttpRequest request;
  request.method = "POST";
  request.url = config_.token_url;
  request.timeout = config_.timeout;
  request.max_response_bytes = kMaxResponseBytes;
  // RFC 6749 2.3.1: both parts form-encoded before they are joined and base64-encoded.
  const std::string credentials = sdk::percent_encode(config_.client_id) + ":" +
                                  sdk::percent_encode(config_.client_secret.reveal());
  request.headers = {{"Authorization", "Basic " + sdk::base64_encode(credentials)},
                     {"Content-Type", "application/x-www-form-urlencoded"},
                     {"Accept", "application/json"}};
  request.body = "grant_type=authorization_code&code=" + sdk::percent_encode(code) +
                 "&redirect_uri=" + sdk::percent_encode(redirect_uri) +
                 "&code_verifier=" + sdk::percent_encode(code_verifier);
  auto answer = call(request, "token endpoint");
  if (!answer) return answer.error();

  const boost::json::value* token = answer->if_contains("access_token");
  if (token == nullptr || !token->is_string() || !is_visible_ascii(token->get_string()) ||
      token->get_string().size() > kMaxTokenLength) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed,
                      "token response has no valid access_token"};
  }
  const boost::json::value* type = answer->if_contains("token_type");
  std::string lowered = type != nullptr && type->is_string() ? std::string(type->get_string()) : "";
  for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
  if (lowered != "bearer") {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response is not a bearer token"};
  }
  return std::string(token->get_string());
}

sdk::Result<sdk::ExternalIdentity> HelloSignIn::fetch_identity(const std::string& access_token) {
  sdk::HttpRequest request;
  request.url = config_.userinfo_url;
  request.timeout = config_.timeout;
  request.max_response_bytes = kMaxResponseBytes;
  request.headers = {{"Authorization", "Bearer " + access_token}, {"Accept", "application/json"}};
  auto answer = call(request, "userinfo endpoint");
  if (!answer) return answer.error();
  auto identity = identity_from_userinfo(*answer);
  if (!identity) {
    // The error names the claim that failed, never its value.
    context_.logger().warn("Hello ID userinfo refused",
                           {{"step", "userinfo"}, {"error", to_string(identity.error().code)}});
  }
  return identity;
}

sdk::Result<std::unique_ptr<sdk::AuthPlugin>> make_sign_in(sdk::PluginContext& context) {
  auto config = read_config(context);
  if (!config) return config.error();
  return std::unique_ptr<sdk::AuthPlugin>(
      std::make_unique<HelloSignIn>(std::move(*config), context));
}

}  // namespace hello
