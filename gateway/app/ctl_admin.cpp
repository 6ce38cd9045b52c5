// lmsgwctl admin-token create|list|revoke (docs/admin-api.md, "Tokens")
#include <algorithm>
#include <iostream>

#include "admin/admin_tokens.h"
#include "app/ctl_commands.h"
#include "app/gateway.h"
#include "common/time.h"

namespace lmsgw::app::ctl {

namespace {

constexpr std::string_view kAdminTokenUsage =
    "usage: admin-token create --district ID [--label TEXT] | "
    "admin-token create --operator [--label TEXT] | admin-token list | admin-token revoke ID";

std::string scope_text(const admin::AdminToken& token) {
  return token.district_id ? "district:" + *token.district_id : std::string("operator");
}

// The change, in the audit log of the token's district (an operator token's in no district's).
sdk::Result<std::int64_t> audit_token(store::AuditLog& audit, const admin::AdminToken& token,
                                      std::string_view action) {
  store::AuditEvent event;
  event.at = std::chrono::system_clock::now();
  event.district_id = token.district_id;
  event.actor = std::string(kActor);
  event.action = std::string(action);
  event.object = token.id;
  return audit.append(event);
}

int create(const config::GatewayConfig& config, StoreSession& session, admin::AdminTokens& tokens,
           const std::vector<std::string>& args) {
  std::optional<std::string> district;
  bool operator_role = false;
  std::string label;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--district" && i + 1 < args.size() && !district) {
      district = args[++i];
    } else if (args[i] == "--operator" && !operator_role) {
      operator_role = true;
    } else if (args[i] == "--label" && i + 1 < args.size()) {
      label = args[++i];
    } else {
      return refuse(kAdminTokenUsage);
    }
  }
  if (operator_role == district.has_value()) {
    return refuse("admin-token create needs exactly one of --district ID and --operator");
  }
  if (district && !config.districts.contains(*district)) {
    return refuse("no district '" + *district + "' in the configuration");
  }
  auto created =
      tokens.create(operator_role ? admin::AdminRole::operator_ : admin::AdminRole::district_admin,
                    district, std::move(label));
  if (!created) {
    if (created.error().code == sdk::ErrorCode::invalid_request) {
      return refuse(created.error().detail);
    }
    return fail(created.error());
  }
  if (auto audited = audit_token(*session.audit, created->token, "admin_token.created"); !audited) {
    return fail(audited.error());
  }
  std::cout << "id     " << created->token.id << "\n"
            << "scope  " << scope_text(created->token) << "\n"
            << "label  " << created->token.label << "\n"
            << "token  " << created->secret << "\n"
            << "The token is shown only this once; the gateway keeps only its hash.\n";
  return kExitOk;
}

int list(admin::AdminTokens& tokens) {
  auto listed = tokens.list();
  if (!listed) return fail(listed.error());
  for (const admin::AdminToken& token : *listed) {
    std::cout << token.id << "  " << scope_text(token) << "  created "
              << time::to_rfc3339_utc(token.created_at) << "  last used "
              << (token.last_used_at ? time::to_rfc3339_utc(*token.last_used_at) : "never")
              << (token.revoked_at ? "  revoked " + time::to_rfc3339_utc(*token.revoked_at) : "")
              << "  " << token.label << "\n";
  }
  return kExitOk;
}

int revoke_token(StoreSession& session, admin::AdminTokens& tokens, const std::string& id) {
  auto listed = tokens.list();
  if (!listed) return fail(listed.error());
  const auto found = std::find_if(listed->begin(), listed->end(),
                                  [&](const admin::AdminToken& token) { return token.id == id; });
  if (found == listed->end()) return refuse("no admin token '" + id + "'");
  auto revoked = tokens.revoke(id);
  if (!revoked) return fail(revoked.error());
  if (!*revoked) {
    std::cout << "admin token " << id << " was already revoked; nothing changed\n";
    return kExitOk;
  }
  if (auto audited = audit_token(*session.audit, *found, "admin_token.revoked"); !audited) {
    return fail(audited.error());
  }
  std::cout << "admin token " << id << " revoked: refused from its next request on\n";
  return kExitOk;
}

}  // namespace

int admin_token(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  const bool known = !args.empty() && ((args[0] == "create" && args.size() >= 2) ||
                                       (args[0] == "list" && args.size() == 1) ||
                                       (args[0] == "revoke" && args.size() == 2));
  if (!known) return refuse(kAdminTokenUsage);
  auto session = open_store_session(config);
  if (!session) return fail(session.error());
  auto store = admin::open_sqlite_admin_token_store(config.store.sqlite_path);
  if (!store) return fail(store.error());
  const time::SystemClock clock;
  admin::AdminTokens tokens(**store, clock);
  if (args[0] == "create") return create(config, **session, tokens, args);
  if (args[0] == "list") return list(tokens);
  return revoke_token(**session, tokens, args[1]);
}

}  // namespace lmsgw::app::ctl
