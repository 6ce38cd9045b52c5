#include "oidc_config.h"

#include <algorithm>

#include "oauth.h"

namespace lmsgw::plugins::google {
namespace {

constexpr std::size_t kMaxDomainLength = 253;

// DNS names as Google reports them in `hd`: letters, digits, '-' and '.', compared in lower
// case. Anything else in the allowlist is a typo that would never match.
std::optional<std::string> normalized_domain(std::string_view text) {
  if (text.empty() || text.size() > kMaxDomainLength || text.front() == '.' || text.back() == '.' ||
      text.find("..") != std::string_view::npos) {
    return std::nullopt;
  }
  std::string out;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!allowed) return std::nullopt;
    out += c;
  }
  return out;
}

sdk::Result<sdk::Role> role_option(const sdk::ConfigNode& node) {
  if (!node.is_scalar()) return node.error("expected a role");
  auto role = role_from_name(node.text());
  if (!role) return node.error("expected student, teacher, staff, district_admin or guardian");
  return *role;
}

sdk::Result<void> read_domains(const sdk::ConfigNode& node, OidcConfig& config) {
  if (const sdk::ConfigNode* list = node.find("hosted_domains"); list != nullptr) {
    if (!list->is_sequence() && !list->is_null()) return list->error("expected a list of domains");
    for (const sdk::ConfigNode& item : list->items()) {
      auto domain = item.is_scalar() ? normalized_domain(item.text()) : std::nullopt;
      if (!domain) return item.error("expected a domain name such as district.example.org");
      if (std::find(config.hosted_domains.begin(), config.hosted_domains.end(), *domain) !=
          config.hosted_domains.end()) {
        return item.error("domain listed twice");
      }
      config.hosted_domains.push_back(std::move(*domain));
    }
  }
  if (const sdk::ConfigNode* roles = node.find("domain_roles");
      roles != nullptr && !roles->is_null()) {
    if (!roles->is_mapping()) return roles->error("expected a mapping of domains to roles");
    for (const auto& [name, value] : roles->entries()) {
      auto domain = normalized_domain(name);
      if (!domain || std::find(config.hosted_domains.begin(), config.hosted_domains.end(),
                               *domain) == config.hosted_domains.end()) {
        return value.error("domain is not in hosted_domains");
      }
      auto role = role_option(value);
      if (!role) return role.error();
      config.domain_roles[*domain] = *role;
    }
  }
  if (const sdk::ConfigNode* role = node.find("default_role");
      role != nullptr && !role->is_null()) {
    auto parsed = role_option(*role);
    if (!parsed) return parsed.error();
    config.default_role = *parsed;
  }
  // Only a Workspace domain the district vouches for may make someone a student: an
  // unrestricted connection (personal accounts) must not.
  if (config.hosted_domains.empty() && config.default_role == sdk::Role::student) {
    const sdk::ConfigNode* role = node.find("default_role");
    return (role != nullptr ? *role : node)
        .error(
            "students must come from an allowed domain: list hosted_domains or set a "
            "default_role other than student");
  }
  return {};
}

