#include "metrics/metrics.h"

#include <charconv>

namespace lmsgw::metrics {
namespace {

void append_number(std::string& out, double value) {
  // Shortest text that reads back as the same double: "0.0025", not "0.0025000000000000001".
  char buffer[32];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_header(std::string& out, std::string_view name, std::string_view help,
                   std::string_view type) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

}  // namespace

std::string escape_label(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void Histogram::observe(std::chrono::nanoseconds elapsed) noexcept {
  const double seconds = std::chrono::duration<double>(elapsed).count();
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_nanoseconds_.fetch_add(static_cast<std::uint64_t>(elapsed.count()),
                             std::memory_order_relaxed);
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  // Buckets are stored per interval and rendered cumulatively, as the format requires.
  std::uint64_t cumulative = 0;
  const std::string prefix = std::string(labels).append(labels.empty() ? "" : ",");
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out.append(name).append("_bucket{").append(prefix).append("le=\"");
    append_number(out, kLatencyBuckets[i]);
    out.append("\"} ").append(std::to_string(cumulative)).append("\n");
  }
  const std::uint64_t total = count_.load(std::memory_order_relaxed);
  out.append(name)
      .append("_bucket{")
      .append(prefix)
      .append("le=\"+Inf\"} ")
      .append(std::to_string(total))
      .append("\n");
  out.append(name).append("_sum{").append(labels).append("} ");
  append_number(out, static_cast<double>(sum_nanoseconds_.load(std::memory_order_relaxed)) / 1e9);
  out.append("\n");
  out.append(name)
      .append("_count{")
      .append(labels)
      .append("} ")
      .append(std::to_string(total))
      .append("\n");
}

Registry::Registry(std::vector<std::string> route_names) : route_names_(std::move(route_names)) {
  routes_.reserve(route_names_.size());
  for (std::size_t i = 0; i < route_names_.size(); ++i) {
    routes_.push_back(std::make_unique<RouteSeries>());
  }
}

void Registry::record_request(std::uint32_t route_index, int status,
                              std::chrono::nanoseconds elapsed) noexcept {
  if (route_index >= routes_.size()) route_index = 0;
  RouteSeries& series = *routes_[route_index];
  const int slot = (status >= 0 && status < kStatusSlots) ? status : 0;
  series.by_status[static_cast<std::size_t>(slot)].fetch_add(1, std::memory_order_relaxed);
  series.latency.observe(elapsed);
}

void Registry::record_sign_in(std::string_view connection, std::string_view outcome) {
  std::lock_guard lock(mutex_);
  ++sign_ins_[{std::string(connection), std::string(outcome)}];
}

void Registry::add_gauge(std::string name, std::string help, std::function<double()> read) {
  std::lock_guard lock(mutex_);
  gauges_.push_back(Gauge{std::move(name), std::move(help), std::move(read)});
}

std::string Registry::render() const {
  std::string out;
  out.reserve(4096);

  append_header(out, "lmsgw_http_requests_total", "HTTP requests by route and status.", "counter");
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const std::string route = escape_label(route_names_[r]);
    for (int status = 0; status < kStatusSlots; ++status) {
      const std::uint64_t count =
          routes_[r]->by_status[static_cast<std::size_t>(status)].load(std::memory_order_relaxed);
      if (count == 0) continue;
      out.append("lmsgw_http_requests_total{route=\"")
          .append(route)
          .append("\",status=\"")
          .append(std::to_string(status))
          .append("\"} ")
          .append(std::to_string(count))
          .append("\n");
    }
  }

  append_header(out, "lmsgw_http_request_duration_seconds",
                "Time from the first byte of a request to the end of its response.", "histogram");
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    if (routes_[r]->latency.count() == 0) continue;
    routes_[r]->latency.render(out, "lmsgw_http_request_duration_seconds",
                               "route=\"" + escape_label(route_names_[r]) + "\"");
  }

  std::lock_guard lock(mutex_);
  append_header(out, "lmsgw_sign_ins_total", "Sign-in attempts by connection and outcome.",
                "counter");
  for (const auto& [labels, count] : sign_ins_) {
    out.append("lmsgw_sign_ins_total{connection=\"")
        .append(escape_label(labels.first))
        .append("\",outcome=\"")
        .append(escape_label(labels.second))
        .append("\"} ")
        .append(std::to_string(count))
        .append("\n");
  }
  for (const Gauge& gauge : gauges_) {
    append_header(out, gauge.name, gauge.help, "gauge");
    out.append(gauge.name).append(" ");
    append_number(out, gauge.read());
    out.append("\n");
  }
  return out;
}

}  // namespace lmsgw::metrics
