// The LTI 1.3 connection's `config:` subtree: one district's registration with one LMS
// platform, validated once when the connection is created.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::lti13 {

// Ids the platform mints (client id, deployment id) and the issuer are at most this long; the
// LTI spec bounds deployment ids and resource link ids at 255 ASCII characters.
inline constexpr std::size_t kMaxIdLength = 255;

struct LtiConfig {
  std::string issuer;
  std::string client_id;
  std::string auth_endpoint;
  std::string jwks_url;
  std::vector<std::string> deployment_ids;
  std::vector<std::string> algorithms;

  bool deployment_registered(std::string_view deployment_id) const noexcept;
};

// Reads and checks `context.config()`; errors name `file:line: key`.
sdk::Result<LtiConfig> read_config(const sdk::PluginContext& context);

}  // namespace lmsgw::plugins::lti13
