#include "facebook_sign_in.h"

#include <cctype>

#include "facebook_profile.h"
#include "facebook_signals.h"
#include "lmsgw/sdk/encoding.h"
#include "oauth.h"

namespace lmsgw::plugins::facebook {
namespace {

constexpr std::size_t kMaxCodeBytes = 1024;
constexpr std::size_t kMaxAccessTokenBytes = 4096;
constexpr std::size_t kMaxGraphResponseBytes = 16 * 1024;
constexpr std::size_t kHmacSha256Bytes = 32;

}  // namespace

FacebookSignIn::FacebookSignIn(FacebookConfig config, sdk::PluginContext& context)
    : config_(std::move(config)),
      context_(context),
      scope_(config_.request_email ? "public_profile,email" : "public_profile"),
      fields_(config_.request_email ? "id,first_name,email" : "id,first_name") {}

sdk::Result<sdk::LoginRedirect> FacebookSignIn::begin(const sdk::LoginRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::LoginRedirect> {
    // PKCE and nonce are left out: PROTOCOLS.md documents neither for this flow, and the code
    // is redeemed only with our app secret and exact redirect URI.
    sdk::LoginRedirect redirect;
    redirect.url = common::with_query(config_.dialog_url(), {{"client_id", config_.app_id},
                                                             {"redirect_uri", request.redirect_uri},
                                                             {"state", request.state},
                                                             {"response_type", "code"},
                                                             {"scope", scope_}});
    return redirect;
  });
}

sdk::Result<sdk::ExternalIdentity> FacebookSignIn::complete(
    const sdk::CallbackRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::ExternalIdentity> {
    // Facebook has no provider-initiated sign-in: a callback without our state is forged.
    if (!request.login) {
      return sdk::Error{sdk::ErrorCode::state_missing, "Facebook callbacks must carry our state"};
    }
    if (request.params.contains("error") || request.params.contains("error_code")) {
      return sdk::Error{sdk::ErrorCode::provider_denied,
                        "Facebook returned an error to the callback"};
    }
    auto code = request.params.find("code");
    if (code == request.params.end() || code->second.empty()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no code"};
    }
    if (code->second.size() > kMaxCodeBytes) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback code is too long"};
    }
    auto access_token = redeem_code(code->second, request.redirect_uri);
    if (!access_token) return access_token.error();
    return fetch_me(*access_token);
  });
}

sdk::Result<std::vector<sdk::ProviderSignal>> FacebookSignIn::handle_signal(
    const sdk::WebhookRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<std::vector<sdk::ProviderSignal>> {
    return read_signal(request, SignedRequestRules{config_.app_secret, context_.crypto(),
                                                   context_.clock().now(), config_.signal_max_age});
  });
}

sdk::Result<sdk::HttpResponse> FacebookSignIn::send(sdk::HttpRequest request, std::size_t max_bytes,
                                                    std::string_view step) {
  request.timeout = config_.timeout;
  request.max_response_bytes = max_bytes;
  request.headers.emplace_back("Accept", "application/json");
  auto response = context_.http().send(request);
  if (!response) {
    context_.logger().warn("Graph request failed",
                           {{"step", step}, {"error", to_string(response.error().code)}});
    return response.error();
  }
  if (response->status != 200) {
    context_.logger().warn("Graph refused the request",
                           {{"step", step}, {"status", std::to_string(response->status)}});
    sdk::Error error = common::unexpected_status(step, response->status);
    error.detail += graph_error_summary(response->body);
    return error;
  }
  return response;
}

sdk::Result<std::string> FacebookSignIn::redeem_code(const std::string& code,
                                                     const std::string& redirect_uri) {
  // The documented exchange is a GET with the secret in the query (PROTOCOLS.md 3.1); it goes
  // only over TLS to Graph, and our HTTP client logs no URLs.
  sdk::HttpRequest request;
  request.url =
      common::with_query(config_.token_url(), {{"client_id", config_.app_id},
                                               {"redirect_uri", redirect_uri},
                                               {"client_secret", config_.app_secret.reveal()},
                                               {"code", code}});
  auto response = send(std::move(request), kMaxGraphResponseBytes, "token exchange");
  if (!response) return response.error();
  auto body = common::parse_json_object(response->body, "token response");
  if (!body) return body.error();
  const boost::json::string* token = common::string_member(*body, "access_token");
  if (token == nullptr || token->empty()) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response has no access_token"};
  }
  if (token->size() > kMaxAccessTokenBytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded, "access_token is too long"};
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

sdk::Result<std::string> FacebookSignIn::appsecret_proof(const std::string& access_token) const {
  const std::string mac = context_.crypto().hmac_sha256(config_.app_secret.reveal(), access_token);
  if (mac.size() != kHmacSha256Bytes) {
    return sdk::Error{sdk::ErrorCode::internal, "HMAC-SHA-256 gave no 32-byte digest"};
  }
  return sdk::hex_encode(mac);
}

sdk::Result<sdk::ExternalIdentity> FacebookSignIn::fetch_me(const std::string& access_token) {
  auto proof = appsecret_proof(access_token);
  if (!proof) return proof.error();
  sdk::HttpRequest request;
  request.url =
      common::with_query(config_.me_url(), {{"fields", fields_}, {"appsecret_proof", *proof}});
  // The token goes in the header rather than the URL, where proxies and access logs keep it.
  request.headers.emplace_back("Authorization", "Bearer " + access_token);
  auto response = send(std::move(request), kMaxGraphResponseBytes, "me");
  if (!response) return response.error();
  auto body = common::parse_json_object(response->body, "/me response");
  if (!body) return body.error();
  return identity_from_me(*body, config_.role);
}

}  // namespace lmsgw::plugins::facebook
