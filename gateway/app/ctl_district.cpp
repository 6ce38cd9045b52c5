// lmsgwctl revoke account | district revoke|reinstate|status | audit export
#include <iostream>

#include "app/ctl_commands.h"
#include "app/gateway.h"
#include "common/time.h"

namespace lmsgw::app::ctl {

namespace {

constexpr std::size_t kExportPage = 1000;

int district_status(StoreSession& session, const std::string& district_id) {
  auto withdrawal = session.accounts->district_withdrawal(district_id);
  if (!withdrawal) return fail(withdrawal.error());
  if (!*withdrawal) {
    std::cout << "district " << district_id << ": access granted\n";
  } else {
    std::cout << "district " << district_id << ": access revoked at "
              << time::to_rfc3339_utc((*withdrawal)->revoked_at) << " by "
              << (*withdrawal)->revoked_by << "\n";
  }
  return kExitOk;
}

}  // namespace

int revoke(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  if (args.size() != 2 || args[0] != "account" || args[1].empty()) {
    return refuse("usage: revoke account ID (a district: district revoke ID)");
  }
  auto session = open_store_session(config);
  if (!session) return fail(session.error());
  auto recorded = (*session)->revocations->revoke_account(args[1], kActor);
  if (!recorded) return fail(recorded.error());
  std::cout << "account " << args[1] << " revoked (record " << recorded->id << ")\n";
  return kExitOk;
}

int district(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  if (args.size() != 2 ||
      (args[0] != "revoke" && args[0] != "reinstate" && args[0] != "status")) {
    return refuse("usage: district revoke|reinstate|status ID");
  }
  const std::string& district_id = args[1];
  if (!config.districts.contains(district_id)) {
    return refuse("no district '" + district_id + "' in the configuration");
  }
  auto session = open_store_session(config);
  if (!session) return fail(session.error());
  if (args[0] == "status") return district_status(**session, district_id);
  if (args[0] == "revoke") {
    auto recorded = (*session)->revocations->revoke_district(district_id, kActor);
    if (!recorded) return fail(recorded.error());
    std::cout << "district " << district_id << " revoked (record " << recorded->id
              << "): no new sign-in, every session ends, roster sync stops\n";
    return kExitOk;
  }
  auto reinstated = (*session)->revocations->reinstate_district(district_id, kActor);
  if (!reinstated) return fail(reinstated.error());
  std::cout << "district " << district_id
            << (*reinstated ? " reinstated\n" : " was not revoked; nothing changed\n");
  return kExitOk;
}

int audit(const config::GatewayConfig& config, const std::vector<std::string>& args) {
  constexpr std::string_view kUsage =
      "usage: audit export --district ID | --platform [--since DATE]";
  std::string district_id;
  bool platform = false;
  std::chrono::system_clock::time_point since{};
  if (args.empty() || args[0] != "export") return refuse(kUsage);
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--district" && i + 1 < args.size()) {
      district_id = args[++i];
    } else if (args[i] == "--platform") {
      platform = true;
    } else if (args[i] == "--since" && i + 1 < args.size()) {
      auto parsed = time::parse_utc_time(args[++i]);
      if (!parsed) return refuse("--since must be YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
      since = *parsed;
    } else {
      return refuse(kUsage);
    }
  }
  // --platform: the events of no district (the platform scope's disposals, operator actions
  // that concern no single district), for the operator.
  if (district_id.empty() == !platform) {
    return refuse("audit export needs either --district ID or --platform");
  }
  if (!platform && !config.districts.contains(district_id)) {
    return refuse("no district '" + district_id + "' in the configuration");
  }
  auto session = open_store_session(config);
  if (!session) return fail(session.error());
  store::AuditQuery query{.district_id = district_id, .since = since, .limit = kExportPage};
  std::int64_t exported = 0;
  for (;;) {
    auto page = (*session)->audit->list(query);
    if (!page) return fail(page.error());
    for (const store::AuditEvent& event : *page) {
      std::cout << store::audit_event_json(event) << "\n";
      query.after_id = event.id;
      ++exported;
    }
    if (page->size() < kExportPage) break;
  }
  std::cout.flush();
  // The export is itself an administrative read (PRIVACY.md F); recorded after it, so it
  // appears in the next export.
  store::AuditEvent read;
  read.at = std::chrono::system_clock::now();
  if (!platform) read.district_id = district_id;
  read.actor = std::string(kActor);
  read.action = "audit.exported";
  read.counts = {{"events", exported}};
  if (auto appended = (*session)->audit->append(read); !appended) return fail(appended.error());
  return kExitOk;
}

}  // namespace lmsgw::app::ctl
