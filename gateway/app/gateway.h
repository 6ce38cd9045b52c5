// The assembled gateway: every module wired together from a validated configuration.
// Start-up does everything that can fail (secrets, plugins, plugin configs, store, TLS files,
// socket) before serving anything, so a bad configuration stops the process with one clear
// message instead of failing on the first request.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "config/gateway_config.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::app {

// Process exit codes, documented in docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntimeFailure = 1;
inline constexpr int kExitConfigInvalid = 2;
inline constexpr int kExitPluginRefused = 3;

struct StartupError {
  int exit_code = kExitRuntimeFailure;
  std::string message;
};

class Gateway {
 public:
  ~Gateway();

  // Checks the configuration as far as it can without opening the store or binding the
  // listener: secrets, plugins and every connection's plugin config.
  static std::optional<StartupError> validate(config::GatewayConfig config);

  // Builds and binds everything. On failure the error says what and where.
  static std::variant<std::unique_ptr<Gateway>, StartupError> start(config::GatewayConfig config);

  // lmsgwctl sync run: runs every sync connection of `district` now, in this process, with
  // the plugins loaded as the gateway loads them, and prints each run record to `out`.
  // Returns kExitOk when every run succeeded, kExitRuntimeFailure when one failed.
  static int run_sync(config::GatewayConfig config, const std::string& district, bool full,
                      std::ostream& out, std::ostream& err);

  // Serves until SIGTERM/SIGINT (or stop()), then drains in-flight requests.
  void run();
  void stop() noexcept;
  std::uint16_t port() const noexcept;

 private:
  struct Parts;
  explicit Gateway(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

}  // namespace lmsgw::app
