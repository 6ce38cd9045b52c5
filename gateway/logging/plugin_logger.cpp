#include "logging/plugin_logger.h"
#include "logging/spdlog_level.h"

#include <array>
#include <cstdio>
#include <utility>

#include <spdlog/spdlog.h>

namespace lmsgw::logging {
namespace {

constexpr std::array<std::string_view, 8> kLoggableFields = {
    "connection", "step", "status", "error", "endpoint", "count", "duration_ms", "attempt"};

}  // namespace

bool is_loggable_field(std::string_view key) noexcept {
  for (std::string_view allowed : kLoggableFields) {
    if (key == allowed) return true;
  }
  return false;
}

std::string format_plugin_line(std::string_view connection, std::string_view message,
                               std::initializer_list<sdk::LogField> fields,
                               const Redactor& redactor) {
  std::string line = "plugin ";
  line.append(connection).append(": ").append(message);
  for (const sdk::LogField& field : fields) {
    line.append(" ").append(field.key).append("=");
    if (is_loggable_field(field.key)) {
      line.append(field.value);
    } else {
      line.append("[redacted]");
    }
  }
  return escape_controls(redactor.redact(line));
}

PluginLogger::PluginLogger(std::string connection, std::shared_ptr<const Redactor> redactor)
    : connection_(std::move(connection)), redactor_(std::move(redactor)) {}

void PluginLogger::log(sdk::LogLevel level, std::string_view message,
                       std::initializer_list<sdk::LogField> fields) noexcept {
  try {
    spdlog::logger* logger = spdlog::default_logger_raw();
    spdlog::level::level_enum spd_level = to_spdlog(level);
    if (!logger->should_log(spd_level)) return;
    logger->log(spd_level, "{}", format_plugin_line(connection_, message, fields, *redactor_));
  } catch (...) {
    // A log line is not worth failing the plugin's call for.
  }
}

}  // namespace lmsgw::logging
