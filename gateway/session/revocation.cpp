#include "session/revocation.h"

#include <string>
#include <vector>

#include <spdlog/spdlog.h>

namespace lmsgw::session {

namespace {
constexpr std::size_t kCatchUpBatch = 1000;
}  // namespace

void RevocationCell::revoke_through(TimePoint through) noexcept {
  const TimePoint::rep wanted = through.time_since_epoch().count();
  TimePoint::rep current = through_.load(std::memory_order_relaxed);
  while (current < wanted &&
         !through_.compare_exchange_weak(current, wanted, std::memory_order_release)) {
  }
}

RevocationCellPtr RevocationEpochs::account(std::string_view account_id) {
  std::lock_guard lock(mutex_);
  auto& slot = accounts_[std::string(account_id)];
  std::shared_ptr<RevocationCell> cell = slot.lock();
  if (!cell) {
    cell = std::make_shared<RevocationCell>();
    slot = cell;
  }
  if (accounts_.size() >= sweep_at_) {
    std::erase_if(accounts_, [](const auto& entry) { return entry.second.expired(); });
    sweep_at_ = std::max<std::size_t>(1024, accounts_.size() * 2);
  }
  return cell;
}

RevocationCellPtr RevocationEpochs::district(std::string_view district_id) {
  std::lock_guard lock(mutex_);
  auto& cell = districts_[std::string(district_id)];
  if (!cell) cell = std::make_shared<RevocationCell>();
  return cell;
}

void RevocationEpochs::revoke(store::RevocationScope scope, std::string_view subject_id,
                              TimePoint through) {
  std::lock_guard lock(mutex_);
  if (scope == store::RevocationScope::district) {
    auto& cell = districts_[std::string(subject_id)];
    if (!cell) cell = std::make_shared<RevocationCell>();
    cell->revoke_through(through);
    return;
  }
  // No cell means no session of the account is in memory: nothing to refuse here.
  auto found = accounts_.find(std::string(subject_id));
  if (found == accounts_.end()) return;
  if (auto cell = found->second.lock()) cell->revoke_through(through);
}

RevocationService::RevocationService(store::AccountStore& store, store::AuditLog& audit,
                                     RevocationEpochs& epochs, const sdk::Clock& clock)
    : store_(store), audit_(audit), epochs_(epochs), clock_(clock) {}

sdk::Result<store::RevocationRecord> RevocationService::revoke_account(
    std::string_view account_id, std::string_view actor) {
  const TimePoint now = clock_.now();
  epochs_.revoke(store::RevocationScope::account, account_id, now);
  auto account = store_.find_account(account_id);
  if (!account) return account.error();
  auto recorded = store_.record_revocation(store::RevocationScope::account, account_id, now);
  if (!recorded) return recorded.error();
  const std::string district =
      *account ? (*account)->account.district_id.value_or(std::string()) : std::string();
  audit(district, actor, "account.revoked", account_id);
  return recorded;
}

sdk::Result<store::RevocationRecord> RevocationService::revoke_district(
    std::string_view district_id, std::string_view actor) {
  // Refused here at once, before the database write.
  epochs_.revoke(store::RevocationScope::district, district_id, clock_.now());
  auto recorded = store_.withdraw_district(district_id, clock_.now(), actor);
  if (!recorded) return recorded.error();
  // A sign-in that checked the district just before the withdrawal was committed may have
  // started a session since: refused too, while any sign-in that starts its session after
  // this point sees the withdrawal when it checks again (SignInService).
  epochs_.revoke(store::RevocationScope::district, district_id, clock_.now());
  audit(district_id, actor, "district.revoked", std::to_string(recorded->id));
  return recorded;
}

sdk::Result<bool> RevocationService::reinstate_district(std::string_view district_id,
                                                        std::string_view actor) {
  auto reinstated = store_.reinstate_district(district_id);
  if (!reinstated) return reinstated.error();
  if (*reinstated) audit(district_id, actor, "district.reinstated", "");
  return reinstated;
}

sdk::Result<bool> RevocationService::district_withdrawn(std::string_view district_id) {
  auto withdrawal = store_.district_withdrawal(district_id);
  if (!withdrawal) return withdrawal.error();
  return withdrawal->has_value();
}

void RevocationService::audit(std::string_view district_id, std::string_view actor,
                              std::string_view action, std::string_view object) {
  store::AuditEvent event;
  event.at = clock_.now();
  if (!district_id.empty()) event.district_id = std::string(district_id);
  event.actor = std::string(actor);
  event.action = std::string(action);
  event.object = std::string(object);
  // The revocation itself is recorded and in force; a failed audit write must not undo it.
  if (auto appended = audit_.append(event); !appended) {
    spdlog::error("revocation: writing the audit event failed: {}", appended.error().detail);
  }
}

sdk::Result<std::size_t> RevocationService::catch_up() {
  std::lock_guard lock(catch_up_mutex_);
  std::size_t applied = 0;
  for (;;) {
    auto records = store_.revocations_after(last_seen_, kCatchUpBatch);
    if (!records) return records.error();
    for (const store::RevocationRecord& record : *records) {
      epochs_.revoke(record.scope, record.subject_id, record.revoked_through);
      last_seen_ = record.id;
      ++applied;
    }
    if (records->size() < kCatchUpBatch) return applied;
  }
}

}  // namespace lmsgw::session
