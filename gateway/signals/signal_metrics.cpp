#include "signals/signal_metrics.h"

#include <string>

namespace lmsgw::signals {
namespace {

struct Series {
  SignalOutcome outcome;
  const char* name;
  const char* help;
};

constexpr Series kSeries[] = {
    {SignalOutcome::applied, "lmsgw_webhook_signals_applied", "Provider signals applied."},
    {SignalOutcome::replayed, "lmsgw_webhook_signals_replayed",
     "Provider signals whose id was seen before: answered, not applied again."},
    {SignalOutcome::unknown_subject, "lmsgw_webhook_signals_unknown_subject",
     "Genuine provider signals about no account or district of this gateway."},
    {SignalOutcome::rejected, "lmsgw_webhook_deliveries_rejected",
     "Webhook deliveries the plugin refused (forged, expired or malformed)."},
    {SignalOutcome::no_signal, "lmsgw_webhook_deliveries_without_signal",
     "Genuine webhook deliveries with nothing to act on (tests, ignored event types)."},
    {SignalOutcome::failed, "lmsgw_webhook_signals_failed",
     "Provider signals that could not be applied (the provider retries)."},
};

}  // namespace

void SignalMetrics::record(SignalOutcome outcome) noexcept {
  counts_[static_cast<std::size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t SignalMetrics::count(SignalOutcome outcome) const noexcept {
  return counts_[static_cast<std::size_t>(outcome)].load(std::memory_order_relaxed);
}

void SignalMetrics::register_with(metrics::Registry& registry) const {
  for (const Series& series : kSeries) {
    registry.add_gauge(series.name, series.help, [this, outcome = series.outcome] {
      return static_cast<double>(count(outcome));
    });
  }
}

}  // namespace lmsgw::signals
