// A configured sign-in connection: its configuration, the context lent to its plugin, and the
// plugin instance serving it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "config/gateway_config.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"

namespace lmsgw::signin {

// What one plugin instance may use. Owned by the core; outlives the instance.
class ConnectionContext final : public sdk::PluginContext {
 public:
  ConnectionContext(std::string connection_id, sdk::ConfigNode config, sdk::HttpClient& http,
                    const sdk::Clock& clock, std::unique_ptr<sdk::Logger> logger,
                    sdk::Secrets& secrets)
      : connection_id_(std::move(connection_id)),
        config_(std::move(config)),
        http_(http),
        clock_(clock),
        logger_(std::move(logger)),
        secrets_(secrets) {}

  // sdk::PluginContext
  std::string_view connection_id() const noexcept override { return connection_id_; }
  const sdk::ConfigNode& config() const noexcept override { return config_; }
  sdk::HttpClient& http() noexcept override { return http_; }
  const sdk::Clock& clock() const noexcept override { return clock_; }
  sdk::Logger& logger() noexcept override { return *logger_; }
  sdk::Secrets& secrets() noexcept override { return secrets_; }

 private:
  std::string connection_id_;
  sdk::ConfigNode config_;
  sdk::HttpClient& http_;
  const sdk::Clock& clock_;
  std::unique_ptr<sdk::Logger> logger_;
  sdk::Secrets& secrets_;
};

struct Connection {
  config::ConnectionConfig config;
  // public_url + "/callback/" + id: the one redirect URI this connection ever uses.
  std::string redirect_uri;
  // Declared before `plugin` so that it is destroyed after it.
  std::unique_ptr<ConnectionContext> context;
  std::shared_ptr<sdk::AuthPlugin> plugin;
};

using Connections = std::map<std::string, Connection, std::less<>>;

}  // namespace lmsgw::signin
