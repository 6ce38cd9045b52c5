// Revocation on the hot path. Every live session (and, through its session, every token)
// holds the revocation cell of its account and of its district; /auth/check reads those two
// atomics and refuses anything issued at or before the time they hold. Revoking a district of
// 100 000 students is therefore one atomic store, not 100 000 deletions before it takes
// effect; the store then deletes the sessions, and the cache drops them at its next purge.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "store/account_store.h"
#include "store/audit_log.h"

namespace lmsgw::session {

using TimePoint = std::chrono::system_clock::time_point;

class RevocationCell {
 public:
  // True for anything issued at or before the revocation.
  bool revokes(TimePoint issued_at) const noexcept {
    return issued_at.time_since_epoch().count() <= through_.load(std::memory_order_acquire);
  }
  // Moves the revocation forward to `through` (never back).
  void revoke_through(TimePoint through) noexcept;

 private:
  std::atomic<TimePoint::rep> through_{std::numeric_limits<TimePoint::rep>::min()};
};

using RevocationCellPtr = std::shared_ptr<const RevocationCell>;

// The cells, shared by every session of an account or district.
class RevocationEpochs {
 public:
  RevocationCellPtr account(std::string_view account_id);
  // Districts are few and their revocation must outlive their sessions: held for good.
  RevocationCellPtr district(std::string_view district_id);

  void revoke(store::RevocationScope scope, std::string_view subject_id, TimePoint through);

 private:
  std::mutex mutex_;
  // Account cells live as long as a session holds them; dead entries are swept as the map grows.
  std::unordered_map<std::string, std::weak_ptr<RevocationCell>> accounts_;
  std::size_t sweep_at_ = 1024;
  std::unordered_map<std::string, std::shared_ptr<RevocationCell>> districts_;
};

// The one core operation every revocation source converges on (PRIVACY.md C): an admin, the
// command line, a roster source's disconnection signal, a provider's webhook.
class RevocationService {
 public:
  RevocationService(store::AccountStore& store, store::AuditLog& audit, RevocationEpochs& epochs,
                    const sdk::Clock& clock);

  // Ends every session and token of the account. Takes effect in this process before it
  // returns (the next /auth/check of any of them fails), then is recorded with the sessions
  // deleted, in one transaction, so other processes and restarts honour it too. `actor` is
  // who asked, for the audit log ("lmsgwctl", "webhook:google", ...).
  sdk::Result<store::RevocationRecord> revoke_account(std::string_view account_id,
                                                      std::string_view actor);

  // Withdraws the district's access: every session and token of its accounts ends as above,
  // no new sign-in from it succeeds and its roster sync stops, until it is reinstated; the
  // district's directive then governs its data. Revoking a revoked district again ends the
  // sessions again and keeps the first withdrawal time.
  sdk::Result<store::RevocationRecord> revoke_district(std::string_view district_id,
                                                       std::string_view actor);
  // False when the district was not withdrawn.
  sdk::Result<bool> reinstate_district(std::string_view district_id, std::string_view actor);
  sdk::Result<bool> district_withdrawn(std::string_view district_id);

  // Applies what other processes recorded since the last call: the periodic safety net, and
  // what a notification (PostgreSQL LISTEN/NOTIFY) calls at once. Returns how many applied.
  sdk::Result<std::size_t> catch_up();

 private:
  void audit(std::string_view district_id, std::string_view actor, std::string_view action,
             std::string_view object);

  store::AccountStore& store_;
  store::AuditLog& audit_;
  RevocationEpochs& epochs_;
  const sdk::Clock& clock_;
  std::mutex catch_up_mutex_;
  std::int64_t last_seen_ = 0;
};

}  // namespace lmsgw::session
