// What the `google` and `oidc` modules share: one sdk::Plugin over OidcSignIn, differing only
// in name and configuration flavour.
#pragma once

#include <memory>
#include <string_view>

#include "lmsgw/sdk/plugin.h"
#include "oidc_config.h"
#include "oidc_sign_in.h"

namespace lmsgw::plugins::google {

class OidcPluginBase : public sdk::Plugin {
 public:
  OidcPluginBase(std::string_view name, Flavor flavor) : name_(name), flavor_(flavor) {}

  // sdk::Plugin
  std::string_view name() const noexcept override { return name_; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override { return {.sign_in = true}; }

  sdk::Result<std::unique_ptr<sdk::AuthPlugin>> create_auth(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
      auto config = read_config(context, flavor_);
      if (!config) return config.error();
      return std::unique_ptr<sdk::AuthPlugin>(
          std::make_unique<OidcSignIn>(std::move(*config), context));
    });
  }

 private:
  std::string_view name_;
  Flavor flavor_;
};

}  // namespace lmsgw::plugins::google
