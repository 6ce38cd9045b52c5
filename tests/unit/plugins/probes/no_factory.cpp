// Has the ABI version but no factory alias.
#include <cstdint>

#include "lmsgw/sdk/plugin.h"

extern "C" BOOST_SYMBOL_EXPORT const std::uint32_t lmsgw_sdk_abi_version = LMSGW_SDK_ABI_VERSION;
