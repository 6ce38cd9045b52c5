// The process-wide log: spdlog's default logger, set up once at start-up. The core logs
// through spdlog directly; plugins log through PluginLogger (plugin_logger.h).
//
// Line format: `2024-05-01T12:00:00.123Z info message`, times in UTC.
#pragma once

#include "config/gateway_config.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::logging {

// Replaces the default logger with one writing to `config.file` (appended to, created if
// needed) or to stderr, at `config.level`. Lines of level warn and above are flushed at once,
// the rest within a second. Fails when the file cannot be opened.
sdk::Result<void> init(const config::LoggingConfig& config);

// Writes out whatever the default logger still buffers (before exit, and in tests).
void flush() noexcept;

}  // namespace lmsgw::logging
