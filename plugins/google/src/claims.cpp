#include "claims.h"

#include <algorithm>
#include <charconv>
#include <span>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "oauth.h"

namespace lmsgw::plugins::google {
namespace {

constexpr std::size_t kMaxSubjectLength = 255;  // OpenID Connect Core 2: at most 255 ASCII
constexpr std::size_t kMaxEmailLength = 320;
constexpr int kMaxFlattenDepth = 4;

// Claims about the token itself, not the person: checked by the verifier or here, not reported.
constexpr std::string_view kProtocolClaims[] = {"iss",       "aud",     "exp",    "iat", "nbf",
                                                "nonce",     "at_hash", "c_hash", "azp", "jti",
                                                "auth_time", "acr",     "amr",    "sid", "sub"};
// Claims with a typed field in ExternalIdentity.
constexpr std::string_view kTypedClaims[] = {
    "email",       "email_verified", "given_name", "family_name",
    "middle_name", "name",           "birthdate",  "hd"};

sdk::Error malformed(std::string detail) {
  return sdk::Error{sdk::ErrorCode::upstream_malformed, "ID token: " + std::move(detail)};
}

bool listed(std::string_view key, std::span<const std::string_view> names) {
  return std::find(names.begin(), names.end(), key) != names.end();
}

void flatten(const std::string& prefix, const boost::json::value& value, int depth,
             std::map<std::string, std::string>& out) {
  if (const boost::json::object* object = value.if_object(); object && depth < kMaxFlattenDepth) {
    for (const auto& member : *object) {
      flatten(prefix + "." + std::string(member.key()), member.value(), depth + 1, out);
    }
  } else if (const boost::json::array* array = value.if_array();
             array && depth < kMaxFlattenDepth) {
    for (std::size_t i = 0; i < array->size(); ++i) {
      flatten(prefix + "." + std::to_string(i), (*array)[i], depth + 1, out);
    }
  } else if (const boost::json::string* text = value.if_string()) {
    out[prefix] = std::string(*text);
  } else {
    out[prefix] = boost::json::serialize(value);
  }
}

// A typed string claim: absent is fine, any other JSON type is a malformed token.
sdk::Result<std::optional<std::string>> optional_string(const boost::json::object& claims,
                                                        std::string_view key) {
  const boost::json::value* value = claims.if_contains(key);
  if (value == nullptr || value->is_null()) return std::optional<std::string>{};
  if (!value->is_string()) return malformed(std::string(key) + " is not a string");
  return std::optional<std::string>{std::string(value->get_string())};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// OpenID Connect Core 3.1.3.7: a token for several audiences names its presenter in azp, and
// that presenter must be us.
sdk::Result<void> check_presenter(const boost::json::object& claims, const std::string& client_id) {
  const boost::json::value* aud = claims.if_contains("aud");
  const bool several = aud != nullptr && aud->is_array() && aud->get_array().size() > 1;
  auto azp = optional_string(claims, "azp");
  if (!azp) return azp.error();
  if (several && !*azp) return malformed("azp is required with several audiences");
  if (*azp && **azp != client_id) return malformed("azp names another client");
  return {};
}

sdk::Result<bool> email_verified(const boost::json::object& claims) {
  const boost::json::value* value = claims.if_contains("email_verified");
  if (value == nullptr || value->is_null()) return false;
  if (value->is_bool()) return value->get_bool();
  // Some providers send the JSON string; accept exactly its two spellings.
  if (const boost::json::string* text = value->if_string()) {
    if (*text == "true") return true;
    if (*text == "false") return false;
  }
  return malformed("email_verified is not a boolean");
}

}  // namespace

std::optional<sdk::CivilDate> parse_birthdate(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t length, int& out) {
    const char* first = text.data() + at;
    auto [end, ec] = std::from_chars(first, first + length, out);
    return ec == std::errc{} && end == first + length;
  };
  int year = 0;
  int month = 0;
  int day = 0;
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return std::nullopt;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31) return std::nullopt;
  return sdk::CivilDate{year, static_cast<unsigned>(month), static_cast<unsigned>(day)};
}

sdk::Result<sdk::ExternalIdentity> identity_from_claims(const boost::json::object& claims,
                                                        const OidcConfig& config) {
  sdk::ExternalIdentity identity;
  const boost::json::string* sub = common::string_member(claims, "sub");
  if (sub == nullptr || sub->empty() || sub->size() > kMaxSubjectLength) {
    return malformed("sub is missing or longer than 255 characters");
  }
  identity.subject = std::string(*sub);
  if (auto presenter = check_presenter(claims, config.client_id); !presenter) {
    return presenter.error();
  }

  // The domain rule reads `hd` only. An email address ending in an allowed domain proves
  // nothing: personal Google accounts can carry any address, and only `hd` is set by Google
  // from the Workspace organisation the account belongs to.
  auto hd = optional_string(claims, "hd");
  if (!hd) return hd.error();
  const std::string domain = *hd ? lower(**hd) : std::string();
  if (!config.hosted_domains.empty()) {
    if (domain.empty()) {
      return sdk::Error{sdk::ErrorCode::not_permitted,
                        "the account belongs to no Workspace domain (no hd claim)"};
    }
    if (std::find(config.hosted_domains.begin(), config.hosted_domains.end(), domain) ==
        config.hosted_domains.end()) {
      return sdk::Error{sdk::ErrorCode::not_permitted,
                        "the account's Workspace domain is not allowed here"};
    }
    // The core maps this to one of its districts through the connection's provider_districts.
    identity.provider_district = domain;
  }
  identity.role = role_for_domain(config, domain);

  auto email = optional_string(claims, "email");
  if (!email) return email.error();
  if (*email && (*email)->size() > kMaxEmailLength) return malformed("email is too long");
  identity.email = std::move(*email);
  auto verified = email_verified(claims);
  if (!verified) return verified.error();
  identity.email_verified = identity.email.has_value() && *verified;

  struct Named {
    std::string_view claim;
    std::optional<std::string> sdk::ExternalIdentity::*field;
  };
  for (const Named& named : {Named{"given_name", &sdk::ExternalIdentity::given_name},
                             Named{"family_name", &sdk::ExternalIdentity::family_name},
                             Named{"middle_name", &sdk::ExternalIdentity::middle_name},
                             Named{"name", &sdk::ExternalIdentity::full_name}}) {
    auto value = optional_string(claims, named.claim);
    if (!value) return value.error();
    identity.*named.field = std::move(*value);
  }

  auto birthdate = optional_string(claims, "birthdate");
  if (!birthdate) return birthdate.error();
  if (*birthdate) {
    identity.birthdate = parse_birthdate(**birthdate);
    // A form we cannot read is still reported, so that the core sees (and drops) it.
    if (!identity.birthdate) identity.extra["birthdate"] = **birthdate;
  }
  if (*hd && config.hosted_domains.empty()) identity.extra["hd"] = **hd;

  for (const auto& member : claims) {
    const std::string_view key = member.key();
    if (listed(key, kProtocolClaims) || listed(key, kTypedClaims)) continue;
    flatten(std::string(key), member.value(), 0, identity.extra);
  }
  return identity;
}

}  // namespace lmsgw::plugins::google
