// Facebook Login, server-side ("manual") flow (PROTOCOLS.md section 3.1 and 3.3): the
// versioned login dialog, the code redeemed at the versioned Graph `oauth/access_token`, then
// Graph `/me` with the smallest field list. Every Graph call that carries the user's access
// token also carries `appsecret_proof`, so a token stolen from us is useless without our
// app secret.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "facebook_config.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"

namespace lmsgw::plugins::facebook {

class FacebookSignIn final : public sdk::AuthPlugin {
 public:
  FacebookSignIn(FacebookConfig config, sdk::PluginContext& context);

  // sdk::AuthPlugin
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest& request) noexcept override;
  sdk::Result<sdk::ExternalIdentity> complete(
      const sdk::CallbackRequest& request) noexcept override;
  // The Deauthorize and Data Deletion callbacks (facebook_signals.h).
  sdk::Result<std::vector<sdk::ProviderSignal>> handle_signal(
      const sdk::WebhookRequest& request) noexcept override;

 private:
  sdk::Result<std::string> redeem_code(const std::string& code, const std::string& redirect_uri);
  sdk::Result<sdk::ExternalIdentity> fetch_me(const std::string& access_token);
  // Lowercase hex HMAC-SHA-256 of the access token, keyed with the app secret.
  sdk::Result<std::string> appsecret_proof(const std::string& access_token) const;
  sdk::Result<sdk::HttpResponse> send(sdk::HttpRequest request, std::size_t max_bytes,
                                      std::string_view step);

  FacebookConfig config_;
  sdk::PluginContext& context_;
  std::string scope_;
  std::string fields_;
};

}  // namespace lmsgw::plugins::facebook
