#include "admin/admin_directive_routes.h"

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "common/crypto.h"
#include "common/time.h"
#include "directives/directive.h"

namespace lmsgw::admin {
namespace {

using http::Method;

constexpr std::string_view kDirectiveRoute = "/admin/v1/districts/{district}/directive";
constexpr std::string_view kVersionsRoute = "/admin/v1/districts/{district}/directive/versions";
constexpr std::string_view kHoldsRoute = "/admin/v1/districts/{district}/legal-holds";
constexpr std::string_view kHoldRoute = "/admin/v1/districts/{district}/legal-holds/{account}";
constexpr std::string_view kRetentionRunsRoute = "/admin/v1/districts/{district}/retention-runs";
constexpr std::string_view kAllRetentionRunsRoute = "/admin/v1/retention-runs";
constexpr std::string_view kCertificateRoute = "/admin/v1/certificates/{id}";

constexpr std::size_t kDefaultHolds = 100;

// A JSON document the gateway wrote itself (a canonical directive, a certificate payload).
boost::json::value stored_json(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec);
  if (ec) return nullptr;
  return value;
}

boost::json::object version_json(const store::DirectiveVersion& version) {
  return {{"district", version.district_id},
          {"version", version.version},
          {"directive", stored_json(version.document)},
          {"set_at", time::to_rfc3339_utc(version.set_at)},
          {"set_by", version.set_by}};
}

boost::json::object hold_json(const store::LegalHold& hold) {
  return {{"account", hold.account_id},
          {"reason", hold.reason},
          {"placed_at", time::to_rfc3339_utc(hold.placed_at)},
          {"placed_by", hold.placed_by},
          {"released_at", time_or_null(hold.released_at)},
          {"released_by",
           hold.released_by ? boost::json::value(*hold.released_by) : boost::json::value(nullptr)}};
}

boost::json::object job_json(const store::DisposalJob& job) {
  boost::json::array categories;
  for (const auto category : job.scope.categories) categories.emplace_back(to_string(category));
  boost::json::object counts;
  for (const auto& [kind, n] : job.counts) counts[kind] = n;
  return {{"id", job.id},
          {"rule", to_string(job.scope.rule)},
          {"categories", std::move(categories)},
          {"directive_version", job.scope.directive_version
                                    ? boost::json::value(*job.scope.directive_version)
                                    : boost::json::value("default")},
          {"partial_entry", job.scope.partial_entry ? boost::json::value(*job.scope.partial_entry)
                                                    : boost::json::value(nullptr)},
          {"state", job.finished_at ? "completed" : "running"},
          {"started_at", time::to_rfc3339_utc(job.started_at)},
          {"finished_at", time_or_null(job.finished_at)},
          {"batches", job.batches},
          {"counts", std::move(counts)},
          {"held_accounts", job.held_accounts},
          {"certificate", job.certificate_id ? boost::json::value(*job.certificate_id)
                                             : boost::json::value(nullptr)}};
}

std::optional<std::size_t> list_limit(const http::Request& request, std::size_t fallback,
                                      std::size_t max) {
  const auto params = query_params(request);
  if (!params) return std::nullopt;
  const auto it = params->find("limit");
  if (it == params->end()) return fallback;
  const auto parsed = parse_count(it->second, 1, static_cast<std::int64_t>(max));
  if (!parsed) return std::nullopt;
  return static_cast<std::size_t>(*parsed);
}

// What a list route needs to say: its pattern, its `limit` bounds and what it counts.
struct ListRead {
  std::string_view route;
  std::size_t default_limit;
  std::size_t max_limit;
  std::string_view counted;
};

// A district's list: at most `limit` rows of `fetch(limit)`, each through `to_json`, the read
// recorded with their number; the JSON array, or the error answer.
template <typename Fetch, typename ToJson>
std::variant<boost::json::array, http::Response> audited_list(
    const ListRead& list, const http::Request& request, const AdminPrincipal& principal,
    store::AuditLog& audit, const sdk::Clock& clock, const Fetch& fetch, const ToJson& to_json) {
  const auto limit = list_limit(request, list.default_limit, list.max_limit);
  if (!limit) {
    return json_error(400, "invalid_request",
                      "limit must be 1 to " + std::to_string(list.max_limit));
  }
  auto rows = fetch(*limit);
  if (!rows) return json_error(rows.error());
  boost::json::array out;
  for (const auto& row : *rows) out.push_back(to_json(row));
  // A route without {district} (the platform scope's) reads nothing of a district.
  const std::string_view district = request.route_param("district");
  auto audited = record_admin_read(
      audit, clock, principal,
      district.empty() ? std::nullopt : std::optional<std::string>(district), list.route,
      {{std::string(list.counted), static_cast<std::int64_t>(out.size())}});
  if (!audited) return json_error(audited.error());
  return out;
}

http::Response no_account_here() {
  return json_error(404, "not_found", "no account of this district has this id");
}

http::Response retention_unavailable() {
  return json_error(409, "retention_unavailable",
                    "this gateway has no retention engine: disposal certificates are signed "
                    "with the tokens section's key, and the configuration has no tokens section");
}

}  // namespace

