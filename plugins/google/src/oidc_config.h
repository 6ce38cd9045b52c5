// The `config:` subtree of a `google` or `oidc` connection, validated once when the connection
// is created. Both modules share it; the flavour decides the defaults and which keys exist.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::google {

enum class Flavor : std::uint8_t {
  // Google: its discovery document and both of its documented issuer spellings by default.
  google,
  // Any OpenID provider: discovery_url is required and the issuer must match it exactly.
  generic,
};

inline constexpr std::string_view kGoogleDiscoveryUrl =
    "https://accounts.google.com/.well-known/openid-configuration";
// Google documents both spellings of its issuer for ID tokens.
inline constexpr std::string_view kGoogleIssuers[] = {"https://accounts.google.com",
                                                      "accounts.google.com"};
inline constexpr std::string_view kDiscoverySuffix = "/.well-known/openid-configuration";
// Cross-Account Protection (PROTOCOLS.md 2.3). Google's RISC issuer has a trailing slash,
// unlike its ID-token issuer.
inline constexpr std::string_view kGoogleRiscConfigurationUrl =
    "https://accounts.google.com/.well-known/risc-configuration";
inline constexpr std::string_view kGoogleRiscIssuer = "https://accounts.google.com/";

enum class ClientAuth : std::uint8_t { client_secret_basic, client_secret_post };

struct OidcConfig {
  Flavor flavor = Flavor::google;
  std::string client_id;
  sdk::Secret client_secret;
  ClientAuth client_auth = ClientAuth::client_secret_basic;
  std::string discovery_url;
  // The issuers an ID token may name. The discovery document's `issuer` must be one of them.
  std::vector<std::string> issuers;
  std::vector<std::string> algorithms;
  // Adds `profile` to "openid email": names then reach the core, which keeps a first name.
  bool request_profile = false;
  // Workspace domains (`hd` claim, lower case) allowed to sign in. Empty: no domain rule, and
  // the role may not be student.
  std::vector<std::string> hosted_domains;
  // Per-domain roles; a domain not listed here gets `default_role`.
  std::map<std::string, sdk::Role> domain_roles;
  sdk::Role default_role = sdk::Role::student;
  std::chrono::seconds discovery_lifetime{3600};
  std::chrono::milliseconds timeout{10'000};
  // Google only: where the RISC configuration (issuer, jwks_uri) is read, the issuer it must
  // name, and how old a security event token's `iat` may be. Google retries a delivery that
  // failed for a while; a day keeps a token from an outage of ours usable, while the gateway
  // remembers applied token ids for longer than that.
  std::string risc_configuration_url;
  std::string risc_issuer;
  std::chrono::seconds risc_max_age{86'400};
};

// Reads `context.config()`; resolves the secret through `context.secrets()`.
sdk::Result<OidcConfig> read_config(sdk::PluginContext& context, Flavor flavor);

// "student", "teacher", "staff", "district_admin", "guardian"; nullopt for anything else.
std::optional<sdk::Role> role_from_name(std::string_view name) noexcept;

// The role for a token of hosted domain `hd` (lower case; empty when the token has none).
sdk::Role role_for_domain(const OidcConfig& config, const std::string& hd);

}  // namespace lmsgw::plugins::google
