// A hand-written factory without the SDK's guard, which throws across the boundary.
#include <cstdint>
#include <stdexcept>

#include "lmsgw/sdk/plugin.h"

extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t lmsgw_sdk_abi_version = LMSGW_SDK_ABI_VERSION;

namespace {

lmsgw::sdk::PluginFactoryResult create() { throw std::runtime_error("factory exploded"); }

}  // namespace

BOOST_DLL_ALIAS(create, lmsgw_create_plugin_v1)
