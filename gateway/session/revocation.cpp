#include "session/revocation.h"

#include <vector>

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

RevocationService::RevocationService(store::AccountStore& store, RevocationEpochs& epochs,
                                     const sdk::Clock& clock)
    : store_(store), epochs_(epochs), clock_(clock) {}

sdk::Result<store::RevocationRecord> RevocationService::revoke(store::RevocationScope scope,
                                                               std::string_view subject_id) {
  const TimePoint now = clock_.now();
  epochs_.revoke(scope, subject_id, now);
  return store_.record_revocation(scope, subject_id, now);
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
