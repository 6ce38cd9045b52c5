#include "clever_config.h"

#include "oauth.h"

namespace lmsgw::plugins::clever {

sdk::Result<CleverConfig> read_config(sdk::PluginContext& context) {
  const sdk::ConfigNode& node = context.config();
  if (!node.is_mapping()) return node.error("expected a mapping with client_id and client_secret");
  if (auto keys = node.check_keys({"client_id", "client_secret", "authorize_url", "token_url",
                                   "api_base_url", "timeout_ms", "districts", "page_limit",
                                   "full_sync_every", "max_retries", "max_wait",
                                   "page_timeout_ms"});
      !keys) {
    return keys.error();
  }
  CleverConfig config;
  auto client_id = node.get_string("client_id");
  if (!client_id) return client_id.error();
  config.client_id = std::move(*client_id);

  const sdk::ConfigNode* secret_node = node.find("client_secret");
  if (secret_node == nullptr) return node.missing("client_secret");
  auto secret = context.secrets().resolve(*secret_node);
  if (!secret) return secret.error();
  config.client_secret = std::move(*secret);

  using common::UrlUse;
  auto authorize =
      common::url_option(node, "authorize_url", kDefaultAuthorizeUrl, UrlUse::browser_redirect);
  if (!authorize) return authorize.error();
  auto token = common::url_option(node, "token_url", kDefaultTokenUrl, UrlUse::server_to_server);
  if (!token) return token.error();
  auto api = common::url_option(node, "api_base_url", kDefaultApiBaseUrl, UrlUse::server_to_server);
  if (!api) return api.error();
  config.authorize_url = std::move(*authorize);
  config.token_url = std::move(*token);
  config.api_base_url = std::move(*api);
  while (config.api_base_url.ends_with('/')) config.api_base_url.pop_back();

  auto timeout = node.get_int("timeout_ms", 10'000, 100, 60'000);
  if (!timeout) return timeout.error();
  config.timeout = std::chrono::milliseconds(*timeout);
  return config;
}

}  // namespace lmsgw::plugins::clever
