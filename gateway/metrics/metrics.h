// Prometheus metrics for the gateway. Recording a request is lock-free (atomics indexed by
// route and status), because it happens on every /auth/check. Label values come only from
// configuration and fixed vocabularies, never from request data, so cardinality is bounded
// and no personal data can reach a label.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmsgw::metrics {

// Latency buckets (seconds): fine-grained below a millisecond, where the hot path lives.
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0};

class Histogram {
 public:
  void observe(std::chrono::nanoseconds elapsed) noexcept;
  // Appends the `_bucket`, `_sum` and `_count` lines for `name{labels...}`.
  void render(std::string& out, std::string_view name, std::string_view labels) const;
  std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> buckets_{};
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::uint64_t> sum_nanoseconds_{0};
};

class Registry {
 public:
  // `route_names[i]` labels route index i (index 0 is the unmatched route).
  explicit Registry(std::vector<std::string> route_names);

  // Lock-free; safe from any thread.
  void record_request(std::uint32_t route_index, int status,
                      std::chrono::nanoseconds elapsed) noexcept;

  // `connection` must be a configured connection id (or "unknown"); `outcome` a fixed word.
  void record_sign_in(std::string_view connection, std::string_view outcome);

  // A value read when /metrics is scraped (live sessions, pending logins, open connections).
  void add_gauge(std::string name, std::string help, std::function<double()> read);

  // Prometheus text exposition format, version 0.0.4.
  std::string render() const;

 private:
  static constexpr int kStatusSlots = 600;
  struct RouteSeries {
    std::array<std::atomic<std::uint64_t>, kStatusSlots> by_status{};
    Histogram latency;
  };
  struct Gauge {
    std::string name;
    std::string help;
    std::function<double()> read;
  };

  std::vector<std::string> route_names_;
  std::vector<std::unique_ptr<RouteSeries>> routes_;
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, std::uint64_t> sign_ins_;
  std::vector<Gauge> gauges_;
};

// Escapes a label value (backslash, double quote, newline) for the text format.
std::string escape_label(std::string_view value);

}  // namespace lmsgw::metrics
