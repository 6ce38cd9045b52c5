#include "session/access_tokens.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/time.h"
#include "jose/jws.h"
#include "jose/jwt.h"

namespace lmsgw::session {
namespace {

constexpr std::string_view kTokenType = "at+jwt";

}  // namespace

jose::Algorithm signing_algorithm(const config::TokensConfig& config) noexcept {
  return config.algorithm == config::TokensConfig::Algorithm::eddsa ? jose::Algorithm::eddsa
                                                                    : jose::Algorithm::es256;
}

std::string session_claim(const crypto::Digest& session_hash) {
  return crypto::base64url_encode(session_hash);
}

KeyRing::KeyRing(KeyDirectory directory, std::chrono::seconds token_lifetime)
    : directory_(std::move(directory)), token_lifetime_(token_lifetime) {}

sdk::Result<std::unique_ptr<KeyRing>> KeyRing::open(KeyDirectory directory,
                                                    jose::Algorithm first_key_algorithm,
                                                    std::chrono::seconds token_lifetime,
                                                    TimePoint now) {
  auto records = directory.read();
  if (!records) return records.error();
  if (signer_of(*records) == nullptr) {
    if (auto made = directory.rotate(first_key_algorithm, now, token_lifetime); !made) {
      return made.error();
    }
  }
  std::unique_ptr<KeyRing> ring(new KeyRing(std::move(directory), token_lifetime));
  if (auto built = ring->rebuild(now, true); !built) return built.error();
  return ring;
}

std::shared_ptr<const KeySnapshot> KeyRing::snapshot() const {
  std::lock_guard lock(mutex_);
  return snapshot_;
}

sdk::Result<bool> KeyRing::refresh(TimePoint now) {
  return rebuild(now, directory_.stamp() != stamp_);
}

sdk::Result<bool> KeyRing::rebuild(TimePoint now, bool reread) {
  if (reread) {
    stamp_ = directory_.stamp();
    auto records = directory_.read();
    if (!records) return records.error();
    records_ = std::move(*records);
  }
  const KeyRecord* signer_record = signer_of(records_);
  if (signer_record == nullptr) {
    return sdk::Error{sdk::ErrorCode::internal,
                      directory_.path().string() + ": no key may sign (run lmsgwctl keys rotate)"};
  }
  std::vector<const KeyRecord*> published;
  for (const KeyRecord& record : records_) {
    if (published_at(record, now, token_lifetime_)) published.push_back(&record);
  }
  {
    std::lock_guard lock(mutex_);
    if (!reread && snapshot_ && snapshot_->published.size() == published.size()) return false;
  }
  auto signer = directory_.load(*signer_record);
  if (!signer) return signer.error();
  jose::KeySet keys;
  for (const KeyRecord* record : published) {
    auto key = record == signer_record ? signer : directory_.load(*record);
    if (!key) return key.error();
    if (auto added = keys.add(key->public_key()); !added) return added.error();
  }
  const std::string jwks = boost::json::serialize(keys.to_jwks());
  auto snapshot = std::make_shared<KeySnapshot>(
      KeySnapshot{std::move(*signer), std::move(keys), jwks,
                  "\"" + crypto::base64url_encode(crypto::sha256(jwks)).substr(0, 22) + "\""});
  std::lock_guard lock(mutex_);
  snapshot_ = std::move(snapshot);
  return true;
}

AccessTokens::AccessTokens(const config::TokensConfig& config, KeyRing& keys,
                           const sdk::Clock& clock)
    : config_(config), keys_(keys), clock_(clock) {}

sdk::Result<AccessTokens::Minted> AccessTokens::mint(const SessionView& view,
                                                     const crypto::Digest& session_hash) const {
  const TimePoint now = clock_.now();
  // A token never outlives its session.
  const TimePoint expires_at = std::min(now + config_.lifetime, view.expires_at);
  boost::json::object claims{
      {"iss", config_.issuer},
      {"aud", config_.audience},
      {"sub", view.account_id},
      {"iat", time::to_unix_seconds(now)},
      {"exp", time::to_unix_seconds(expires_at)},
      {"jti", crypto::random_token(16)},
      {"sid", session_claim(session_hash)},
      {"role", identity::to_string(view.role)},
      {"age_band", identity::to_string(age_band(view, time::earliest_civil_date(now)))},
      {"display_name", view.display_name},
  };
  if (view.district_id) claims["district"] = *view.district_id;
  auto token = jose::sign(keys_.snapshot()->signer, boost::json::serialize(claims),
                          jose::HeaderExtras{std::string(kTokenType)});
  if (!token) return token.error();
  return Minted{std::move(*token),
                std::chrono::duration_cast<std::chrono::seconds>(expires_at - now)};
}

sdk::Result<std::shared_ptr<const VerifiedToken>> AccessTokens::verify(std::string_view token) {
  if (token.size() > jose::kMaxCompactBytes) {
    return sdk::Error{sdk::ErrorCode::token_invalid, "token too long"};
  }
  const TimePoint now = clock_.now();
  const crypto::Digest key = crypto::sha256(token);
  if (auto known = verified_.find(key)) {
    if (now < known->expires_at) return known;
    return sdk::Error{sdk::ErrorCode::token_invalid, "token expired"};
  }

  const auto keys = keys_.snapshot();
  jose::JwtRules rules;
  rules.algorithms = {jose::Algorithm::es256, jose::Algorithm::eddsa};
  rules.typ = std::string(kTokenType);
  rules.claims.issuers = {config_.issuer};
  rules.claims.audiences = {config_.audience};
  rules.claims.now = now;
  // Our own clock issued it: no skew to allow for.
  rules.claims.leeway = std::chrono::seconds(0);
  auto verified = jose::verify_jwt(token, keys->published, rules);
  if (!verified) return verified.error();

  const boost::json::value* sid = verified->claims.if_contains("sid");
  const boost::json::value* iat = verified->claims.if_contains("iat");
  const boost::json::value* exp = verified->claims.if_contains("exp");
  auto session_hash = sid != nullptr && sid->is_string()
                          ? crypto::base64url_decode(sid->get_string())
                          : std::nullopt;
  if (!session_hash || session_hash->size() != 32 || iat == nullptr || !iat->is_int64() ||
      exp == nullptr || !exp->is_int64()) {
    return sdk::Error{sdk::ErrorCode::token_invalid, "token lacks sid, iat or exp"};
  }
  auto facts = std::make_shared<VerifiedToken>();
  std::memcpy(facts->session_hash.data(), session_hash->data(), 32);
  facts->issued_at = time::from_unix_seconds(iat->get_int64());
  facts->expires_at = time::from_unix_seconds(exp->get_int64());
  facts->claims = std::move(verified->claims);
  if (verified_.size() < kMaxCachedTokens) verified_.put(key, facts);
  return std::shared_ptr<const VerifiedToken>(std::move(facts));
}

std::size_t AccessTokens::purge(TimePoint now) {
  return verified_.erase_if([now](const VerifiedToken& token) { return token.expires_at <= now; });
}

}  // namespace lmsgw::session
