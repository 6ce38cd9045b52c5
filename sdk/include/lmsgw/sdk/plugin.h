/// @file
/// @brief `Plugin` (one per loaded library), the export macro and the SDK ABI version.
///
/// A plugin library exports exactly two symbols, both through `LMSGW_EXPORT_PLUGIN`:
/// - `lmsgw_sdk_abi_version`, which the host reads before it touches anything else;
/// - the factory alias `lmsgw_create_plugin_v1`, which makes the library's `Plugin`.
/// The `Plugin` then makes one `AuthPlugin` or `SyncPlugin` per configured connection.
///
/// Host and plugins must be built with the same compiler and standard library (objects such
/// as `std::string` cross the boundary); the ABI version changes whenever an SDK type does.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>

#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/sync_plugin.h"

/// Bumped on every change to an SDK type or interface.
#define LMSGW_SDK_ABI_VERSION 4u

namespace lmsgw::sdk {

inline constexpr std::uint32_t kAbiVersion = LMSGW_SDK_ABI_VERSION;
inline constexpr const char* kAbiVersionSymbol = "lmsgw_sdk_abi_version";
inline constexpr const char* kFactorySymbol = "lmsgw_create_plugin_v1";

struct Capabilities {
  bool sign_in = false;
  bool roster_sync = false;
};

/// The library-level object. Stateless apart from what the factory needs; per-connection
/// state lives in the instances it creates.
class BOOST_SYMBOL_VISIBLE Plugin {
 public:
  virtual ~Plugin() = default;

  /// The name connections refer to it by (`plugin: clever`). Unique among loaded plugins.
  virtual std::string_view name() const noexcept = 0;
  virtual std::string_view version() const noexcept = 0;
  virtual Capabilities capabilities() const noexcept = 0;

  /// Makes a sign-in instance for one connection. Validates `context.config()` first and
  /// fails with `ErrorCode::config_invalid` naming `file:line: key`.
  virtual Result<std::unique_ptr<AuthPlugin>> create_auth(PluginContext&) noexcept {
    return Error{ErrorCode::unsupported, "this plugin does not offer sign-in"};
  }

  /// Makes a roster-sync instance for one connection.
  virtual Result<std::unique_ptr<SyncPlugin>> create_sync(PluginContext&) noexcept {
    return Error{ErrorCode::unsupported, "this plugin does not offer roster sync"};
  }
};

using PluginFactoryResult = Result<std::unique_ptr<Plugin>>;
using PluginFactory = PluginFactoryResult() noexcept;

}  // namespace lmsgw::sdk

/// Exports `PluginClass` (default-constructible, derived from `lmsgw::sdk::Plugin`) from this
/// library. Use it once, at namespace scope, in one source file of the plugin.
#define LMSGW_EXPORT_PLUGIN(PluginClass)                                             \
  extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t lmsgw_sdk_abi_version =         \
      LMSGW_SDK_ABI_VERSION;                                                         \
  namespace lmsgw_plugin_export {                                                    \
  inline ::lmsgw::sdk::PluginFactoryResult create() noexcept {                       \
    return ::lmsgw::sdk::guarded([]() -> ::lmsgw::sdk::PluginFactoryResult {         \
      return std::unique_ptr<::lmsgw::sdk::Plugin>(std::make_unique<PluginClass>()); \
    });                                                                              \
  }                                                                                  \
  }                                                                                  \
  BOOST_DLL_ALIAS(lmsgw_plugin_export::create, lmsgw_create_plugin_v1)
