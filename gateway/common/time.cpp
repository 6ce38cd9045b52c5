#include "common/time.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace lmsgw::time {

sdk::CivilDate civil_date_utc(std::chrono::system_clock::time_point when) noexcept {
  const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(when)};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day())};
}

sdk::CivilDate earliest_civil_date(std::chrono::system_clock::time_point when) noexcept {
  return civil_date_utc(when - std::chrono::hours(12));
}

bool is_valid(sdk::CivilDate date) noexcept {
  return std::chrono::year_month_day{std::chrono::year{date.year}, std::chrono::month{date.month},
                                     std::chrono::day{date.day}}
      .ok();
}

std::string to_iso_date(sdk::CivilDate date) {
  char buffer[16];
  std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", date.year, date.month, date.day);
  return buffer;
}

std::string to_rfc3339_utc(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = to_unix_seconds(when);
  std::tm parts{};
  gmtime_r(&seconds, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

std::optional<sdk::CivilDate> parse_iso_date(std::string_view text) noexcept {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  sdk::CivilDate date;
  auto number = [&](std::size_t offset, std::size_t length, auto& out) {
    const char* first = text.data() + offset;
    auto [end, ec] = std::from_chars(first, first + length, out);
    return ec == std::errc{} && end == first + length;
  };
  if (!number(0, 4, date.year) || !number(5, 2, date.month) || !number(8, 2, date.day)) {
    return std::nullopt;
  }
  if (!is_valid(date)) return std::nullopt;
  return date;
}

std::int64_t to_unix_seconds(std::chrono::system_clock::time_point when) noexcept {
  return std::chrono::duration_cast<std::chrono::seconds>(when.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_unix_seconds(std::int64_t seconds) noexcept {
  return std::chrono::system_clock::time_point{std::chrono::seconds{seconds}};
}

std::optional<std::chrono::system_clock::time_point> parse_utc_time(
    std::string_view text) noexcept {
  const std::optional<sdk::CivilDate> date = parse_iso_date(text.substr(0, 10));
  // system_clock counts nanoseconds in 64 bits: it ends in 2262.
  if (!date || date->year < kMinUtcYear || date->year > kMaxUtcYear) return std::nullopt;
  const std::chrono::system_clock::time_point day = std::chrono::sys_days(
      std::chrono::year_month_day(std::chrono::year(date->year), std::chrono::month(date->month),
                                  std::chrono::day(date->day)));
  if (text.size() == 10) return day;
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  int fields[3] = {};
  for (std::size_t i = 0; i < 3; ++i) {
    const std::string_view digits = text.substr(11 + 3 * i, 2);
    if (digits[0] < '0' || digits[0] > '9' || digits[1] < '0' || digits[1] > '9') {
      return std::nullopt;
    }
    fields[i] = (digits[0] - '0') * 10 + (digits[1] - '0');
  }
  if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return std::nullopt;
  return day + std::chrono::hours(fields[0]) + std::chrono::minutes(fields[1]) +
         std::chrono::seconds(fields[2]);
}

}  // namespace lmsgw::time
