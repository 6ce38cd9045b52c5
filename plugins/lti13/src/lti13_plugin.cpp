// The library entry point: exports the LTI 1.3 plugin to the gateway's plugin host.
#include "lmsgw/sdk/plugin.h"
#include "lti_config.h"
#include "lti_sign_in.h"

namespace lmsgw::plugins::lti13 {
namespace {

class Lti13Plugin final : public sdk::Plugin {
 public:
  // sdk::Plugin
  std::string_view name() const noexcept override { return "lti13"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override { return {.sign_in = true}; }

  sdk::Result<std::unique_ptr<sdk::AuthPlugin>> create_auth(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
      auto config = read_config(context);
      if (!config) return config.error();
      return std::unique_ptr<sdk::AuthPlugin>(
          std::make_unique<LtiSignIn>(std::move(*config), context));
    });
  }
};

}  // namespace
}  // namespace lmsgw::plugins::lti13

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::lti13::Lti13Plugin)
