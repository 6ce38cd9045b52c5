#include "session/session_cache.h"

#include <mutex>

namespace lmsgw::session {

identity::AgeBand age_band(const SessionView& view, sdk::CivilDate today) noexcept {
  if (view.role != identity::AccountRole::student) return identity::AgeBand::thirteen_plus;
  if (view.thirteen_plus_from && today >= *view.thirteen_plus_from) {
    return identity::AgeBand::thirteen_plus;
  }
  return identity::AgeBand::under13;
}

void SessionCache::put(const crypto::Digest& id_hash, SessionView view) {
  auto shared = std::make_shared<const SessionView>(std::move(view));
  std::unique_lock lock(mutex_);
  sessions_.insert_or_assign(id_hash, std::move(shared));
}

SessionCache::ViewPtr SessionCache::find(const crypto::Digest& id_hash, TimePoint now) const {
  std::shared_lock lock(mutex_);
  auto it = sessions_.find(id_hash);
  if (it == sessions_.end() || it->second->expires_at <= now) return nullptr;
  return it->second;
}

bool SessionCache::erase(const crypto::Digest& id_hash) {
  std::unique_lock lock(mutex_);
  return sessions_.erase(id_hash) > 0;
}

std::size_t SessionCache::purge_expired(TimePoint now) {
  std::unique_lock lock(mutex_);
  return std::erase_if(sessions_,
                       [now](const auto& entry) { return entry.second->expires_at <= now; });
}

std::size_t SessionCache::size() const {
  std::shared_lock lock(mutex_);
  return sessions_.size();
}

}  // namespace lmsgw::session
