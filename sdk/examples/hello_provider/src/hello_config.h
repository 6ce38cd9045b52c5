// The `config:` block of a Hello ID connection, read and checked once, when the gateway makes
// the connection at start-up.
#pragma once

#include <chrono>
#include <string>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace hello {

struct HelloConfig {
  std::string client_id;
  lmsgw::sdk::Secret client_secret;
  // Visited by the browser: https, or http on a loopback host for local demos.
  std::string authorize_url;
  // Called by the gateway: https only.
  std::string token_url;
  std::string userinfo_url;
  std::chrono::milliseconds timeout{10'000};
};

// Reads `context.config()` and resolves the client secret through `context.secrets()`. Errors
// are `config_invalid` and name `file:line: key`, like the gateway's own.
lmsgw::sdk::Result<HelloConfig> read_config(lmsgw::sdk::PluginContext& context);

}  // namespace hello
