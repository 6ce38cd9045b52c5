// lms-gateway --config FILE
//
// Validates the configuration, loads plugins, opens the store and binds the listener; any
// failure stops start-up with a precise message and a non-zero exit code (docs/operations.md).
#include <sys/stat.h>

#include <cstring>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/gateway.h"
#include "config/gateway_config.h"
#include "logging/logging.h"

namespace {

constexpr std::string_view kUsage =
    "usage: lms-gateway --config FILE\n"
    "(lmsgwctl --config FILE check validates a configuration without starting)\n";

}  // namespace

int main(int argc, char** argv) {
  // Everything this process creates (database, WAL, log file) holds account data: owner only.
  ::umask(077);
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
      config_path = argv[++i];
    } else {
      std::cerr << kUsage;
      return lmsgw::app::kExitConfigInvalid;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return lmsgw::app::kExitConfigInvalid;
  }

  auto config = lmsgw::config::load_gateway_config(config_path);
  if (!config) {
    std::cerr << "lms-gateway: configuration error: " << config.error().detail << "\n";
    return lmsgw::app::kExitConfigInvalid;
  }
  if (auto logging = lmsgw::logging::init(config->logging); !logging) {
    std::cerr << "lms-gateway: " << logging.error().detail << "\n";
    return lmsgw::app::kExitConfigInvalid;
  }

  auto started = lmsgw::app::Gateway::start(std::move(*config));
  if (auto* failure = std::get_if<lmsgw::app::StartupError>(&started)) {
    spdlog::critical("start-up failed: {}", failure->message);
    lmsgw::logging::flush();
    std::cerr << "lms-gateway: start-up failed: " << failure->message << "\n";
    return failure->exit_code;
  }
  auto& gateway = std::get<std::unique_ptr<lmsgw::app::Gateway>>(started);
  gateway->run();
  gateway.reset();
  lmsgw::logging::flush();
  return lmsgw::app::kExitOk;
}