AdminDirectiveRoutes::AdminDirectiveRoutes(AdminDirectiveDependencies dependencies)
    : deps_(std::move(dependencies)) {}

void AdminDirectiveRoutes::add_routes(AdminRouter& router) {
  using Member =
      http::Response (AdminDirectiveRoutes::*)(const http::Request&, const AdminPrincipal&);
  const auto add = [this, &router](Method method, std::string_view pattern, AdminAccess access,
                                   Member member) {
    router.add({{method},
                std::string(pattern),
                access,
                [this, member](const http::Request& request, const AdminPrincipal& principal) {
                  return (this->*member)(request, principal);
                }});
  };
  add(Method::get, kDirectiveRoute, AdminAccess::district,
      &AdminDirectiveRoutes::current_directive);
  add(Method::put, kDirectiveRoute, AdminAccess::district, &AdminDirectiveRoutes::set_directive);
  add(Method::get, kVersionsRoute, AdminAccess::district,
      &AdminDirectiveRoutes::directive_versions);
  add(Method::get, kHoldsRoute, AdminAccess::district, &AdminDirectiveRoutes::list_holds);
  add(Method::post, kHoldsRoute, AdminAccess::district, &AdminDirectiveRoutes::place_hold);
  add(Method::delete_, kHoldRoute, AdminAccess::district, &AdminDirectiveRoutes::release_hold);
  add(Method::get, kRetentionRunsRoute, AdminAccess::district,
      &AdminDirectiveRoutes::list_retention_runs);
  add(Method::post, kRetentionRunsRoute, AdminAccess::district,
      &AdminDirectiveRoutes::start_retention_run);
  add(Method::get, kAllRetentionRunsRoute, AdminAccess::operator_only,
      &AdminDirectiveRoutes::list_platform_retention_runs);
  add(Method::post, kAllRetentionRunsRoute, AdminAccess::operator_only,
      &AdminDirectiveRoutes::start_retention_run_everywhere);
  add(Method::get, kCertificateRoute, AdminAccess::any_admin, &AdminDirectiveRoutes::certificate);
}

http::Response AdminDirectiveRoutes::current_directive(const http::Request& request,
                                                       const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto current = deps_.directives.current(district);
  if (!current) return json_error(current.error());
  auto audited = record_admin_read(deps_.audit, deps_.clock, principal, district, kDirectiveRoute,
                                   {{"directives", *current ? 1 : 0}});
  if (!audited) return json_error(audited.error());
  if (!*current) {
    return json_error(404, "no_directive",
                      "the district has set no directive: the platform's defaults apply");
  }
  return json_response(200, version_json(**current));
}

http::Response AdminDirectiveRoutes::set_directive(const http::Request& request,
                                                   const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  // Media type, size and JSON first, answered as every admin body is; the directive module
  // then validates the document itself, field by field.
  if (auto body = read_json_object(request, directives::kMaxDirectiveBytes); !body) {
    return json_error(body.error());
  }
  auto written = deps_.directives.set(district, request.body, principal.actor());
  if (!written) {
    if (written.error().code == sdk::ErrorCode::invalid_request) {
      return json_error(400, "invalid_request", written.error().detail);
    }
    return json_error(written.error());
  }
  return json_response(200, version_json(*written));
}

