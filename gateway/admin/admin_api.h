// The admin API's own routes (docs/admin-api.md): a district's access status, revocation and
// reinstatement, teachers' and guardians' deletion requests, sync runs and the audit export.
// Other modules add theirs (directives, legal holds, certificates) through the same
// AdminRouter.
#pragma once

#include "admin/admin_routes.h"
#include "admin/admin_sync_runner.h"
#include "directives/account_deletion.h"
#include "lmsgw/sdk/context.h"
#include "session/revocation.h"
#include "store/account_store.h"
#include "store/audit_log.h"
#include "store/roster_store.h"

namespace lmsgw::admin {

struct AdminApiDependencies {
  store::AccountStore& accounts;
  session::RevocationService& revocations;
  store::AuditLog& audit;
  directives::AccountDeleter& deleter;
  // Both absent when no sync connection is configured: the district has no runs to list or
  // start.
  store::RosterStore* roster = nullptr;
  AdminSyncRunner* sync_runner = nullptr;
  const sdk::Clock& clock;
};

class AdminApi {
 public:
  static constexpr std::size_t kDefaultRuns = 20;
  static constexpr std::size_t kMaxRuns = 100;
  static constexpr std::size_t kMaxAuditPage = 1000;
  // Longer than any account id the store mints.
  static constexpr std::size_t kMaxAccountIdBytes = 64;

  explicit AdminApi(AdminApiDependencies dependencies);

  // Adds every route; `this` must outlive the router.
  void add_routes(AdminRouter& router);

 private:
  http::Response district_status(const http::Request& request, const AdminPrincipal& principal);
  http::Response revoke_district(const http::Request& request, const AdminPrincipal& principal);
  http::Response reinstate_district(const http::Request& request, const AdminPrincipal& principal);
  http::Response request_deletion(const http::Request& request, const AdminPrincipal& principal);
  http::Response list_sync_runs(const http::Request& request, const AdminPrincipal& principal);
  http::Response start_sync_runs(const http::Request& request, const AdminPrincipal& principal);
  http::Response export_audit(const http::Request& request, const AdminPrincipal& principal);

  AdminApiDependencies deps_;
};

}  // namespace lmsgw::admin
