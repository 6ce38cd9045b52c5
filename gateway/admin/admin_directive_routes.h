// The admin routes of the directives module (docs/admin-api.md, docs/directives.md): a
// district's retention directive and its versions, legal holds, retention runs ("run now")
// with the disposal jobs they leave, and disposal certificates. The services are the
// directives module's own (DirectiveService audits every change, the RetentionEngine every
// disposal); these routes add the HTTP surface and the audit of every read.
#pragma once

#include <cstddef>

#include "admin/admin_retention_runner.h"
#include "admin/admin_routes.h"
#include "directives/directive_service.h"
#include "lmsgw/sdk/context.h"
#include "store/audit_log.h"
#include "store/directive_store.h"

namespace lmsgw::admin {

struct AdminDirectiveDependencies {
  directives::DirectiveService& directives;
  // Disposal jobs and certificates.
  store::DirectiveStore& store;
  store::AuditLog& audit;
  // Absent when the gateway has no retention engine (no `tokens:` section: certificates need
  // its signing key); retention runs are then answered 409 `retention_unavailable`.
  AdminRetentionRunner* retention = nullptr;
  const sdk::Clock& clock;
};

class AdminDirectiveRoutes {
 public:
  static constexpr std::size_t kDefaultList = 20;
  static constexpr std::size_t kMaxList = 100;
  // Longer than any account or certificate id the gateway mints.
  static constexpr std::size_t kMaxIdBytes = 64;

  explicit AdminDirectiveRoutes(AdminDirectiveDependencies dependencies);

  // Adds every route; `this` must outlive the router.
  void add_routes(AdminRouter& router);

 private:
  http::Response current_directive(const http::Request& request, const AdminPrincipal& principal);
  http::Response set_directive(const http::Request& request, const AdminPrincipal& principal);
  http::Response directive_versions(const http::Request& request, const AdminPrincipal& principal);
  http::Response list_holds(const http::Request& request, const AdminPrincipal& principal);
  http::Response place_hold(const http::Request& request, const AdminPrincipal& principal);
  http::Response release_hold(const http::Request& request, const AdminPrincipal& principal);
  http::Response list_retention_runs(const http::Request& request, const AdminPrincipal& principal);
  // The platform scope's jobs (accounts of no district): operator only.
  http::Response list_platform_retention_runs(const http::Request& request,
                                              const AdminPrincipal& principal);
  http::Response start_retention_run(const http::Request& request, const AdminPrincipal& principal);
  http::Response start_retention_run_everywhere(const http::Request& request,
                                                const AdminPrincipal& principal);
  http::Response certificate(const http::Request& request, const AdminPrincipal& principal);

  AdminDirectiveDependencies deps_;
};

}  // namespace lmsgw::admin
