// Boost.DLL appears in this file only.
#include "plugins/plugin_host.h"

#include <dlfcn.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/dll/shared_library.hpp>

namespace lmsgw::plugins {
namespace {

using Library = std::shared_ptr<boost::dll::shared_library>;

// The exported factory has a noexcept type, but nothing stops a hand-written alias from
// pointing at a function that throws. Calling it through a type without noexcept keeps such
// an exception catchable here (through a noexcept type the compiler may drop the handler).
using CallableFactory = sdk::PluginFactoryResult();

sdk::Error refusal(std::string reason) {
  return sdk::Error{sdk::ErrorCode::config_invalid, std::move(reason)};
}

// The library file for `load`, or the reason there is none.
sdk::Result<std::string> locate(const config::PluginLoad& load,
                                const std::vector<std::string>& directories) {
  std::error_code ec;
  if (load.file) {
    if (!std::filesystem::exists(*load.file, ec)) return refusal("file not found");
    return *load.file;
  }
  std::string file_name = "lmsgw_" + load.name + ".so";
  if (directories.empty()) {
    return refusal(file_name + " not found: no plugin directories are configured");
  }
  std::string searched;
  for (const std::string& directory : directories) {
    std::filesystem::path candidate = std::filesystem::path(directory) / file_name;
    if (std::filesystem::exists(candidate, ec)) return candidate.string();
    searched += searched.empty() ? "" : ", ";
    searched += directory;
  }
  return refusal(file_name + " not found in " + searched);
}

// Opens `path` and makes its Plugin. Each check runs only after the previous one passed; in
// particular nothing but the ABI version is read before the version is known to match.
sdk::Result<std::shared_ptr<sdk::Plugin>> open_plugin(const std::string& path) {
  auto library = std::make_shared<boost::dll::shared_library>();
  std::error_code ec;
  // rtld_now: a library with a missing symbol fails here, not at its first call.
  library->load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec) {
    // shared_library keeps dlopen's message in dlerror(); its error code only says "failed".
    const char* detail = ::dlerror();
    return refusal("not a loadable shared library (" +
                   (detail != nullptr ? std::string(detail) : ec.message()) + ")");
  }

  if (!library->has(sdk::kAbiVersionSymbol)) {
    return refusal(std::string("not an lms-gateway plugin (it exports no ") +
                   sdk::kAbiVersionSymbol + ")");
  }
  const std::uint32_t abi = library->get<const std::uint32_t>(sdk::kAbiVersionSymbol);
  if (abi != sdk::kAbiVersion) {
    return refusal("built for SDK ABI " + std::to_string(abi) + ", this gateway speaks " +
                   std::to_string(sdk::kAbiVersion));
  }

  if (!library->has(sdk::kFactorySymbol)) {
    return refusal(std::string("it exports no factory ") + sdk::kFactorySymbol);
  }
  CallableFactory& factory = library->get_alias<CallableFactory>(sdk::kFactorySymbol);

  // The exception (and the error detail) come from the plugin's code: they are handled here,
  // while `library` still holds it loaded.
  std::unique_ptr<sdk::Plugin> made;
  try {
    sdk::PluginFactoryResult result = factory();
    if (!result) {
      return refusal("its factory failed: " + std::string(sdk::to_string(result.error().code)) +
                     ": " + result.error().detail);
    }
    made = std::move(*result);
  } catch (const std::exception& e) {
    return refusal(std::string("its factory threw: ") + e.what());
  } catch (...) {
    return refusal("its factory threw a non-standard exception");
  }
  if (!made) return refusal("its factory returned no plugin");

  return std::shared_ptr<sdk::Plugin>(made.release(),
                                      [library](sdk::Plugin* plugin) { delete plugin; });
}

// Wraps an instance a plugin made so that it keeps the plugin (and so its library) alive.
template <class Instance>
sdk::Result<std::shared_ptr<Instance>> hold(sdk::Result<std::unique_ptr<Instance>> made,
                                            const std::shared_ptr<sdk::Plugin>& plugin,
                                            std::string_view kind) {
  if (!made) return made.error();
  if (!*made) {
    return sdk::Error{sdk::ErrorCode::internal, "plugin " + std::string(plugin->name()) +
                                                    " returned no " + std::string(kind) +
                                                    " instance"};
  }
  return std::shared_ptr<Instance>(made->release(),
                                   [plugin](Instance* instance) { delete instance; });
}

sdk::Error not_loaded(std::string_view name) {
  return sdk::Error{sdk::ErrorCode::config_invalid,
                    "no plugin named '" + std::string(name) + "' is loaded"};
}

}  // namespace

std::string RefusedPlugin::message() const {
  return "plugin refused: " + (file.empty() ? name : file) + ": " + reason;
}

PluginHost PluginHost::load(const config::PluginsConfig& config) {
  PluginHost host;
  for (const config::PluginLoad& load : config.load) {
    RefusedPlugin refused{load.name, load.file.value_or(""), "", load.required};
    auto refuse = [&](std::string reason) {
      refused.reason = std::move(reason);
      spdlog::error("{}", refused.message());
      host.refused_.push_back(std::move(refused));
    };

    auto path = locate(load, config.directories);
    if (!path) {
      refuse(path.error().detail);
      continue;
    }
    refused.file = *path;

    auto plugin = open_plugin(*path);
    if (!plugin) {
      refuse(plugin.error().detail);
      continue;
    }
    std::string name((*plugin)->name());
    if (name != load.name) {
      refuse("it calls itself '" + name + "', but plugins.load names it '" + load.name + "'");
      continue;
    }
    const LoadedPlugin* earlier = nullptr;
    for (const LoadedPlugin& other : host.loaded_) {
      if (other.name == name) earlier = &other;
    }
    if (earlier != nullptr) {
      refuse("duplicate plugin name " + name + ", already loaded from " + earlier->file);
      continue;
    }

    LoadedPlugin loaded{name, std::string((*plugin)->version()), *path, (*plugin)->capabilities()};
    spdlog::info("plugin loaded: {} {} from {}", loaded.name, loaded.version, loaded.file);
    host.loaded_.push_back(std::move(loaded));
    host.entries_.push_back(Entry{std::move(name), std::move(*plugin)});
  }
  return host;
}

bool PluginHost::required_refused() const noexcept {
  for (const RefusedPlugin& plugin : refused_) {
    if (plugin.required) return true;
  }
  return false;
}

std::shared_ptr<sdk::Plugin> PluginHost::find(std::string_view name) const {
  for (const Entry& entry : entries_) {
    if (entry.name == name) return entry.plugin;
  }
  return nullptr;
}

sdk::Result<std::shared_ptr<sdk::AuthPlugin>> PluginHost::create_auth(
    std::string_view plugin, sdk::PluginContext& context) const {
  std::shared_ptr<sdk::Plugin> found = find(plugin);
  if (!found) return not_loaded(plugin);
  return hold(found->create_auth(context), found, "sign-in");
}

sdk::Result<std::shared_ptr<sdk::SyncPlugin>> PluginHost::create_sync(
    std::string_view plugin, sdk::PluginContext& context) const {
  std::shared_ptr<sdk::Plugin> found = find(plugin);
  if (!found) return not_loaded(plugin);
  return hold(found->create_sync(context), found, "roster-sync");
}

}  // namespace lmsgw::plugins
