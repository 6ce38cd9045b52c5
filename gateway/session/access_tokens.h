// The gateway as token issuer: short-lived JWT access tokens carrying only the claims of
// PRIVACY.md section E, the JWKS that verifies them, and their verification for /auth/check
// (Authorization: Bearer) and /oauth/introspect.
//
// A token is tied to its session (`sid`): logging out or revoking the session, account or
// district refuses its tokens at the gateway at once. Backends that verify tokens themselves
// see that only when the token expires, which is why tokens are short-lived.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include "common/digest_map.h"
#include "config/gateway_config.h"
#include "jose/key_set.h"
#include "jose/keys.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "session/key_directory.h"
#include "session/session_cache.h"

namespace lmsgw::session {

// The keys in use at one moment. Immutable; replaced as a whole when keys change.
struct KeySnapshot {
  jose::SigningKey signer;
  jose::KeySet published;
  std::string jwks;  // the /.well-known/jwks.json document
  std::string etag;
};

class KeyRing {
 public:
  // Reads the directory, making the first key when there is none.
  static sdk::Result<std::unique_ptr<KeyRing>> open(KeyDirectory directory,
                                                    jose::Algorithm first_key_algorithm,
                                                    std::chrono::seconds token_lifetime,
                                                    TimePoint now);

  std::shared_ptr<const KeySnapshot> snapshot() const;
  // Re-reads keys.json when it changed (another process rotated) and drops keys whose
  // tokens have all expired. Returns whether the snapshot changed.
  sdk::Result<bool> refresh(TimePoint now);

 private:
  KeyRing(KeyDirectory directory, std::chrono::seconds token_lifetime);
  sdk::Result<bool> rebuild(TimePoint now, bool reread);

  KeyDirectory directory_;
  std::chrono::seconds token_lifetime_;
  std::optional<std::filesystem::file_time_type> stamp_;
  std::vector<KeyRecord> records_;
  mutable std::mutex mutex_;
  std::shared_ptr<const KeySnapshot> snapshot_;
};

// What the gateway remembers of a token it verified: enough to answer /auth/check and
// /oauth/introspect without verifying its signature again.
struct VerifiedToken {
  crypto::Digest session_hash{};
  TimePoint issued_at{};
  TimePoint expires_at{};
  boost::json::object claims;
};

class AccessTokens {
 public:
  AccessTokens(const config::TokensConfig& config, KeyRing& keys, const sdk::Clock& clock);

  struct Minted {
    std::string token;
    std::chrono::seconds expires_in{};
  };
  // A token for the session `view` (whose id hashes to `session_hash`).
  sdk::Result<Minted> mint(const SessionView& view, const crypto::Digest& session_hash) const;

  // The token's facts when it is one of ours, well signed by a published key, for our audience
  // and not expired; from the cache when it was verified before. Whether its session is still
  // live is the caller's check.
  sdk::Result<std::shared_ptr<const VerifiedToken>> verify(std::string_view token);

  // Drops cached tokens that have expired.
  std::size_t purge(TimePoint now);
  const config::TokensConfig& config() const noexcept { return config_; }

 private:
  // Bound on remembered tokens; past it, tokens are verified each time instead of cached.
  static constexpr std::size_t kMaxCachedTokens = 1'000'000;

  config::TokensConfig config_;
  KeyRing& keys_;
  const sdk::Clock& clock_;
  DigestMap<VerifiedToken> verified_;
};

// The algorithm new signing keys get (tokens.algorithm).
jose::Algorithm signing_algorithm(const config::TokensConfig& config) noexcept;

// The `sid` claim: the session id's SHA-256 (the store's key for it), base64url. It names the
// session without being able to act as it.
std::string session_claim(const crypto::Digest& session_hash);

}  // namespace lmsgw::session
