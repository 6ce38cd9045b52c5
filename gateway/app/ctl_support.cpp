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

}  // namespace lmsgw::app::ctl
