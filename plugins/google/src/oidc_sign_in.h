// OpenID Connect authorization code flow with PKCE S256 and nonce (OpenID Connect Core 3.1),
// for Google (PROTOCOLS.md section 2) and for any standards-compliant provider: discovery,
// the redirect, the code redeemed at the token endpoint, the ID token verified by the
// gateway's TokenVerifier against the provider's JWKS, then the connection's domain rule.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "discovery.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"
#include "oidc_config.h"

namespace lmsgw::plugins::google {

// How far the provider's clock may be from ours for exp, iat and nbf.
inline constexpr std::chrono::seconds kClockLeeway{30};

class OidcSignIn final : public sdk::AuthPlugin {
 public:
  OidcSignIn(OidcConfig config, sdk::PluginContext& context);

  // sdk::AuthPlugin
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest& request) noexcept override;
  sdk::Result<sdk::ExternalIdentity> complete(
      const sdk::CallbackRequest& request) noexcept override;
  // Google only: Cross-Account Protection security event tokens (risc.h), at
  // /webhooks/{connection}. The generic `oidc` module accepts no webhooks.
  sdk::Result<std::vector<sdk::ProviderSignal>> handle_signal(
      const sdk::WebhookRequest& request) noexcept override;

 private:
  sdk::Result<std::string> redeem_code(const Discovery& discovery, const std::string& code,
                                       const std::string& redirect_uri,
                                       const std::string& code_verifier);

  OidcConfig config_;
  sdk::PluginContext& context_;
  DiscoveryCache discovery_;
  // The RISC configuration (issuer, jwks_uri); Google connections only.
  std::optional<DiscoveryCache> risc_;
};

}  // namespace lmsgw::plugins::google
