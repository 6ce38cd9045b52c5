// Sign in with Hello ID (README.md): OAuth 2.0 authorization code with PKCE S256, the code
// redeemed once at the token endpoint with HTTP Basic client authentication, then the person
// read from the userinfo endpoint with the bearer token.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "hello_config.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"

namespace hello {

class HelloSignIn final : public lmsgw::sdk::AuthPlugin {
 public:
  HelloSignIn(HelloConfig config, lmsgw::sdk::PluginContext& context);

  // lmsgw::sdk::AuthPlugin
  lmsgw::sdk::Result<lmsgw::sdk::LoginRedirect> begin(
      const lmsgw::sdk::LoginRequest& request) noexcept override;
  lmsgw::sdk::Result<lmsgw::sdk::ExternalIdentity> complete(
      const lmsgw::sdk::CallbackRequest& request) noexcept override;

 private:
  lmsgw::sdk::Result<std::string> redeem(const std::string& code, const std::string& redirect_uri,
                                         const std::string& code_verifier);
  lmsgw::sdk::Result<lmsgw::sdk::ExternalIdentity> fetch_identity(const std::string& access_token);
  // Sends `request`; a transport error or a status other than 200 becomes an error, logged
  // with the step's name and nothing else.
  lmsgw::sdk::Result<boost::json::object> call(const lmsgw::sdk::HttpRequest& request,
                                               std::string_view step);

  HelloConfig config_;
  lmsgw::sdk::PluginContext& context_;
};

// The person a userinfo answer describes. Everything the provider sent is reported; the
// gateway, not the plugin, decides what it keeps.
lmsgw::sdk::Result<lmsgw::sdk::ExternalIdentity> identity_from_userinfo(
    const boost::json::object& userinfo);

// One sign-in instance per connection: what the plugin's create_auth returns.
lmsgw::sdk::Result<std::unique_ptr<lmsgw::sdk::AuthPlugin>> make_sign_in(
    lmsgw::sdk::PluginContext& context);

}  // namespace hello