http::Response AdminDirectiveRoutes::directive_versions(const http::Request& request,
                                                        const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto versions = audited_list(
      {kVersionsRoute, kDefaultList, kMaxList, "directive_versions"}, request, principal,
      deps_.audit, deps_.clock,
      [&](std::size_t limit) { return deps_.directives.history(district, limit); }, version_json);
  if (auto* refusal = std::get_if<http::Response>(&versions)) return std::move(*refusal);
  return json_response(
      200, boost::json::object{{"district", district},
                               {"versions", std::move(std::get<boost::json::array>(versions))}});
}

http::Response AdminDirectiveRoutes::list_holds(const http::Request& request,
                                                const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto holds = audited_list(
      {kHoldsRoute, kDefaultHolds, store::kMaxListRows, "legal_holds"}, request, principal,
      deps_.audit, deps_.clock,
      [&](std::size_t limit) { return deps_.directives.holds(district, false, limit); }, hold_json);
  if (auto* refusal = std::get_if<http::Response>(&holds)) return std::move(*refusal);
  return json_response(
      200, boost::json::object{{"district", district},
                               {"holds", std::move(std::get<boost::json::array>(holds))}});
}

http::Response AdminDirectiveRoutes::place_hold(const http::Request& request,
                                                const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto body = read_json_object(request);
  if (!body) return json_error(body.error());
  const auto account = string_member(*body, "account");
  if (!account || account->empty() || account->size() > kMaxIdBytes) {
    return json_error(400, "invalid_request", "account must be an account id");
  }
  const auto reason = string_member(*body, "reason");
  if (!reason || reason->empty() || reason->size() > store::kMaxHoldReasonBytes) {
    return json_error(
        400, "invalid_request",
        "reason must be a text of 1 to " + std::to_string(store::kMaxHoldReasonBytes) + " bytes");
  }
  // Another district's account and an unknown id are answered alike, before anything else is
  // said about the account.
  auto owner = deps_.store.account_district(*account);
  if (!owner) return json_error(owner.error());
  if (!*owner || **owner != district) return no_account_here();
  auto held = deps_.store.account_held(*account);
  if (!held) return json_error(held.error());
  if (*held) {
    return json_error(409, "already_held", "a legal hold on this account is already in force");
  }
  auto placed = deps_.directives.place_hold(district, *account, *reason, principal.actor());
  if (!placed) {
    if (placed.error().code == sdk::ErrorCode::not_permitted) return no_account_here();
    return json_error(placed.error());
  }
  return json_response(201, hold_json(*placed));
}

http::Response AdminDirectiveRoutes::release_hold(const http::Request& request,
                                                  const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  const std::string_view account = request.route_param("account");
  if (account.size() > kMaxIdBytes) return no_account_here();
  auto released = deps_.directives.release_hold(district, account, principal.actor());
  if (!released) return json_error(released.error());
  if (!*released) {
    return json_error(404, "not_found", "no legal hold is in force on this account");
  }
  return json_response(200, hold_json(**released));
}

http::Response AdminDirectiveRoutes::list_retention_runs(const http::Request& request,
                                                         const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto jobs = audited_list(
      {kRetentionRunsRoute, kDefaultList, kMaxList, "disposal_jobs"}, request, principal,
      deps_.audit, deps_.clock,
      [&](std::size_t limit) { return deps_.store.jobs(district, limit); }, job_json);
  if (auto* refusal = std::get_if<http::Response>(&jobs)) return std::move(*refusal);
  const bool available = deps_.retention != nullptr;
  return json_response(
      200, boost::json::object{{"district", district},
                               {"retention_available", available},
                               {"run_pending", available && deps_.retention->pending(district)},
                               {"jobs", std::move(std::get<boost::json::array>(jobs))}});
}

