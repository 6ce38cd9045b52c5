#include "jose/jwt.h"

#include <algorithm>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <cctype>
#include <utility>

#include "common/crypto.h"
#include "jose/detail.h"
#include "jose/jws.h"

namespace lmsgw::jose {

namespace {

sdk::Error rules_error(std::string detail) {
  return {sdk::ErrorCode::internal, "claim rules: " + std::move(detail)};
}

// A NumericDate (RFC 7519 section 2): a JSON number of seconds, possibly fractional.
sdk::Result<std::optional<double>> numeric_date(const boost::json::object& claims,
                                                std::string_view name) {
  const boost::json::value* value = claims.if_contains(name);
  if (value == nullptr) return std::optional<double>();
  if (value->is_int64()) return std::optional<double>(static_cast<double>(value->get_int64()));
  if (value->is_uint64()) return std::optional<double>(static_cast<double>(value->get_uint64()));
  if (value->is_double()) return std::optional<double>(value->get_double());
  return detail::token_error(std::string(name) + " is not a number");
}

bool contains(const std::vector<std::string>& accepted, std::string_view value) {
  return std::find(accepted.begin(), accepted.end(), value) != accepted.end();
}

sdk::Result<void> check_issuer(const boost::json::object& claims, const ClaimRules& rules) {
  const boost::json::value* iss = claims.if_contains("iss");
  if (iss == nullptr) return detail::token_error("iss missing");
  if (!iss->is_string() || !contains(rules.issuers, iss->get_string())) {
    return detail::token_error("iss not accepted");
  }
  return {};
}

sdk::Result<void> check_audience(const boost::json::object& claims, const ClaimRules& rules) {
  const boost::json::value* aud = claims.if_contains("aud");
  if (aud == nullptr) return detail::token_error("aud missing");
  if (aud->is_string()) {
    if (contains(rules.audiences, aud->get_string())) return {};
    return detail::token_error("aud not accepted");
  }
  if (!aud->is_array()) return detail::token_error("aud is neither a string nor an array");
  bool accepted = false;
  for (const boost::json::value& entry : aud->get_array()) {
    if (!entry.is_string()) return detail::token_error("aud holds a non-string");
    if (contains(rules.audiences, entry.get_string())) accepted = true;
  }
  if (!accepted) return detail::token_error("aud not accepted");
  return {};
}

sdk::Result<void> check_times(const boost::json::object& claims, const ClaimRules& rules) {
  auto exp = numeric_date(claims, "exp");
  if (!exp) return exp.error();
  auto nbf = numeric_date(claims, "nbf");
  if (!nbf) return nbf.error();
  auto iat = numeric_date(claims, "iat");
  if (!iat) return iat.error();

  const double now = std::chrono::duration<double>(rules.now.time_since_epoch()).count();
  const auto leeway = static_cast<double>(rules.leeway.count());
  if (!*exp) {
    if (rules.require_expiry) return detail::token_error("exp missing");
  } else if (!(now < **exp + leeway)) {
    return detail::token_error("token expired");
  }
  if (*nbf && !(now >= **nbf - leeway)) return detail::token_error("token not yet valid");
  if (*iat && !(**iat <= now + leeway)) return detail::token_error("iat in the future");
  if (rules.max_age) {
    if (!*iat) return detail::token_error("iat missing");
    if (!(now <= **iat + static_cast<double>(rules.max_age->count()) + leeway)) {
      return detail::token_error("token too old");
    }
  }
  return {};
}

sdk::Result<void> check_nonce(const boost::json::object& claims, const ClaimRules& rules) {
  if (!rules.nonce) return {};
  const boost::json::value* nonce = claims.if_contains("nonce");
  if (nonce == nullptr) return detail::token_error("nonce missing");
  if (!nonce->is_string() || !crypto::constant_time_equal(nonce->get_string(), *rules.nonce)) {
    return detail::token_error("nonce mismatch");
  }
  return {};
}

std::string_view without_application_prefix(std::string_view type) noexcept {
  constexpr std::string_view kPrefix = "application/";
  if (type.size() < kPrefix.size()) return type;
  for (std::size_t i = 0; i < kPrefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(type[i])) != kPrefix[i]) return type;
  }
  return type.substr(kPrefix.size());
}

bool same_media_type(std::string_view a, std::string_view b) noexcept {
  a = without_application_prefix(a);
  b = without_application_prefix(b);
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

}  // namespace

sdk::Result<void> check_claims(const boost::json::object& claims,
                               const ClaimRules& rules) noexcept {
  return sdk::guarded([&]() -> sdk::Result<void> {
    if (rules.issuers.empty()) return rules_error("no accepted issuer");
    if (rules.audiences.empty()) return rules_error("no accepted audience");
    if (rules.now == std::chrono::system_clock::time_point{}) return rules_error("no time");
    if (rules.leeway.count() < 0) return rules_error("negative leeway");
    if (auto issuer = check_issuer(claims, rules); !issuer) return issuer;
    if (auto audience = check_audience(claims, rules); !audience) return audience;
    if (auto times = check_times(claims, rules); !times) return times;
    return check_nonce(claims, rules);
  });
}

sdk::Result<VerifiedJwt> verify_jwt(std::string_view compact, const KeySet& keys,
                                    const JwtRules& rules) noexcept {
  return sdk::guarded([&]() -> sdk::Result<VerifiedJwt> {
    auto jws = verify(compact, keys, rules.algorithms);
    if (!jws) return jws.error();
    if (rules.typ) {
      const boost::json::value* typ = jws->header.if_contains("typ");
      if (typ == nullptr || !typ->is_string() || !same_media_type(typ->get_string(), *rules.typ)) {
        return detail::token_error("typ is not the expected type");
      }
    }
    boost::system::error_code ec;
    boost::json::value payload = boost::json::parse(jws->payload, ec);
    if (ec || !payload.is_object()) return detail::token_error("payload is not a JSON object");
    if (auto claims = check_claims(payload.get_object(), rules.claims); !claims) {
      return claims.error();
    }
    return VerifiedJwt{std::move(jws->header), std::move(payload.get_object()), jws->algorithm,
                       std::move(jws->kid)};
  });
}

}  // namespace lmsgw::jose
