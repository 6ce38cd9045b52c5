// Time helpers shared by the core: the production clock and civil dates.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/identity.h"

namespace lmsgw::time {

class SystemClock final : public sdk::Clock {
 public:
  std::chrono::system_clock::time_point now() const noexcept override {
    return std::chrono::system_clock::now();
  }
};

// The UTC calendar date of `when`.
sdk::CivilDate civil_date_utc(std::chrono::system_clock::time_point when) noexcept;

// The earliest calendar date anywhere on Earth at `when` (the date at UTC-12). Ages are
// computed against it so that no child is counted a year older before their birthday has
// come where they live.
sdk::CivilDate earliest_civil_date(std::chrono::system_clock::time_point when) noexcept;

// True for a date that exists in the proleptic Gregorian calendar.
bool is_valid(sdk::CivilDate date) noexcept;

// "YYYY-MM-DD" and back; nullopt on anything else or an invalid date.
std::string to_iso_date(sdk::CivilDate date);
std::optional<sdk::CivilDate> parse_iso_date(std::string_view text) noexcept;

// "2026-11-24T08:00:00Z": whole seconds, UTC.
std::string to_rfc3339_utc(std::chrono::system_clock::time_point when);

// "2026-11-24" (00:00 UTC that day) or "2026-11-24T08:00:00Z" (RFC 3339, UTC, whole seconds),
// years kMinUtcYear to kMaxUtcYear; nullopt on anything else.
inline constexpr int kMinUtcYear = 1900;
inline constexpr int kMaxUtcYear = 2200;
std::optional<std::chrono::system_clock::time_point> parse_utc_time(std::string_view text) noexcept;

std::int64_t to_unix_seconds(std::chrono::system_clock::time_point when) noexcept;
std::chrono::system_clock::time_point from_unix_seconds(std::int64_t seconds) noexcept;

}  // namespace lmsgw::time
