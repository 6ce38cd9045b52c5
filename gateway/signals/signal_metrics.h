// Counters of provider signals for /metrics. The registry renders read-at-scrape gauges with
// fixed names, so each outcome is its own series; no label comes from a request.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "metrics/metrics.h"

namespace lmsgw::signals {

enum class SignalOutcome : std::uint8_t {
  applied,          // a signal took effect
  replayed,         // its id was seen before on the connection: answered, not applied again
  unknown_subject,  // genuine, but no account or district of ours is concerned
  rejected,         // the plugin refused the delivery (forged, expired, malformed)
  no_signal,        // a genuine delivery that carried nothing to act on (test, other events)
  failed,           // applying failed; the provider is asked to retry
};

class SignalMetrics {
 public:
  void record(SignalOutcome outcome) noexcept;
  std::uint64_t count(SignalOutcome outcome) const noexcept;
  // Adds one gauge per outcome (lmsgw_webhook_signals_<outcome>); this object must outlive it.
  void register_with(metrics::Registry& registry) const;

 private:
  static constexpr std::size_t kOutcomes = 6;
  std::atomic<std::uint64_t> counts_[kOutcomes]{};
};

}  // namespace lmsgw::signals