http::Response AdminDirectiveRoutes::list_platform_retention_runs(const http::Request& request,
                                                                  const AdminPrincipal& principal) {
  auto jobs = audited_list(
      {kAllRetentionRunsRoute, kDefaultList, kMaxList, "disposal_jobs"}, request, principal,
      deps_.audit, deps_.clock, [&](std::size_t limit) { return deps_.store.jobs({}, limit); },
      job_json);
  if (auto* refusal = std::get_if<http::Response>(&jobs)) return std::move(*refusal);
  const bool available = deps_.retention != nullptr;
  // Only a run of every district does the platform scope.
  return json_response(
      200, boost::json::object{{"scope", "platform"},
                               {"retention_available", available},
                               {"run_pending", available && deps_.retention->pending({})},
                               {"jobs", std::move(std::get<boost::json::array>(jobs))}});
}

http::Response AdminDirectiveRoutes::start_retention_run(const http::Request& request,
                                                         const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  if (deps_.retention == nullptr) return retention_unavailable();
  // Jobs this run starts get larger ids; a job it resumes was listed as running before.
  auto newest = deps_.store.jobs(district, 1);
  if (!newest) return json_error(newest.error());
  const std::int64_t after_job = newest->empty() ? 0 : newest->front().id;
  const std::string jobs_url = "/admin/v1/districts/" + district + "/retention-runs";
  boost::json::object answer{{"district", district}, {"after_job", after_job}, {"jobs", jobs_url}};
  if (!deps_.retention->request(district)) {
    answer["error"] = "already_running";
    answer["detail"] = "a retention run of this district is already queued or running";
    return json_response(409, answer);
  }
  store::AuditEvent event;
  event.at = deps_.clock.now();
  event.district_id = district;
  event.actor = principal.actor();
  event.action = "retention.requested";
  if (auto appended = deps_.audit.append(event); !appended) return json_error(appended.error());
  return json_response(202, answer).with_header("Location", jobs_url);
}

http::Response AdminDirectiveRoutes::start_retention_run_everywhere(
    const http::Request&, const AdminPrincipal& principal) {
  if (deps_.retention == nullptr) return retention_unavailable();
  if (!deps_.retention->request({})) {
    return json_error(409, "already_running",
                      "a retention run of every district is already queued or running");
  }
  store::AuditEvent event;
  event.at = deps_.clock.now();
  event.actor = principal.actor();
  event.action = "retention.requested";
  event.object = "all_districts";
  if (auto appended = deps_.audit.append(event); !appended) return json_error(appended.error());
  return json_response(202, boost::json::object{{"districts", "all"}});
}

http::Response AdminDirectiveRoutes::certificate(const http::Request& request,
                                                 const AdminPrincipal& principal) {
  const std::string_view id = request.route_param("id");
  const auto not_found = [] { return json_error(404, "not_found", "no certificate has this id"); };
  if (id.size() > kMaxIdBytes) return not_found();
  auto stored = deps_.store.certificate(id);
  if (!stored) return json_error(stored.error());
  // Another district's certificate is answered as one that does not exist; so is the platform
  // scope's (its district is empty, which only an operator may access) to a district admin.
  if (!*stored || !principal.may_access((*stored)->district_id)) return not_found();
  const store::StoredCertificate& found = **stored;
  const bool platform = found.district_id.empty();
  // The payload as stored in the JWS: the district verifies the signature over exactly it
  // (lmsgwctl certificate verify, or any JOSE library with the gateway's JWKS).
  boost::json::value document = nullptr;
  const auto first = found.jws.find('.');
  const auto second = found.jws.find('.', first == std::string::npos ? first : first + 1);
  if (first != std::string::npos && second != std::string::npos) {
    if (auto payload = crypto::base64url_decode(
            std::string_view(found.jws).substr(first + 1, second - first - 1))) {
      document = stored_json(*payload);
    }
  }
  auto audited =
      record_admin_read(deps_.audit, deps_.clock, principal,
                        platform ? std::nullopt : std::optional<std::string>(found.district_id),
                        kCertificateRoute, {{"certificates", 1}});
  if (!audited) return json_error(audited.error());
  return json_response(
      200, boost::json::object{{"certificate_id", found.id},
                               {"scope", platform ? "platform" : "district"},
                               {"district", platform ? boost::json::value(nullptr)
                                                     : boost::json::value(found.district_id)},
                               {"job", found.job_id},
                               {"issued_at", time::to_rfc3339_utc(found.issued_at)},
                               {"jws", found.jws},
                               {"certificate", std::move(document)}});
}

}  // namespace lmsgw::admin
