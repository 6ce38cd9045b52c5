#include "session/pending_logins.h"

#include <algorithm>
#include <cstring>

namespace lmsgw::session {

std::size_t PendingLogins::DigestHash::operator()(const crypto::Digest& digest) const noexcept {
  std::size_t value = 0;
  std::memcpy(&value, digest.data(), sizeof value);
  return value;
}

PendingLogins::PendingLogins(std::size_t capacity) : capacity_(capacity) {}

void PendingLogins::drop_expired(TimePoint now) {
  while (!expiry_queue_.empty() && expiry_queue_.front().first <= now) {
    auto it = logins_.find(expiry_queue_.front().second);
    // A login already taken, or replaced under the same key, is not this entry.
    if (it != logins_.end() && it->second.expires_at <= now) logins_.erase(it);
    expiry_queue_.pop_front();
  }
}

bool PendingLogins::put(std::string_view state, PendingLogin login, TimePoint now) {
  const crypto::Digest key = crypto::sha256(state);
  std::lock_guard lock(mutex_);
  drop_expired(now);
  if (logins_.size() >= capacity_) return false;
  // Taken logins leave their queue entry behind until it expires; under a high sign-in rate
  // those would pile up, so rebuild the queue from what is really pending.
  if (expiry_queue_.size() >= 2 * capacity_) {
    std::deque<std::pair<TimePoint, crypto::Digest>> live;
    for (const auto& [digest, pending] : logins_) live.emplace_back(pending.expires_at, digest);
    std::sort(live.begin(), live.end());
    expiry_queue_.swap(live);
  }
  expiry_queue_.emplace_back(login.expires_at, key);
  logins_.insert_or_assign(key, std::move(login));
  return true;
}

std::optional<PendingLogin> PendingLogins::take(std::string_view state, TimePoint now) {
  const crypto::Digest key = crypto::sha256(state);
  std::lock_guard lock(mutex_);
  auto it = logins_.find(key);
  if (it == logins_.end()) return std::nullopt;
  PendingLogin login = std::move(it->second);
  logins_.erase(it);
  if (login.expires_at <= now) return std::nullopt;
  return login;
}

std::size_t PendingLogins::size() const {
  std::lock_guard lock(mutex_);
  return logins_.size();
}

}  // namespace lmsgw::session
