#include "logging/logging.h"
#include "logging/spdlog_level.h"

#include <chrono>
#include <memory>
#include <string>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace lmsgw::logging {
spdlog::level::level_enum to_spdlog(sdk::LogLevel level) noexcept {
  switch (level) {
    case sdk::LogLevel::debug:
      return spdlog::level::debug;
    case sdk::LogLevel::info:
      return spdlog::level::info;
    case sdk::LogLevel::warn:
      return spdlog::level::warn;
    case sdk::LogLevel::error:
      return spdlog::level::err;
  }
  return spdlog::level::err;
}

sdk::Result<void> init(const config::LoggingConfig& config) {
  try {
    spdlog::sink_ptr sink;
    if (config.file) {
      sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(*config.file, false);
    } else {
      sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>("lmsgw", std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    logger->set_level(to_spdlog(config.level));
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
    spdlog::flush_every(std::chrono::seconds(1));
    return {};
  } catch (const std::exception& e) {
    std::string where = config.file ? "log file " + *config.file : std::string("stderr");
    return sdk::Error{sdk::ErrorCode::internal,
                      "cannot open " + where + " for logging (" + e.what() + ")"};
  }
}

void flush() noexcept {
  try {
    spdlog::default_logger_raw()->flush();
  } catch (...) {
    // Nothing left to report the failure to.
  }
}

}  // namespace lmsgw::logging
