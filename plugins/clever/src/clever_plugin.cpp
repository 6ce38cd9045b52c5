// The library entry point: exports the Clever plugin to the gateway's plugin host.
#include <thread>

#include "clever_config.h"
#include "clever_sign_in.h"
#include "clever_sync.h"
#include "clever_sync_config.h"
#include "lmsgw/sdk/plugin.h"

namespace lmsgw::plugins::clever {
namespace {

class CleverPlugin final : public sdk::Plugin {
 public:
  // sdk::Plugin
  std::string_view name() const noexcept override { return "clever"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override {
    return {.sign_in = true, .roster_sync = true};
  }

  sdk::Result<std::unique_ptr<sdk::AuthPlugin>> create_auth(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::AuthPlugin>> {
      auto config = read_config(context);
      if (!config) return config.error();
      // A connection used for sign-in only still has its `sync` keys checked.
      if (auto sync = read_sync_settings(context.config()); !sync) return sync.error();
      return std::unique_ptr<sdk::AuthPlugin>(
          std::make_unique<CleverSignIn>(std::move(*config), context));
    });
  }

  sdk::Result<std::unique_ptr<sdk::SyncPlugin>> create_sync(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::SyncPlugin>> {
      auto config = read_sync_config(context);
      if (!config) return config.error();
      return std::unique_ptr<sdk::SyncPlugin>(std::make_unique<CleverSync>(
          std::move(*config), context,
          [](std::chrono::milliseconds wait) { std::this_thread::sleep_for(wait); }));
    });
  }
};

}  // namespace
}  // namespace lmsgw::plugins::clever

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::clever::CleverPlugin)
