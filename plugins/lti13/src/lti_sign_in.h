// LTI 1.3 launches (LTI Core 1.3 section 4, Security Framework 5.1.1, PROTOCOLS.md section 4):
// the platform's third-party initiated login arrives at /login/{connection}, we send the
// browser to the platform's OIDC authorization endpoint, and the platform form-POSTs a signed
// id_token to /callback/{connection}, which we verify against its JWKS.
#pragma once

#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"
#include "lti_config.h"

namespace lmsgw::plugins::lti13 {

// An id_token longer than this is refused unread (jose's own limit is the same).
inline constexpr std::size_t kMaxIdTokenBytes = 16 * 1024;

class LtiSignIn final : public sdk::AuthPlugin {
 public:
  LtiSignIn(LtiConfig config, sdk::PluginContext& context);

  // sdk::AuthPlugin
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest& request) noexcept override;
  sdk::Result<sdk::ExternalIdentity> complete(
      const sdk::CallbackRequest& request) noexcept override;
  bool callback_is_cross_site_post() const noexcept override { return true; }

 private:
  LtiConfig config_;
  sdk::PluginContext& context_;
};

}  // namespace lmsgw::plugins::lti13
