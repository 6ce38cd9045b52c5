// A configured sign-in connection: its configuration, the context lent to its plugin, and the
// plugin instance serving it.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "common/crypto.h"
#include "config/gateway_config.h"
#include "lmsgw/sdk/auth_plugin.h"
#include "lmsgw/sdk/context.h"

namespace lmsgw::signin {

// The gateway's crypto for plugins (sdk::Crypto), over common/crypto.h.
class CoreCrypto final : public sdk::Crypto {
 public:
  std::string hmac_sha256(std::string_view key, std::string_view data) const noexcept override {
    return std::string(crypto::as_view(crypto::hmac_sha256(key, data)));
  }
  bool constant_time_equal(std::string_view a, std::string_view b) const noexcept override {
    return crypto::constant_time_equal(a, b);
  }
};

// The services every connection shares.
struct SharedServices {
  sdk::HttpClient& http;
  const sdk::Clock& clock;
  sdk::Secrets& secrets;
  sdk::TokenVerifier& tokens;
  const sdk::Crypto& crypto;
};

// What one plugin instance may use. Owned by the core; outlives the instance.
class ConnectionContext final : public sdk::PluginContext {
 public:
  ConnectionContext(std::string connection_id, sdk::ConfigNode config,
                    const SharedServices& services, std::unique_ptr<sdk::Logger> logger)
      : connection_id_(std::move(connection_id)),
        config_(std::move(config)),
        services_(services),
        logger_(std::move(logger)) {}

  // sdk::PluginContext
  std::string_view connection_id() const noexcept override { return connection_id_; }
  const sdk::ConfigNode& config() const noexcept override { return config_; }
  sdk::HttpClient& http() noexcept override { return services_.http; }
  const sdk::Clock& clock() const noexcept override { return services_.clock; }
  sdk::Logger& logger() noexcept override { return *logger_; }
  sdk::Secrets& secrets() noexcept override { return services_.secrets; }
  sdk::TokenVerifier& tokens() noexcept override { return services_.tokens; }
  const sdk::Crypto& crypto() const noexcept override { return services_.crypto; }

 private:
  std::string connection_id_;
  sdk::ConfigNode config_;
  SharedServices services_;
  std::unique_ptr<sdk::Logger> logger_;
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
