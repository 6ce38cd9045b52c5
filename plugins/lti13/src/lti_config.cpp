#include "lti_config.h"

#include <algorithm>

#include "oauth.h"

namespace lmsgw::plugins::lti13 {
namespace {

constexpr std::string_view kAlgorithms[] = {"RS256", "ES256", "EdDSA"};
constexpr std::size_t kMaxDeployments = 100;

// Printable ASCII without spaces: ids are compared byte for byte and end up in URLs.
bool is_plain_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

sdk::Result<std::string> plain_id(const sdk::ConfigNode& node, std::string_view key) {
  auto value = node.get_string(key);
  if (!value) return value.error();
  if (!is_plain_id(*value)) {
    return node.find(key)->error("expected 1 to 255 printable ASCII characters without spaces");
  }
  return value;
}

}  // namespace

bool LtiConfig::deployment_registered(std::string_view deployment_id) const noexcept {
  return std::find(deployment_ids.begin(), deployment_ids.end(), deployment_id) !=
         deployment_ids.end();
}

sdk::Result<LtiConfig> read_config(const sdk::PluginContext& context) {
  const sdk::ConfigNode& node = context.config();
  if (!node.is_mapping()) {
    return node.error(
        "expected a mapping with issuer, client_id, auth_endpoint, jwks_url, deployment_ids");
  }
  if (auto keys = node.check_keys(
          {"issuer", "client_id", "auth_endpoint", "jwks_url", "deployment_ids", "algorithms"});
      !keys) {
    return keys.error();
  }
  LtiConfig config;
  auto issuer = plain_id(node, "issuer");
  if (!issuer) return issuer.error();
  // The Security Framework makes the issuer an https URL; it is compared, never fetched.
  if (!issuer->starts_with("https://")) return node.find("issuer")->error("must be an https URL");
  config.issuer = std::move(*issuer);

  auto client_id = plain_id(node, "client_id");
  if (!client_id) return client_id.error();
  config.client_id = std::move(*client_id);

  if (node.find("auth_endpoint") == nullptr) return node.missing("auth_endpoint");
  auto auth = common::url_option(node, "auth_endpoint", "", common::UrlUse::browser_redirect);
  if (!auth) return auth.error();
  config.auth_endpoint = std::move(*auth);

  if (node.find("jwks_url") == nullptr) return node.missing("jwks_url");
  auto jwks = common::url_option(node, "jwks_url", "", common::UrlUse::server_to_server);
  if (!jwks) return jwks.error();
  config.jwks_url = std::move(*jwks);

  const sdk::ConfigNode* deployments = node.find("deployment_ids");
  if (deployments == nullptr || deployments->is_null()) return node.missing("deployment_ids");
  auto ids = node.get_string_list("deployment_ids");
  if (!ids) return ids.error();
  if (ids->empty()) return deployments->error("must list at least one deployment id");
  if (ids->size() > kMaxDeployments) return deployments->error("lists too many deployment ids");
  for (std::size_t i = 0; i < ids->size(); ++i) {
    const std::string& id = (*ids)[i];
    if (!is_plain_id(id)) {
      return deployments->items()[i].error(
          "expected 1 to 255 printable ASCII characters without spaces");
    }
    if (std::find(ids->begin(), ids->begin() + static_cast<std::ptrdiff_t>(i), id) !=
        ids->begin() + static_cast<std::ptrdiff_t>(i)) {
      return deployments->items()[i].error("is listed twice");
    }
  }
  config.deployment_ids = std::move(*ids);

  auto algorithms = node.get_string_list("algorithms");
  if (!algorithms) return algorithms.error();
  if (const sdk::ConfigNode* listed = node.find("algorithms");
      listed != nullptr && !listed->is_null()) {
    if (algorithms->empty()) return listed->error("must list at least one algorithm");
    for (std::size_t i = 0; i < algorithms->size(); ++i) {
      if (std::find(std::begin(kAlgorithms), std::end(kAlgorithms), (*algorithms)[i]) ==
          std::end(kAlgorithms)) {
        return listed->items()[i].error("expected RS256, ES256 or EdDSA");
      }
    }
    config.algorithms = std::move(*algorithms);
  } else {
    config.algorithms = {"RS256"};
  }
  return config;
}

}  // namespace lmsgw::plugins::lti13
