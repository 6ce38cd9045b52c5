// The Facebook connection's `config:` subtree, validated once when the connection is created.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::facebook {

inline constexpr std::string_view kDefaultDialogBaseUrl = "https://www.facebook.com";
inline constexpr std::string_view kDefaultGraphBaseUrl = "https://graph.facebook.com";

struct FacebookConfig {
  std::string app_id;
  sdk::Secret app_secret;
  // "v21.0": every dialog and Graph URL names it, so a Graph upgrade is a config change.
  std::string graph_version;
  // Facebook says nothing about age, so the role is the connection's: teacher or guardian.
  sdk::Role role = sdk::Role::unknown;
  // Adds the `email` permission and field; off by default (public_profile only).
  bool request_email = false;
  std::string dialog_base_url;  // without trailing slash
  std::string graph_base_url;   // without trailing slash
  std::chrono::milliseconds timeout{10'000};
  // A Deauthorize or Data Deletion callback whose `issued_at` is older than this is refused.
  // Facebook calls at once when the person acts; ten minutes covers its queueing and clock
  // drift, and a request older than that is one captured and sent again.
  std::chrono::seconds signal_max_age{600};

  std::string dialog_url() const { return dialog_base_url + "/" + graph_version + "/dialog/oauth"; }
  std::string token_url() const {
    return graph_base_url + "/" + graph_version + "/oauth/access_token";
  }
  std::string me_url() const { return graph_base_url + "/" + graph_version + "/me"; }
};

// Reads `context.config()`; resolves the secret through `context.secrets()`.
sdk::Result<FacebookConfig> read_config(sdk::PluginContext& context);

// Graph API versions look like "v21.0": 'v', two or three digits, '.', one digit.
bool is_graph_version(std::string_view text) noexcept;

}  // namespace lmsgw::plugins::facebook
