#include "sync/sync_metrics.h"

#include <string>

namespace lmsgw::sync {

std::size_t SyncMetrics::kind_index(std::string_view kind) noexcept {
  for (std::size_t i = 0; i + 1 < kKindCount; ++i) {
    if (kKinds[i] == kind) return i;
  }
  return kKindCount - 1;  // "files"
}

std::size_t SyncMetrics::outcome_index(std::string_view outcome) noexcept {
  for (std::size_t i = 0; i < kOutcomeCount; ++i) {
    if (kOutcomes[i] == outcome) return i;
  }
  return kOutcomeCount;
}

void SyncMetrics::record_run(store::SyncOutcome outcome) noexcept {
  if (outcome == store::SyncOutcome::succeeded) succeeded_.fetch_add(1, std::memory_order_relaxed);
  if (outcome == store::SyncOutcome::failed) failed_.fetch_add(1, std::memory_order_relaxed);
}

void SyncMetrics::add(const store::RunCounts& counts) noexcept {
  for (const auto& [key, count] : counts) {
    const std::size_t outcome = outcome_index(key.second);
    if (outcome == kOutcomeCount) continue;
    records_[kind_index(key.first)][outcome].fetch_add(count, std::memory_order_relaxed);
  }
}

std::uint64_t SyncMetrics::runs(store::SyncOutcome outcome) const noexcept {
  if (outcome == store::SyncOutcome::succeeded) return succeeded_.load(std::memory_order_relaxed);
  if (outcome == store::SyncOutcome::failed) return failed_.load(std::memory_order_relaxed);
  return 0;
}

std::uint64_t SyncMetrics::records(std::string_view kind, std::string_view outcome) const noexcept {
  const std::size_t o = outcome_index(outcome);
  if (o == kOutcomeCount) return 0;
  return records_[kind_index(kind)][o].load(std::memory_order_relaxed);
}

void SyncMetrics::register_with(metrics::Registry& registry) const {
  registry.add_gauge("lmsgw_sync_runs_succeeded", "Roster sync runs that finished.",
                     [this] { return static_cast<double>(runs(store::SyncOutcome::succeeded)); });
  registry.add_gauge("lmsgw_sync_runs_failed", "Roster sync runs that stopped part-way.",
                     [this] { return static_cast<double>(runs(store::SyncOutcome::failed)); });
  for (std::size_t k = 0; k < kKindCount; ++k) {
    for (std::size_t o = 0; o < kOutcomeCount; ++o) {
      const std::string name =
          "lmsgw_sync_records_" + std::string(kKinds[k]) + "_" + std::string(kOutcomes[o]);
      registry.add_gauge(
          name,
          "Roster records (" + std::string(kKinds[k]) + ") " + std::string(kOutcomes[o]) +
              " by sync runs since start.",
          [this, k, o] {
            return static_cast<double>(records_[k][o].load(std::memory_order_relaxed));
          });
    }
  }
}

}  // namespace lmsgw::sync
