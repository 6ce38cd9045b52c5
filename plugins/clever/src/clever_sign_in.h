// Sign in with Clever: OAuth 2.0 authorization code, then /v3.0/me, then the user record
// (PROTOCOLS.md section 1.1-1.5). Also completes Clever Instant Login, which arrives at the
// callback with a code and no state of ours.
#pragma once

#include <string>

#include "clever_config.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"

namespace lmsgw::plugins::clever {

class CleverSignIn final : public sdk::AuthPlugin {
 public:
  CleverSignIn(CleverConfig config, sdk::PluginContext& context);

  // sdk::AuthPlugin
  sdk::Result<sdk::LoginRedirect> begin(const sdk::LoginRequest& request) noexcept override;
  sdk::Result<sdk::ExternalIdentity> complete(
      const sdk::CallbackRequest& request) noexcept override;
  bool supports_provider_initiated() const noexcept override { return true; }

 private:
  sdk::Result<std::string> redeem_code(const std::string& code, const std::string& redirect_uri);
  sdk::Result<std::string> fetch_me(const std::string& access_token);
  sdk::Result<sdk::ExternalIdentity> fetch_user(const std::string& access_token,
                                                const std::string& user_id);
  sdk::Result<sdk::HttpResponse> get_json(const std::string& url, const std::string& token,
                                          std::string_view step);

  CleverConfig config_;
  sdk::PluginContext& context_;
};

}  // namespace lmsgw::plugins::clever
