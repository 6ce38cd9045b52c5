// The spdlog level for one of ours; internal to the logging module.
#pragma once

#include <spdlog/common.h>

#include "lmsgw/sdk/context.h"

namespace lmsgw::logging {

spdlog::level::level_enum to_spdlog(sdk::LogLevel level) noexcept;

}  // namespace lmsgw::logging
