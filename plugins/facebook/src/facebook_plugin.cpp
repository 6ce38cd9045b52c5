// The library entry point: exports the Facebook plugin to the gateway's plugin host.
#include "facebook_config.h"
#include "facebook_sign_in.h"
#include "lmsgw/sdk/plugin.h"

namespace lmsgw::plugins::facebook {
namespace {

class FacebookPlugin final : public sdk::Plugin {
 public:
  // sdk::Plugin
  std::string_view name() const noexcept override { return "facebook"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override { return {.sign_in = true}; }

  sdk::Result<std::unique_ptr<sdk::AuthPlugin>> create_auth(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
      auto config = read_config(context);
      if (!config) return config.error();
      return std::unique_ptr<sdk::AuthPlugin>(
          std::make_unique<FacebookSignIn>(std::move(*config), context));
    });
  }
};

}  // namespace
}  // namespace lmsgw::plugins::facebook

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::facebook::FacebookPlugin)
