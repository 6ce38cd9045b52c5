// Sessions: minted after a sign-in, ended by logout, checked on every /auth/check.
// A session id is 256 random bits, handed to the browser once in a cookie; the store and
// the cache only ever hold its SHA-256.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "session/revocation.h"
#include "session/session_cache.h"
#include "store/account_store.h"

namespace lmsgw::session {

struct NewSession {
  std::string id;  // the cookie value; not kept anywhere
  TimePoint expires_at{};
};

class SessionService {
 public:
  SessionService(store::AccountStore& store, SessionCache& cache, RevocationEpochs& revocations,
                 const sdk::Clock& clock, std::chrono::seconds lifetime);

  // Fills the cache with the store's live sessions; returns how many.
  sdk::Result<std::size_t> load_from_store();

  // Persists the session, then caches it.
  sdk::Result<NewSession> start(const store::StoredAccount& account);
  // True when a live session was ended.
  sdk::Result<bool> end(std::string_view session_id);

  // The hot path: memory only. nullptr for unknown, malformed or expired ids.
  SessionCache::ViewPtr find(std::string_view session_id) const;

  SessionCache& cache() noexcept { return cache_; }
  const SessionCache& cache() const noexcept { return cache_; }

  // A well-formed id is 43 base64url characters (32 random bytes); anything else is refused
  // before it is hashed.
  static bool well_formed(std::string_view session_id) noexcept;
  // The cached form of a session: its account's minimal fields, its revocation cells and its
  // forward-auth headers, prepared once.
  sdk::Result<SessionCache::ViewPtr> view_of(const store::StoredAccount& account,
                                             TimePoint created_at, TimePoint expires_at);

 private:
  store::AccountStore& store_;
  SessionCache& cache_;
  RevocationEpochs& revocations_;
  const sdk::Clock& clock_;
  std::chrono::seconds lifetime_;
};

}  // namespace lmsgw::session
