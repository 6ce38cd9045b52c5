// The library entry point: exports the OneRoster roster-sync plugin to the gateway.
#include "lmsgw/sdk/plugin.h"
#include "oneroster_config.h"
#include "oneroster_sync.h"

namespace lmsgw::plugins::oneroster {
namespace {

class OneRosterPlugin final : public sdk::Plugin {
 public:
  std::string_view name() const noexcept override { return "oneroster"; }
  std::string_view version() const noexcept override { return "1.0.0"; }
  sdk::Capabilities capabilities() const noexcept override { return {.roster_sync = true}; }

  sdk::Result<std::unique_ptr<sdk::SyncPlugin>> create_sync(
      sdk::PluginContext& context) noexcept override {
    return sdk::guarded([&]() -> sdk::Result<std::unique_ptr<sdk::SyncPlugin>> {
      auto config = read_config(context);
      if (!config) return config.error();
      return std::unique_ptr<sdk::SyncPlugin>(std::make_unique<OneRosterSync>(std::move(*config)));
    });
  }
};

}  // namespace
}  // namespace lmsgw::plugins::oneroster

LMSGW_EXPORT_PLUGIN(lmsgw::plugins::oneroster::OneRosterPlugin)
