// A factory that declines, with an error.
#include <cstdint>

#include "lmsgw/sdk/plugin.h"

extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t lmsgw_sdk_abi_version = LMSGW_SDK_ABI_VERSION;

namespace {

lmsgw::sdk::PluginFactoryResult create() noexcept {
  return lmsgw::sdk::Error{lmsgw::sdk::ErrorCode::config_invalid, "no licence for this site"};
}

}  // namespace

BOOST_DLL_ALIAS(create, lmsgw_create_plugin_v1)
