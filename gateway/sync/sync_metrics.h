// Counters of roster sync for /metrics: runs by outcome, records by kind and outcome. The
// metrics registry renders read-at-scrape gauges with fixed names, so each (kind, outcome)
// pair is its own series, e.g. lmsgw_sync_records_users_created; plugin-named files are
// summed into the kind "files" so that no name comes from roster data.
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "metrics/metrics.h"
#include "store/roster_store.h"

namespace lmsgw::sync {

class SyncMetrics {
 public:
  static constexpr std::string_view kKinds[] = {"users", "sections", "enrollments", "districts",
                                                "files"};
  static constexpr std::string_view kOutcomes[] = {"created", "updated",  "unchanged", "restored",
                                                   "removed", "rejected", "discarded"};

  void record_run(store::SyncOutcome outcome) noexcept;
  void add(const store::RunCounts& counts) noexcept;
  std::uint64_t runs(store::SyncOutcome outcome) const noexcept;
  std::uint64_t records(std::string_view kind, std::string_view outcome) const noexcept;

  // Adds one gauge per series to `registry`; this object must outlive it.
  void register_with(metrics::Registry& registry) const;

 private:
  static constexpr std::size_t kKindCount = std::size(kKinds);
  static constexpr std::size_t kOutcomeCount = std::size(kOutcomes);
  static std::size_t kind_index(std::string_view kind) noexcept;
  static std::size_t outcome_index(std::string_view outcome) noexcept;

  std::atomic<std::uint64_t> succeeded_{0};
  std::atomic<std::uint64_t> failed_{0};
  std::atomic<std::uint64_t> records_[kKindCount][kOutcomeCount]{};
};

}  // namespace lmsgw::sync
