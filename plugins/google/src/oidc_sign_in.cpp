#include "oidc_sign_in.h"

#include <algorithm>
#include <cctype>

#include "claims.h"
#include "oauth.h"
#include "risc.h"

namespace lmsgw::plugins::google {
namespace {

constexpr std::size_t kMaxCodeLength = 2048;
constexpr std::size_t kMaxTokenResponseBytes = 64 * 1024;
constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;
constexpr std::size_t kMaxLoginHintLength = 256;
// A security event token is about 1 KiB.
constexpr std::size_t kMaxSecurityEventTokenBytes = 8 * 1024;

std::string_view auth_method_name(ClientAuth auth) {
  return auth == ClientAuth::client_secret_post ? "client_secret_post" : "client_secret_basic";
}

DiscoveryRules discovery_rules(const OidcConfig& config) {
  return DiscoveryRules{
      config.discovery_url,      config.issuers,
      config.algorithms,         std::string(auth_method_name(config.client_auth)),
      config.discovery_lifetime, config.timeout};
}

// A login hint is an email address or an opaque id: printable ASCII without spaces. It is
// percent-encoded into the URL anyway; the rule keeps odd input from reaching the provider.
bool is_plain_hint(std::string_view hint) {
  return !hint.empty() && hint.size() <= kMaxLoginHintLength &&
         std::all_of(hint.begin(), hint.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string param(const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

}  // namespace

OidcSignIn::OidcSignIn(OidcConfig config, sdk::PluginContext& context)
    : config_(std::move(config)),
      context_(context),
      discovery_(discovery_rules(config_), context.http(), context.clock(), context.logger()) {
  if (config_.flavor == Flavor::google) {
    risc_.emplace(DiscoveryRules{config_.risc_configuration_url,
                                 {config_.risc_issuer},
                                 {"RS256"},
                                 {},
                                 config_.discovery_lifetime,
                                 config_.timeout},
                  context.http(), context.clock(), context.logger(), parse_risc_configuration);
  }
}

sdk::Result<std::vector<sdk::ProviderSignal>> OidcSignIn::handle_signal(
    const sdk::WebhookRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<std::vector<sdk::ProviderSignal>> {
    if (!risc_) {
      return sdk::Error{sdk::ErrorCode::unsupported, "this connection accepts no webhooks"};
    }
    if (!request.channel.empty()) {
      return sdk::Error{sdk::ErrorCode::unsupported,
                        "security event tokens are served at /webhooks/{connection}"};
    }
    // RFC 8417 names the token's media type; a JWT without the "secevent" prefix is common.
    if (!request.content_type.starts_with("application/secevent+jwt") &&
        !request.content_type.starts_with("application/jwt")) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "body is not a security event token"};
    }
    std::string_view token = request.body;
    while (!token.empty() &&
           (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) {
      token.remove_suffix(1);
    }
    if (token.empty()) return sdk::Error{sdk::ErrorCode::invalid_request, "body is empty"};
    if (token.size() > kMaxSecurityEventTokenBytes) {
      return sdk::Error{sdk::ErrorCode::limit_exceeded, "security event token is too long"};
    }
    auto configuration = risc_->get();
    if (!configuration) return configuration.error();

    sdk::JwtCheck check;
    check.jwks_uri = (*configuration)->jwks_uri;
    check.algorithms = {"RS256"};
    check.issuers = {(*configuration)->issuer};
    check.audiences = {config_.client_id};
    check.leeway = kClockLeeway;
    // Security event tokens carry no exp (PROTOCOLS.md 2.3); iat bounds their age instead.
    check.require_expiry = false;
    auto verified = context_.tokens().verify(token, check);
    if (!verified) {
      context_.logger().warn("security event token refused",
                             {{"step", "risc"}, {"error", to_string(verified.error().code)}});
      return verified.error();
    }
    auto events = read_security_events(verified->claims, context_.clock().now(),
                                       config_.risc_max_age, kClockLeeway);
    if (!events) return events.error();
    if (events->verifications > 0) {
      context_.logger().info("RISC verification event received",
                             {{"step", "risc"}, {"count", std::to_string(events->verifications)}});
    }
    if (events->ignored > 0) {
      context_.logger().info("RISC events of a type the gateway does not act on were ignored",
                             {{"step", "risc"}, {"count", std::to_string(events->ignored)}});
    }
    return std::move(events->signals);
  });
}

sdk::Result<sdk::LoginRedirect> OidcSignIn::begin(const sdk::LoginRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::LoginRedirect> {
    std::string login_hint = param(request.params, "login_hint");
    if (!login_hint.empty() && !is_plain_hint(login_hint)) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "login_hint is not a plain hint"};
    }
    // Google's `hd` only preselects an account; the ID token's hd claim is still checked. It
    // is passed on only for a domain this connection allows, so it cannot widen the choice.
    std::string hd = lower(param(request.params, "hd"));
    if (!hd.empty() && std::find(config_.hosted_domains.begin(), config_.hosted_domains.end(),
                                 hd) == config_.hosted_domains.end()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "hd is not a domain of this connection"};
    }
    if (request.state.empty() || request.nonce.empty() || request.code_challenge.empty()) {
      return sdk::Error{sdk::ErrorCode::internal, "login request lacks state, nonce or PKCE"};
    }
    auto discovery = discovery_.get();
    if (!discovery) return discovery.error();

