#include "session/session_service.h"

#include "common/crypto.h"

namespace lmsgw::session {

namespace {
constexpr std::size_t kSessionIdBytes = 32;
constexpr std::size_t kSessionIdLength = 43;
}  // namespace

SessionService::SessionService(store::AccountStore& store, SessionCache& cache,
                               RevocationEpochs& revocations, const sdk::Clock& clock,
                               std::chrono::seconds lifetime)
    : store_(store), cache_(cache), revocations_(revocations), clock_(clock), lifetime_(lifetime) {}

bool SessionService::well_formed(std::string_view session_id) noexcept {
  if (session_id.size() != kSessionIdLength) return false;
  for (char c : session_id) {
    const bool base64url = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                           (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!base64url) return false;
  }
  return true;
}

sdk::Result<SessionCache::ViewPtr> SessionService::view_of(const store::StoredAccount& account,
                                                           TimePoint created_at,
                                                           TimePoint expires_at) {
  auto view = std::make_shared<SessionView>();
  view->account_id = account.id;
  view->role = account.account.role;
  view->district_id = account.account.district_id;
  view->display_name = account.account.display_name;
  view->thirteen_plus_from = identity::thirteen_plus_from(account.account.age);
  view->created_at = created_at;
  view->expires_at = expires_at;
  view->account_revocation = revocations_.account(account.id);
  if (account.account.district_id) {
    view->district_revocation = revocations_.district(*account.account.district_id);
  }
  if (auto prepared = prepare_headers(*view); !prepared) return prepared.error();
  return SessionCache::ViewPtr(std::move(view));
}

sdk::Result<std::size_t> SessionService::load_from_store() {
  auto live = store_.live_sessions(clock_.now());
  if (!live) return live.error();
  for (const store::LiveSession& entry : *live) {
    auto view = view_of(entry.account, entry.session.created_at, entry.session.expires_at);
    if (!view) return view.error();
    cache_.put(entry.session.id_hash, std::move(*view));
  }
  return live->size();
}

sdk::Result<NewSession> SessionService::start(const store::StoredAccount& account) {
  const TimePoint now = clock_.now();
  NewSession session{crypto::random_token(kSessionIdBytes),
                     std::chrono::time_point_cast<std::chrono::seconds>(now + lifetime_)};
  const crypto::Digest id_hash = crypto::sha256(session.id);
  auto view = view_of(account, now, session.expires_at);
  if (!view) return view.error();
  auto stored =
      store_.insert_session(store::SessionRecord{id_hash, account.id, now, session.expires_at});
  if (!stored) return stored.error();
  cache_.put(id_hash, std::move(*view));
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