sdk::Result<void> read_provider(const sdk::ConfigNode& node, Flavor flavor, OidcConfig& config) {
  using common::UrlUse;
  if (flavor == Flavor::generic && node.find("discovery_url") == nullptr) {
    return node.missing("discovery_url");
  }
  auto discovery =
      common::url_option(node, "discovery_url", kGoogleDiscoveryUrl, UrlUse::server_to_server);
  if (!discovery) return discovery.error();
  config.discovery_url = std::move(*discovery);

  if (flavor == Flavor::google) {
    auto issuers = node.get_string_list("issuers");
    if (!issuers) return issuers.error();
    config.issuers = std::move(*issuers);
    if (config.issuers.empty())
      config.issuers.assign(std::begin(kGoogleIssuers), std::end(kGoogleIssuers));
    config.algorithms = {"RS256"};
    auto risc = common::url_option(node, "risc_configuration_url", kGoogleRiscConfigurationUrl,
                                   UrlUse::server_to_server);
    if (!risc) return risc.error();
    config.risc_configuration_url = std::move(*risc);
    auto risc_issuer = node.get_optional_string("risc_issuer");
    if (!risc_issuer) return risc_issuer.error();
    if (*risc_issuer && risc_issuer->value().empty()) {
      return node.find("risc_issuer")->error("must not be empty");
    }
    config.risc_issuer = risc_issuer->value_or(std::string(kGoogleRiscIssuer));
    auto max_age = node.get_int("risc_max_age_seconds", 86'400, 300, 604'800);
    if (!max_age) return max_age.error();
    config.risc_max_age = std::chrono::seconds(*max_age);
    return {};
  }

  // OpenID Connect Discovery 1.0 section 4: the document lives at issuer + the well-known
  // suffix, so without an explicit issuer the URL itself names the one we expect.
  auto issuer = node.get_optional_string("issuer");
  if (!issuer) return issuer.error();
  if (*issuer) {
    if (issuer->value().empty()) return node.find("issuer")->error("must not be empty");
    config.issuers = {**issuer};
  } else if (config.discovery_url.ends_with(kDiscoverySuffix)) {
    config.issuers = {
        config.discovery_url.substr(0, config.discovery_url.size() - kDiscoverySuffix.size())};
  } else {
    return node.missing("issuer");
  }
  auto algorithms = node.get_string_list("algorithms");
  if (!algorithms) return algorithms.error();
  config.algorithms = std::move(*algorithms);
  if (config.algorithms.empty()) config.algorithms = {"RS256"};
  for (const std::string& name : config.algorithms) {
    if (name != "RS256" && name != "ES256" && name != "EdDSA") {
      return node.find("algorithms")->error("algorithms must be RS256, ES256 or EdDSA");
    }
  }
  return {};
}

}  // namespace

std::optional<sdk::Role> role_from_name(std::string_view name) noexcept {
  for (sdk::Role role : {sdk::Role::student, sdk::Role::teacher, sdk::Role::staff,
                         sdk::Role::district_admin, sdk::Role::guardian}) {
    if (to_string(role) == name) return role;
  }
  return std::nullopt;
}

sdk::Role role_for_domain(const OidcConfig& config, const std::string& hd) {
  auto it = config.domain_roles.find(hd);
  return it != config.domain_roles.end() ? it->second : config.default_role;
}

sdk::Result<OidcConfig> read_config(sdk::PluginContext& context, Flavor flavor) {
  const sdk::ConfigNode& node = context.config();
  if (!node.is_mapping()) return node.error("expected a mapping with client_id and client_secret");
  auto keys =
      flavor == Flavor::google
          ? node.check_keys({"client_id", "client_secret", "client_auth", "discovery_url",
                             "issuers", "request_profile", "hosted_domains", "domain_roles",
                             "default_role", "discovery_cache_seconds", "timeout_ms",
                             "risc_configuration_url", "risc_issuer", "risc_max_age_seconds"})
          : node.check_keys({"client_id", "client_secret", "client_auth", "discovery_url", "issuer",
                             "algorithms", "request_profile", "hosted_domains", "domain_roles",
                             "default_role", "discovery_cache_seconds", "timeout_ms"});
  if (!keys) return keys.error();

  OidcConfig config;
  config.flavor = flavor;
  auto client_id = node.get_string("client_id");
  if (!client_id) return client_id.error();
  if (client_id->empty()) return node.find("client_id")->error("must not be empty");
  config.client_id = std::move(*client_id);

  const sdk::ConfigNode* secret_node = node.find("client_secret");
  if (secret_node == nullptr) return node.missing("client_secret");
  auto secret = context.secrets().resolve(*secret_node);
  if (!secret) return secret.error();
  config.client_secret = std::move(*secret);

  auto auth = node.get_optional_string("client_auth");
  if (!auth) return auth.error();
  if (*auth == "client_secret_post") {
    config.client_auth = ClientAuth::client_secret_post;
  } else if (auth->has_value() && **auth != "client_secret_basic") {
    return node.find("client_auth")->error("expected client_secret_basic or client_secret_post");
  }

  if (auto provider = read_provider(node, flavor, config); !provider) return provider.error();

  auto profile = node.get_bool("request_profile", false);
  if (!profile) return profile.error();
  config.request_profile = *profile;

  if (auto domains = read_domains(node, config); !domains) return domains.error();

  auto lifetime = node.get_int("discovery_cache_seconds", 3600, 60, 86'400);
  if (!lifetime) return lifetime.error();
  config.discovery_lifetime = std::chrono::seconds(*lifetime);
  auto timeout = node.get_int("timeout_ms", 10'000, 100, 60'000);
  if (!timeout) return timeout.error();
  config.timeout = std::chrono::milliseconds(*timeout);
  return config;
}

}  // namespace lmsgw::plugins::google
