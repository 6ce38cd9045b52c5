#include "facebook_config.h"

#include <algorithm>

#include "oauth.h"

namespace lmsgw::plugins::facebook {
namespace {

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

sdk::Result<std::string> base_url(const sdk::ConfigNode& node, std::string_view key,
                                  std::string_view fallback, common::UrlUse use) {
  auto url = common::url_option(node, key, fallback, use);
  if (!url) return url.error();
  std::string value = std::move(*url);
  while (value.ends_with('/')) value.pop_back();
  // The version and endpoint are appended as path segments; a query would swallow them.
  if (value.find('?') != std::string::npos) {
    const sdk::ConfigNode* child = node.find(key);
    return (child != nullptr ? *child : node).error("must not carry a query");
  }
  return value;
}

}  // namespace

bool is_graph_version(std::string_view text) noexcept {
  if (text.size() < 5 || text.size() > 6 || text.front() != 'v') return false;
  const std::size_t dot = text.size() - 2;
  if (text[dot] != '.' || !is_digit(text.back())) return false;
  for (std::size_t i = 1; i < dot; ++i) {
    if (!is_digit(text[i])) return false;
  }
  return true;
}

sdk::Result<FacebookConfig> read_config(sdk::PluginContext& context) {
  const sdk::ConfigNode& node = context.config();
  if (!node.is_mapping()) {
    return node.error("expected a mapping with app_id, app_secret, graph_version and role");
  }
  if (auto keys = node.check_keys({"app_id", "app_secret", "graph_version", "role", "request_email",
                                   "dialog_base_url", "graph_base_url", "timeout_ms",
                                   "signal_max_age_seconds"});
      !keys) {
    return keys.error();
  }
  FacebookConfig config;
  auto app_id = node.get_string("app_id");
  if (!app_id) return app_id.error();
  if (app_id->empty() || app_id->size() > 32 ||
      !std::all_of(app_id->begin(), app_id->end(), is_digit)) {
    return node.find("app_id")->error("expected the numeric Facebook App ID");
  }
  config.app_id = std::move(*app_id);

  const sdk::ConfigNode* secret_node = node.find("app_secret");
  if (secret_node == nullptr) return node.missing("app_secret");
  auto secret = context.secrets().resolve(*secret_node);
  if (!secret) return secret.error();
  if (secret->empty()) return secret_node->error("the secret it names is empty");
  config.app_secret = std::move(*secret);

  auto version = node.get_string("graph_version");
  if (!version) return version.error();
  if (!is_graph_version(*version)) {
    return node.find("graph_version")->error("expected a Graph API version such as v21.0");
  }
  config.graph_version = std::move(*version);

  auto role = node.get_string("role");
  if (!role) return role.error();
  if (*role == "teacher") {
    config.role = sdk::Role::teacher;
  } else if (*role == "guardian") {
    config.role = sdk::Role::guardian;
  } else if (*role == "student") {
    // Facebook tells us nothing about age and its users may be under 13: a student account
    // must never come from it.
    return node.find("role")->error(
        "student is not allowed: Facebook sign-in is for teachers and guardians only, since "
        "it cannot tell a child's age; use teacher or guardian");
  } else {
    return node.find("role")->error("expected teacher or guardian");
  }

  auto email = node.get_bool("request_email", false);
  if (!email) return email.error();
  config.request_email = *email;

  using common::UrlUse;
  auto dialog = base_url(node, "dialog_base_url", kDefaultDialogBaseUrl, UrlUse::browser_redirect);
  if (!dialog) return dialog.error();
  auto graph = base_url(node, "graph_base_url", kDefaultGraphBaseUrl, UrlUse::server_to_server);
  if (!graph) return graph.error();
  config.dialog_base_url = std::move(*dialog);
  config.graph_base_url = std::move(*graph);

  auto timeout = node.get_int("timeout_ms", 10'000, 100, 60'000);
  if (!timeout) return timeout.error();
  config.timeout = std::chrono::milliseconds(*timeout);
  // At most a day: the gateway remembers applied signal ids for longer than that.
  auto max_age = node.get_int("signal_max_age_seconds", 600, 60, 86'400);
  if (!max_age) return max_age.error();
  config.signal_max_age = std::chrono::seconds(*max_age);
  return config;
}

}  // namespace lmsgw::plugins::facebook