    sdk::LoginRedirect redirect;
    redirect.url = common::with_query(
        (*discovery)->authorization_endpoint,
        {{"response_type", "code"},
         {"client_id", config_.client_id},
         {"redirect_uri", request.redirect_uri},
         {"scope", config_.request_profile ? "openid email profile" : "openid email"},
         {"state", request.state},
         {"nonce", request.nonce},
         {"code_challenge", request.code_challenge},
         {"code_challenge_method", "S256"},
         {"login_hint", login_hint},
         {"hd", hd}});
    return redirect;
  });
}

sdk::Result<sdk::ExternalIdentity> OidcSignIn::complete(
    const sdk::CallbackRequest& request) noexcept {
  return sdk::guarded([&]() -> sdk::Result<sdk::ExternalIdentity> {
    // Without a login of ours there is no nonce and no PKCE verifier to bind the answer to.
    if (!request.login) {
      return sdk::Error{sdk::ErrorCode::state_missing,
                        "provider-initiated sign-in is not supported by OpenID Connect"};
    }
    if (request.params.contains("error")) {
      return sdk::Error{sdk::ErrorCode::provider_denied,
                        "the provider returned an error to the callback"};
    }
    const std::string code = param(request.params, "code");
    if (code.empty()) return sdk::Error{sdk::ErrorCode::invalid_request, "callback has no code"};
    if (code.size() > kMaxCodeLength) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "callback code is too long"};
    }
    if (request.login->nonce.empty() || request.login->code_verifier.empty()) {
      return sdk::Error{sdk::ErrorCode::internal, "started login lacks nonce or PKCE verifier"};
    }
    auto discovery = discovery_.get();
    if (!discovery) return discovery.error();
    // RFC 9207: an issuer in the response must be ours, so that a code another provider issued
    // is never sent to this provider's token endpoint (mix-up).
    const auto iss = request.params.find("iss");
    if ((iss != request.params.end() && iss->second != (*discovery)->issuer) ||
        (iss == request.params.end() && (*discovery)->issuer_in_response)) {
      return sdk::Error{sdk::ErrorCode::invalid_request,
                        "callback issuer is missing or not this provider"};
    }

    auto id_token =
        redeem_code(**discovery, code, request.redirect_uri, request.login->code_verifier);
    if (!id_token) return id_token.error();

    sdk::JwtCheck check;
    check.jwks_uri = (*discovery)->jwks_uri;
    check.algorithms = config_.algorithms;
    check.issuers = config_.flavor == Flavor::google
                        ? config_.issuers
                        : std::vector<std::string>{(*discovery)->issuer};
    check.audiences = {config_.client_id};
    check.nonce = request.login->nonce;
    check.leeway = kClockLeeway;
    auto verified = context_.tokens().verify(*id_token, check);
    if (!verified) {
      context_.logger().warn("ID token refused",
                             {{"step", "id_token"}, {"error", to_string(verified.error().code)}});
      return verified.error();
    }
    auto claims = common::parse_json_object(verified->claims, "ID token claims");
    if (!claims) return claims.error();
    auto identity = identity_from_claims(*claims, config_);
    if (!identity) {
      context_.logger().info("ID token not accepted",
                             {{"step", "claims"}, {"error", to_string(identity.error().code)}});
    }
    return identity;
  });
}

sdk::Result<std::string> OidcSignIn::redeem_code(const Discovery& discovery,
                                                 const std::string& code,
                                                 const std::string& redirect_uri,
                                                 const std::string& code_verifier) {
  sdk::HttpRequest token_request;
  token_request.method = "POST";
  token_request.url = discovery.token_endpoint;
  token_request.timeout = config_.timeout;
  token_request.max_response_bytes = kMaxTokenResponseBytes;
  token_request.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                           {"Accept", "application/json"}};
  const bool post = config_.client_auth == ClientAuth::client_secret_post;
  if (!post) {
    token_request.headers.emplace_back(
        "Authorization",
        common::basic_authorization(config_.client_id, config_.client_secret.reveal()));
  }
  token_request.body = common::form_encode(
      {{"grant_type", "authorization_code"},
       {"code", code},
       {"redirect_uri", redirect_uri},
       {"code_verifier", code_verifier},
       {"client_id", post ? std::string_view(config_.client_id) : std::string_view()},
       {"client_secret",
        post ? std::string_view(config_.client_secret.reveal()) : std::string_view()}});

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
  if (const boost::json::string* type = common::string_member(*body, "token_type")) {
    if (lower(*type) != "bearer") {
      return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response is not a bearer token"};
    }
  }
  const boost::json::string* id_token = common::string_member(*body, "id_token");
  if (id_token == nullptr || id_token->empty()) {
    return sdk::Error{sdk::ErrorCode::upstream_malformed, "token response has no id_token"};
  }
  if (id_token->size() > kMaxIdTokenBytes) {
    return sdk::Error{sdk::ErrorCode::limit_exceeded, "id_token is too long"};
  }
  return std::string(*id_token);
}

}  // namespace lmsgw::plugins::google
