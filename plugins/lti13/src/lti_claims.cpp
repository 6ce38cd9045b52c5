#include "lti_claims.h"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "lti_roles.h"
#include "oauth.h"

namespace lmsgw::plugins::lti13 {
namespace {

using common::object_member;
using common::string_member;

constexpr std::size_t kMaxRoles = 64;
constexpr std::size_t kMaxRoleLength = 256;
constexpr std::size_t kMaxFlattenDepth = 6;
constexpr std::size_t kMaxExtraEntries = 256;
constexpr std::size_t kMaxProfileClaimLength = 256;

// Claims the token verifier already checked, or that say something about the token rather than
// the person; they are not reported.
constexpr std::string_view kProtocolClaims[] = {"iss", "aud",   "azp", "exp",      "iat",
                                                "nbf", "nonce", "jti", "auth_time"};
// Claims reported in typed fields.
constexpr std::string_view kTypedClaims[] = {"sub",         "given_name", "family_name",
                                             "middle_name", "name",       "email"};

sdk::Error invalid(std::string detail) {
  return sdk::Error{sdk::ErrorCode::token_invalid, std::move(detail)};
}

std::string claim(std::string_view name) { return std::string(kClaimPrefix) + std::string(name); }

const boost::json::string* lti_string(const boost::json::object& claims, std::string_view name) {
  return string_member(claims, claim(name));
}

bool is_plain_text(std::string_view text, std::size_t max) noexcept {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

void flatten(const boost::json::value& value, const std::string& path,
             std::map<std::string, std::string>& out, std::size_t depth) {
  if (depth > kMaxFlattenDepth || out.size() >= kMaxExtraEntries) return;
  switch (value.kind()) {
    case boost::json::kind::object:
      for (const auto& member : value.get_object()) {
        flatten(member.value(), path + "." + std::string(member.key()), out, depth + 1);
      }
      break;
    case boost::json::kind::array: {
      std::size_t index = 0;
      for (const auto& item : value.get_array()) {
        flatten(item, path + "[" + std::to_string(index++) + "]", out, depth + 1);
      }
      break;
    }
    case boost::json::kind::string:
      out[path] = std::string(value.get_string());
      break;
    case boost::json::kind::null:
      break;
    default:
      out[path] = boost::json::serialize(value);
  }
}

std::optional<std::string> profile_claim(const boost::json::object& claims, std::string_view key) {
  const boost::json::string* value = string_member(claims, key);
  if (value == nullptr || value->empty() || value->size() > kMaxProfileClaimLength) {
    return std::nullopt;
  }
  return std::string(*value);
}

template <std::size_t N>
bool listed(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

sdk::Result<void> check_azp(const boost::json::object& claims, const LtiConfig& config) {
  const boost::json::value* aud = claims.if_contains("aud");
  const bool several = aud != nullptr && aud->is_array() && aud->get_array().size() > 1;
  const boost::json::value* azp = claims.if_contains("azp");
  if (azp == nullptr) {
    if (several) return invalid("aud names several audiences and azp is missing");
    return {};
  }
  if (!azp->is_string() || azp->get_string() != config.client_id) {
    return invalid("azp is not our client id");
  }
  return {};
}

sdk::Result<std::vector<std::string>> roles_of(const boost::json::object& claims) {
  const boost::json::value* roles = claims.if_contains(claim("roles"));
  // Required by LTI Core 5.3.7, though it may be empty (an anonymous or unprivileged launch).
  if (roles == nullptr || !roles->is_array()) return invalid("roles claim missing or not a list");
  if (roles->get_array().size() > kMaxRoles) return invalid("roles claim lists too many roles");
  std::vector<std::string> uris;
  for (const boost::json::value& role : roles->get_array()) {
    if (!role.is_string() || role.get_string().size() > kMaxRoleLength) {
      return invalid("roles claim holds a role that is not a short string");
    }
    uris.emplace_back(role.get_string());
  }
  return uris;
}

}  // namespace

sdk::Result<sdk::ExternalIdentity> identity_from_launch(const boost::json::object& claims,
                                                        const LtiConfig& config,
                                                        const LaunchExpectations& expected) {
  if (auto azp = check_azp(claims, config); !azp) return azp.error();

  const boost::json::string* message_type = lti_string(claims, "message_type");
  if (message_type == nullptr) return invalid("message_type claim missing");
  if (*message_type != kResourceLinkRequest) {
    return sdk::Error{sdk::ErrorCode::not_permitted,
                      "only resource link launches sign in (message_type refused)"};
  }
  const boost::json::string* version = lti_string(claims, "version");
  if (version == nullptr || *version != kLtiVersion) {
    return invalid("version claim missing or not 1.3.0");
  }

  const boost::json::string* deployment = lti_string(claims, "deployment_id");
  if (deployment == nullptr || !is_plain_text(*deployment, kMaxIdLength)) {
    return invalid("deployment_id claim missing or malformed");
  }
  if (!config.deployment_registered(*deployment)) {
    return sdk::Error{sdk::ErrorCode::not_permitted, "deployment_id is not registered here"};
  }
  if (!expected.deployment_id.empty() && *deployment != expected.deployment_id) {
    return invalid("deployment_id differs from the login's lti_deployment_id");
  }

  const boost::json::string* target = lti_string(claims, "target_link_uri");
  if (target == nullptr || target->empty()) return invalid("target_link_uri claim missing");
  if (*target != expected.target_link_uri) {
    return invalid("target_link_uri differs from the login's");
  }

  const boost::json::object* resource_link = object_member(claims, claim("resource_link"));
  const boost::json::string* link_id =
      resource_link != nullptr ? string_member(*resource_link, "id") : nullptr;
  if (link_id == nullptr || link_id->empty() || link_id->size() > kMaxIdLength) {
    return invalid("resource_link.id claim missing or malformed");
  }

  auto roles = roles_of(claims);
  if (!roles) return roles.error();

  const boost::json::string* sub = string_member(claims, "sub");
  if (sub == nullptr || sub->empty()) {
    return sdk::Error{sdk::ErrorCode::not_permitted, "anonymous launch (no sub) cannot sign in"};
  }
  if (sub->size() > kMaxIdLength) return invalid("sub claim is longer than 255 characters");

  sdk::ExternalIdentity identity;
  identity.subject = std::string(*sub);
  identity.role = role_of(*roles);
  if (const boost::json::object* context = object_member(claims, claim("context"))) {
    const boost::json::string* context_id = string_member(*context, "id");
    if (context_id == nullptr || context_id->empty() || context_id->size() > kMaxIdLength) {
      return invalid("context claim has no valid id");
    }
    identity.provider_sections.emplace_back(*context_id);
  }
  identity.given_name = profile_claim(claims, "given_name");
  identity.family_name = profile_claim(claims, "family_name");
  identity.middle_name = profile_claim(claims, "middle_name");
  identity.full_name = profile_claim(claims, "name");
  identity.email = profile_claim(claims, "email");
  // LTI launches carry no email_verified, and the platform's email is whatever the LMS holds.
  identity.email_verified = false;

  for (const auto& member : claims) {
    const std::string_view key = member.key();
    if (listed(kProtocolClaims, key) || listed(kTypedClaims, key)) continue;
    flatten(member.value(), std::string(key), identity.extra, 1);
  }
  return identity;
}

}  // namespace lmsgw::plugins::lti13
