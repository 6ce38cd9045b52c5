// The plugin host: loads the plugin libraries that `plugins.load` lists, refuses the broken
// ones, and hands out plugin objects that keep their library loaded.
//
// Lifetime rule: every object it hands out (the Plugin, and each AuthPlugin or SyncPlugin made
// through it) holds a reference to its library, so a library is unloaded only after the last
// object from it is gone, whether or not the host still exists.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/plugin.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins {

struct LoadedPlugin {
  std::string name;
  std::string version;
  std::string file;
  sdk::Capabilities capabilities;
};

struct RefusedPlugin {
  std::string name;    // as configured
  std::string file;    // the library tried; empty when none was found
  std::string reason;  // why, without the file name
  bool required = true;

  // The line logged for it: `plugin refused: <file or name>: <reason>`.
  std::string message() const;
};

class PluginHost {
 public:
  // Loads each listed plugin in order: its `file`, or the first `<directory>/lmsgw_<name>.so`
  // that exists. A plugin is refused, with one error line logged, when its file is missing or
  // not loadable, it is not an lms-gateway plugin, it was built for another SDK ABI version,
  // it has no factory, its factory fails or throws, it calls itself by another name, or a
  // plugin of that name is already loaded. Refusals do not stop the others loading: the
  // caller decides (start-up must fail when required_refused()).
  static PluginHost load(const config::PluginsConfig& config);

  const std::vector<LoadedPlugin>& loaded() const noexcept { return loaded_; }
  const std::vector<RefusedPlugin>& refused() const noexcept { return refused_; }
  bool required_refused() const noexcept;

  // The loaded plugin called `name`, or nullptr.
  std::shared_ptr<sdk::Plugin> find(std::string_view name) const;

  // Makes a sign-in (or roster-sync) instance of plugin `plugin` for one connection. The
  // context must outlive the instance. Fails with config_invalid when no plugin of that name
  // is loaded, and with the plugin's own error otherwise (unsupported, config_invalid, ...).
  sdk::Result<std::shared_ptr<sdk::AuthPlugin>> create_auth(std::string_view plugin,
                                                            sdk::PluginContext& context) const;
  sdk::Result<std::shared_ptr<sdk::SyncPlugin>> create_sync(std::string_view plugin,
                                                            sdk::PluginContext& context) const;

 private:
  struct Entry {
    std::string name;
    std::shared_ptr<sdk::Plugin> plugin;
  };

  PluginHost() = default;

  std::vector<LoadedPlugin> loaded_;
  std::vector<RefusedPlugin> refused_;
  std::vector<Entry> entries_;
};

}  // namespace lmsgw::plugins
