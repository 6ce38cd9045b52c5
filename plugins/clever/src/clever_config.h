// The Clever connection's `config:` subtree, validated once when the connection is created.
#pragma once

#include <chrono>
#include <string>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::clever {

inline constexpr std::string_view kDefaultAuthorizeUrl = "https://clever.com/oauth/authorize";
inline constexpr std::string_view kDefaultTokenUrl = "https://clever.com/oauth/tokens";
inline constexpr std::string_view kDefaultApiBaseUrl = "https://api.clever.com";

struct CleverConfig {
  std::string client_id;
  sdk::Secret client_secret;
  std::string authorize_url;
  std::string token_url;
  std::string api_base_url;  // without trailing slash
  std::chrono::milliseconds timeout{10'000};
};

// Reads `context.config()`; resolves the secret through `context.secrets()`. The Secure Sync
// keys are checked by read_sync_settings (clever_sync_config.h).
sdk::Result<CleverConfig> read_config(sdk::PluginContext& context);

}  // namespace lmsgw::plugins::clever
