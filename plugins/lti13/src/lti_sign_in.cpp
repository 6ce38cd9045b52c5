#include "lti_sign_in.h"

#include <algorithm>

#include "lti_claims.h"
#include "oauth.h"

namespace lmsgw::plugins::lti13 {
namespace {

// login_hint and lti_message_hint are opaque to us and echoed back; Canvas sends a signed
// message hint of several hundred bytes.
constexpr std::size_t kMaxLoginHintBytes = 1024;
constexpr std::size_t kMaxMessageHintBytes = 2048;
// flow_data holds the deployment hint (255) and the target, and must stay under 1 KiB.
constexpr std::size_t kMaxTargetLinkUriBytes = 760;

using Params = std::map<std::string, std::string>;

const std::string* param(const Params& params, std::string_view name) {
  auto it = params.find(std::string(name));
  return it == params.end() ? nullptr : &it->second;
}

bool printable(std::string_view text) noexcept {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= ' ' && c < 0x7f; });
}

sdk::Error bad_login(std::string detail) {
  return sdk::Error{sdk::ErrorCode::invalid_request, std::move(detail)};
}

// flow_data: "<lti_deployment_id of the login, or empty>\n<target_link_uri>". A deployment id
// is printable ASCII (checked against the registered ones), so the newline separates.
std::string encode_flow(std::string_view deployment_id, std::string_view target) {
  return std::string(deployment_id) + "\n" + std::string(target);
}

std::optional<LaunchExpectations> decode_flow(std::string_view flow) {
  const auto newline = flow.find('\n');
  if (newline == std::string_view::npos) return std::nullopt;
  LaunchExpectations expected{std::string(flow.substr(0, newline)),
                              std::string(flow.substr(newline + 1))};
  if (expected.target_link_uri.empty()) return std::nullopt;
  return expected;
}

}  // namespace

LtiSignIn::LtiSignIn(LtiConfig config, sdk::PluginContext& context)
    : config_(std::move(config)), context_(context) {}

sdk::Result<sdk::LoginRedirect> LtiSignIn::begin(const sdk::LoginRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::LoginRedirect> {
    const Params& params = request.params;
    const std::string* iss = param(params, "iss");
    if (iss == nullptr || *iss != config_.issuer) {
      return bad_login("login iss is missing or not this connection's platform");
    }
    if (const std::string* client_id = param(params, "client_id");
        client_id != nullptr && *client_id != config_.client_id) {
      return bad_login("login client_id is not ours");
    }
    std::string deployment_id;
    if (const std::string* deployment = param(params, "lti_deployment_id")) {
      if (!config_.deployment_registered(*deployment)) {
        return sdk::Error{sdk::ErrorCode::not_permitted,
                          "login lti_deployment_id is not registered here"};
      }
      deployment_id = *deployment;
    }
    const std::string* login_hint = param(params, "login_hint");
    if (login_hint == nullptr || login_hint->empty()) return bad_login("login_hint missing");
    if (login_hint->size() > kMaxLoginHintBytes || !printable(*login_hint)) {
      return bad_login("login_hint too long or not printable");
    }
    std::string message_hint;
    if (const std::string* hint = param(params, "lti_message_hint")) {
      if (hint->size() > kMaxMessageHintBytes || !printable(*hint)) {
        return bad_login("lti_message_hint too long or not printable");
      }
      message_hint = *hint;
    }
    const std::string* target = param(params, "target_link_uri");
    if (target == nullptr || target->empty()) return bad_login("target_link_uri missing");
    if (target->size() > kMaxTargetLinkUriBytes || !printable(*target)) {
      return bad_login("target_link_uri too long or not printable");
    }

    sdk::LoginRedirect redirect;
    redirect.url =
        common::with_query(config_.auth_endpoint, {{"scope", "openid"},
                                                   {"response_type", "id_token"},
                                                   {"response_mode", "form_post"},
                                                   {"prompt", "none"},
                                                   {"client_id", config_.client_id},
                                                   {"redirect_uri", request.redirect_uri},
                                                   {"login_hint", *login_hint},
                                                   {"lti_message_hint", message_hint},
                                                   {"state", request.state},
                                                   {"nonce", request.nonce}});
    redirect.flow_data = encode_flow(deployment_id, *target);
    // The core lands the browser here only when it is under session.return_urls.
    redirect.return_to = *target;
    return redirect;
  });
}

sdk::Result<sdk::ExternalIdentity> LtiSignIn::complete(
    const sdk::CallbackRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::ExternalIdentity> {
    // A launch must begin with the platform's login initiation, which binds it to this browser.
    if (!request.login) {
      return sdk::Error{sdk::ErrorCode::state_missing, "LTI launches must start at /login"};
    }
    if (request.params.contains("error")) {
      return sdk::Error{sdk::ErrorCode::provider_denied,
                        "the platform returned an error to the callback"};
    }
    const std::string* id_token = param(request.params, "id_token");
    if (id_token == nullptr || id_token->empty()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no id_token"};
    }
    if (id_token->size() > kMaxIdTokenBytes) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "id_token is too long"};
    }
    auto expected = decode_flow(request.login->flow_data);
    if (!expected) return sdk::Error{sdk::ErrorCode::internal, "flow data unreadable"};

    sdk::JwtCheck check;
    check.jwks_uri = config_.jwks_url;
    check.algorithms = config_.algorithms;
    check.issuers = {config_.issuer};
    check.audiences = {config_.client_id};
    check.nonce = request.login->nonce;
    auto verified = context_.tokens().verify(*id_token, check);
    if (!verified) {
      context_.logger().warn("id_token refused",
                             {{"step", "id_token"}, {"error", to_string(verified.error().code)}});
      return verified.error();
    }
    auto claims = common::parse_json_object(verified->claims, "id_token claims");
    if (!claims) return claims.error();
    auto identity = identity_from_launch(*claims, config_, *expected);
    if (!identity) {
      context_.logger().warn("launch refused", {{"step", "launch claims"},
                                                {"error", to_string(identity.error().code)}});
    }
    return identity;
  });
}

}  // namespace lmsgw::plugins::lti13
