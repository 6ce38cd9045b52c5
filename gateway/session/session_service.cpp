#include "session/session_service.h"

#include "common/crypto.h"

namespace lmsgw::session {

namespace {
constexpr std::size_t kSessionIdBytes = 32;
constexpr std::size_t kSessionIdLength = 43;
}  // namespace

SessionService::SessionService(store::AccountStore& store, SessionCache& cache,
                               const sdk::Clock& clock, std::chrono::seconds lifetime)
    : store_(store), cache_(cache), clock_(clock), lifetime_(lifetime) {}

bool SessionService::well_formed(std::string_view session_id) noexcept {
  if (session_id.size() != kSessionIdLength) return false;
  for (char c : session_id) {
    const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!base64url) return false;
  }
  return true;
}

SessionView SessionService::view_of(const store::StoredAccount& account, TimePoint expires_at) {
  SessionView view;
  view.account_id = account.id;
  view.role = account.account.role;
  view.district_id = account.account.district_id;
  view.display_name = account.account.display_name;
  view.thirteen_plus_from = identity::thirteen_plus_from(account.account.age);
  view.expires_at = expires_at;
  return view;
}

sdk::Result<std::size_t> SessionService::load_from_store() {
  auto live = store_.live_sessions(clock_.now());
  if (!live) return live.error();
  for (const store::LiveSession& entry : *live) {
    cache_.put(entry.session.id_hash, view_of(entry.account, entry.session.expires_at));
  }
  return live->size();
}

sdk::Result<NewSession> SessionService::start(const store::StoredAccount& account) {
  const TimePoint now = clock_.now();
  NewSession session{crypto::random_token(kSessionIdBytes),
                     std::chrono::time_point_cast<std::chrono::seconds>(now + lifetime_)};
  const crypto::Digest id_hash = crypto::sha256(session.id);
  auto stored =
      store_.insert_session(store::SessionRecord{id_hash, account.id, now, session.expires_at});
  if (!stored) return stored.error();
  cache_.put(id_hash, view_of(account, session.expires_at));
  return session;
}

sdk::Result<bool> SessionService::end(std::string_view session_id) {
  if (!well_formed(session_id)) return false;
  const crypto::Digest id_hash = crypto::sha256(session_id);
  // Memory first: the session must stop working at once, even if the store is slow.
  const bool cached = cache_.erase(id_hash);
  auto deleted = store_.delete_session(id_hash);
  if (!deleted) return deleted.error();
  return cached || *deleted;
}

SessionCache::ViewPtr SessionService::find(std::string_view session_id) const {
  if (!well_formed(session_id)) return nullptr;
  return cache_.find(crypto::sha256(session_id), clock_.now());
}

}  // namespace lmsgw::session
