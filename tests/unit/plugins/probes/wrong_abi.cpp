// Claims an SDK ABI this gateway does not speak. Its factory aborts: the host must refuse the
// library on the version alone, before calling anything.
#include <cstdint>
#include <cstdlib>

#include "lmsgw/sdk/plugin.h"

extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t lmsgw_sdk_abi_version = 999;

namespace {

lmsgw::sdk::PluginFactoryResult create() noexcept { std::abort(); }

}  // namespace

BOOST_DLL_ALIAS(create, lmsgw_create_plugin_v1)
