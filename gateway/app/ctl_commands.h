// lmsgwctl's command groups, one file each (ctl_<group>.cpp), and what they share. Each
// command returns the process exit code (app/gateway.h) and prints its own errors, prefixed
// "lmsgwctl: ", to stderr.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/gateway_config.h"
#include "lmsgw/sdk/result.h"
#include "session/revocation.h"
#include "store/account_store.h"
#include "store/audit_log.h"

namespace lmsgw::app::ctl {

// The audit actor of everything done from the command line.
inline constexpr std::string_view kActor = "lmsgwctl";

// The store, the audit log and the revocation service over them, opened without migrating
// (a database that needs migration is refused: "run lmsgwctl migrate").
struct StoreSession {
  std::unique_ptr<store::AccountStore> accounts;
  std::unique_ptr<store::AuditLog> audit;
  session::RevocationEpochs epochs;
  std::unique_ptr<session::RevocationService> revocations;
};
sdk::Result<std::unique_ptr<StoreSession>> open_store_session(const config::GatewayConfig& config);

// Prints "lmsgwctl: <detail>" and returns kExitRuntimeFailure.
int fail(const sdk::Error& error);
// Prints "lmsgwctl: <message>" and returns kExitConfigInvalid (a usage or input error).
int refuse(std::string_view message);


// revoke account ID
int revoke(const config::GatewayConfig& config, const std::vector<std::string>& args);
// district revoke ID | district reinstate ID | district status ID
int district(const config::GatewayConfig& config, const std::vector<std::string>& args);
// audit export --district ID | --platform [--since DATE]
int audit(const config::GatewayConfig& config, const std::vector<std::string>& args);
// admin-token create --district ID | --operator [--label TEXT] | admin-token list |
// admin-token revoke ID (ctl_admin.cpp)
int admin_token(const config::GatewayConfig& config, const std::vector<std::string>& args);

// directive set DISTRICT FILE | directive show DISTRICT | directive history DISTRICT
int directive(const config::GatewayConfig& config, const std::vector<std::string>& args);
// legal-hold place DISTRICT ACCOUNT --reason TEXT | release DISTRICT ACCOUNT | list DISTRICT
int legal_hold(const config::GatewayConfig& config, const std::vector<std::string>& args);
// retention run [--district D]
int retention(const config::GatewayConfig& config, const std::vector<std::string>& args);
// certificate get ID [--out FILE] | certificate verify FILE [--jwks URL|FILE]
int certificate(const config::GatewayConfig& config, const std::vector<std::string>& args);

}  // namespace lmsgw::app::ctl
