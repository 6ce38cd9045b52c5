// The library entry point: exports the Clever plugin to the gateway's plugin host.
#include "clever_config.h"
#include "clever_sign_in.h"
#include "lmsgw/sdk/plugin.h"

namespace lmsgw::plugins::clever {
namespace {

class CleverPlugin final : public sdk::Plugin {
 public:
  // sdk::Plugin
  std::string_view name() const noexcept override { return "clever"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override { return {.sign_in = true}; }

  sdk::Result<std::unique_ptr<sdk::AuthPlugin>> create_auth(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
      auto config = read_config(context);
      if (!config) return config.error();
      return std::unique_ptr<sdk::AuthPlugin>(
          std::make_unique<CleverSignIn>(std::move(*config), context));
    });
  }
};

}  // namespace
}  // namespace lmsgw::plugins::clever

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::clever::CleverPlugin)
