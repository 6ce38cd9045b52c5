#include <iostream>

#include "app/ctl_commands.h"
#include "app/gateway.h"
#include "common/time.h"
#include "store/sqlite/sqlite_account_store.h"

namespace lmsgw::app::ctl {

namespace {

// The command line's revocations take effect in running gateways through the store (their
// housekeeping applies them within a second); this process has no sessions of its own.
const time::SystemClock kClock;

}  // namespace

sdk::Result<std::unique_ptr<StoreSession>> open_store_session(
    const config::GatewayConfig& config) {
  auto out = std::make_unique<StoreSession>();
  auto accounts = store::open_sqlite_store({.path = config.store.sqlite_path, .migrate = false});
  if (!accounts) return accounts.error();
  out->accounts = std::move(*accounts);
  auto audit = store::open_sqlite_audit_log(config.store.sqlite_path);
  if (!audit) return audit.error();
  out->audit = std::move(*audit);
  out->revocations = std::make_unique<session::RevocationService>(*out->accounts, *out->audit,
                                                                  out->epochs, kClock);
  return out;
}

int fail(const sdk::Error& error) {
  std::cerr << "lmsgwctl: " << error.detail << "\n";
  return kExitRuntimeFailure;
}

int refuse(std::string_view message) {
  std::cerr << "lmsgwctl: " << message << "\n";
  return kExitConfigInvalid;
}

std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text) {
  if (auto date = time::parse_iso_date(text)) {
    return std::chrono::sys_days(std::chrono::year_month_day(
        std::chrono::year(date->year), std::chrono::month(date->month),
        std::chrono::day(date->day)));
  }
  // YYYY-MM-DDTHH:MM:SSZ
  if (text.size() != 20 || text[10] != 'T' || text[13] != ':' || text[16] != ':' ||
      text[19] != 'Z') {
    return std::nullopt;
  }
  const auto day = parse_time(text.substr(0, 10));
  if (!day) return std::nullopt;
  int fields[3] = {};
  for (int i = 0; i < 3; ++i) {
    const std::string_view digits = text.substr(11 + 3 * static_cast<std::size_t>(i), 2);
    if (digits[0] < '0' || digits[0] > '9' || digits[1] < '0' || digits[1] > '9') {
      return std::nullopt;
    }
    fields[i] = (digits[0] - '0') * 10 + (digits[1] - '0');
  }
  if (fields[0] > 23 || fields[1] > 59 || fields[2] > 59) return std::nullopt;
  return *day + std::chrono::hours(fields[0]) + std::chrono::minutes(fields[1]) +
         std::chrono::seconds(fields[2]);
}

}  // namespace lmsgw::app::ctl
