#include "clever_sign_in.h"

#include <cctype>

#include "clever_user.h"
#include "oauth.h"

namespace lmsgw::plugins::clever {
namespace {

constexpr std::size_t kMaxCodeLength = 512;
constexpr std::size_t kMaxTokenResponseBytes = 64 * 1024;
constexpr std::size_t kMaxRecordBytes = 1024 * 1024;

// Parameters a login request may pass on to Clever's authorize endpoint. `district_id` skips
// Clever's district picker; `login_hint` is the OpenID Connect hint (our fake Clever uses it
// to sign a fixture user in without interaction).
constexpr std::string_view kForwardedLoginParams[] = {"district_id", "login_hint"};
constexpr std::size_t kMaxForwardedParamLength = 128;

}  // namespace

CleverSignIn::CleverSignIn(CleverConfig config, sdk::PluginContext& context)
    : config_(std::move(config)), context_(context) {}

sdk::Result<sdk::LoginRedirect> CleverSignIn::begin(const sdk::LoginRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::LoginRedirect> {
    std::string district_id;
    std::string login_hint;
    for (std::string_view name : kForwardedLoginParams) {
      auto it = request.params.find(std::string(name));
      if (it == request.params.end()) continue;
      if (it->second.size() > kMaxForwardedParamLength || !is_safe_id(it->second)) {
        return sdk::Error{sdk::ErrorCode::invalid_request,
                          std::string(name) + " is not a valid Clever id"};
      }
      (name == "district_id" ? district_id : login_hint) = it->second;
    }
    sdk::LoginRedirect redirect;
    redirect.url =
        common::with_query(config_.authorize_url, {{"response_type", "code"},
                                                   {"client_id", config_.client_id},
                                                   {"redirect_uri", request.redirect_uri},
                                                   {"state", request.state},
                                                   {"district_id", district_id},
                                                   {"login_hint", login_hint}});
    return redirect;
  });
}

sdk::Result<sdk::ExternalIdentity> CleverSignIn::complete(
    const sdk::CallbackRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::ExternalIdentity> {
    if (request.params.contains("error")) {
      return sdk::Error{sdk::ErrorCode::provider_denied,
                        "Clever returned an error to the callback"};
    }
    auto code = request.params.find("code");
    if (code == request.params.end() || code->second.empty()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no code"};
    }
    if (code->second.size() > kMaxCodeLength) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback code is too long"};
    }
    // Instant Login: no login of ours to match. The code is still redeemed server-side, once,
    // with our client secret and our exact redirect URI, so it must have been issued to us.
    auto access_token = redeem_code(code->second, request.redirect_uri);
    if (!access_token) return access_token.error();
    auto user_id = fetch_me(*access_token);
    if (!user_id) return user_id.error();
    return fetch_user(*access_token, *user_id);
  });
}

sdk::Result<std::string> CleverSignIn::redeem_code(const std::string& code,
                                                   const std::string& redirect_uri) {
  sdk::HttpRequest token_request;
  token_request.method = "POST";
  token_request.url = config_.token_url;
  token_request.timeout = config_.timeout;
  token_request.max_response_bytes = kMaxTokenResponseBytes;
  token_request.headers = {
      {"Authorization",
       common::basic_authorization(config_.client_id, config_.client_secret.reveal())},
      {"Content-Type", "application/x-www-form-urlencoded"},
      {"Accept", "application/json"}};
  token_request.body = common::form_encode(
      {{"code", code}, {"grant_type", "authorization_code"}, {"redirect_uri", redirect_uri}});

  auto response = context_.http().send(token_request);
  if (!response) {
    context_.logger().warn("token request failed",
                           {{"step", "token"}, {"error", to_string(response.error().code)}});
    return response.error();
  }
  if (response->status != 200) {
    context_.logger().warn("token endpoint refused the code",
                           {{"step", "token"}, {"status", std::to_string(response->status)}});
    return common::unexpected_status("token endpoint", response->status);
  }
  auto body = common::parse_json_object(response->body, "token response");
  if (!body) return body.error();
  const boost::json::string* token = common::string_member(*body, "access_token");
  if (token == nullptr || token->empty()) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response has no access_token"};
  }
  if (const boost::json::string* type = common::string_member(*body, "token_type")) {
    std::string lowered(*type);
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (lowered != "bearer") {
      return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response is not a bearer token"};
    }
  }
  return std::string(*token);
}

sdk::Result<sdk::HttpResponse> CleverSignIn::get_json(const std::string& url,
                                                      const std::string& token,
                                                      std::string_view step) {
  sdk::HttpRequest request;
  request.url = url;
  request.timeout = config_.timeout;
  request.max_response_bytes = kMaxRecordBytes;
  request.headers = {{"Authorization", "Bearer " + token}, {"Accept", "application/json"}};
  auto response = context_.http().send(request);
  if (!response) {
    context_.logger().warn("Clever API request failed",
                           {{"step", step}, {"error", to_string(response.error().code)}});
    return response.error();
  }
  if (response->status != 200) {
    context_.logger().warn("Clever API refused the request",
                           {{"step", step}, {"status", std::to_string(response->status)}});
    return common::unexpected_status(step, response->status);
  }
  return response;
}

sdk::Result<std::string> CleverSignIn::fetch_me(const std::string& access_token) {
  auto response = get_json(config_.api_base_url + "/v3.0/me", access_token, "me");
  if (!response) return response.error();
  auto body = common::parse_json_object(response->body, "/me response");
  if (!body) return body.error();
  const boost::json::object* data = common::object_member(*body, "data");
  const boost::json::string* id = data != nullptr ? common::string_member(*data, "id") : nullptr;
  if (id == nullptr || !is_safe_id(*id)) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "/me response has no valid data.id"};
  }
  return std::string(*id);
}

sdk::Result<sdk::ExternalIdentity> CleverSignIn::fetch_user(const std::string& access_token,
                                                            const std::string& user_id) {
  auto response =
      get_json(config_.api_base_url + "/v3.0/users/" + user_id, access_token, "user record");
  if (!response) return response.error();
  auto body = common::parse_json_object(response->body, "user record");
  if (!body) return body.error();
  const boost::json::object* data = common::object_member(*body, "data");
  if (data == nullptr) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "user record has no data object"};
  }
  auto identity = identity_from_user(*data);
  if (!identity) return identity.error();
  if (identity->subject != user_id) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "user record is not the signed-in user"};
  }
  return identity;
}

}  // namespace lmsgw::plugins::clever
