#include "admin/admin_api.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/time.h"

namespace lmsgw::admin {
namespace {

using http::Method;

constexpr std::string_view kDistrictRoute = "/admin/v1/districts/{district}";
constexpr std::string_view kRevocationRoute = "/admin/v1/districts/{district}/revocation";
constexpr std::string_view kDeletionRequestsRoute =
    "/admin/v1/districts/{district}/deletion-requests";
constexpr std::string_view kSyncRunsRoute = "/admin/v1/districts/{district}/sync-runs";
constexpr std::string_view kAuditRoute = "/admin/v1/districts/{district}/audit";

// What the district's status says, in every answer about its access.
sdk::Result<boost::json::object> access_status(store::AccountStore& accounts,
                                               std::string_view district_id) {
  auto withdrawal = accounts.district_withdrawal(district_id);
  if (!withdrawal) return withdrawal.error();
  boost::json::object status{{"district", district_id}};
  if (*withdrawal) {
    status["access"] = "revoked";
    status["revoked_at"] = time::to_rfc3339_utc((*withdrawal)->revoked_at);
    status["revoked_by"] = (*withdrawal)->revoked_by;
  } else {
    status["access"] = "granted";
    status["revoked_at"] = nullptr;
    status["revoked_by"] = nullptr;
  }
  return status;
}

// A run as the admin API shows it. A district admin sees the counts and error of a connection
// that also serves other districts only as `shared_connection`, so nothing of another
// district (not even its size) shows.
boost::json::object run_json(const store::SyncRunRecord& run, const AdminPrincipal& principal) {
  boost::json::object out{
      {"id", run.id},
      {"connection", run.connection_id},
      {"trigger", store::to_string(run.trigger)},
      {"mode",
       run.mode ? boost::json::value(store::to_string(*run.mode)) : boost::json::value(nullptr)},
      {"full", run.full},
      {"resumes_run",
       run.resumes_run ? boost::json::value(*run.resumes_run) : boost::json::value(nullptr)},
      {"started_at", time::to_rfc3339_utc(run.started_at)},
      {"finished_at", time_or_null(run.finished_at)},
      {"outcome", store::to_string(run.outcome)},
      {"batches", run.batches},
  };
  const bool shared = run.districts.size() > 1;
  out["shared_connection"] = shared;
  if (shared && !principal.is_operator()) {
    out["counts"] = nullptr;
    out["rejections"] = nullptr;
    out["error"] = nullptr;
    return out;
  }
  boost::json::object counts;
  for (const auto& [key, n] : run.counts) {
    boost::json::value& kind = counts[key.first];
    if (!kind.is_object()) kind = boost::json::object();
    kind.as_object()[key.second] = n;
  }
  out["counts"] = std::move(counts);
  out["rejections"] = run.rejections.size();
  out["error"] = run.error;
  return out;
}

}  // namespace

AdminApi::AdminApi(AdminApiDependencies dependencies) : deps_(std::move(dependencies)) {}

void AdminApi::add_routes(AdminRouter& router) {
  const auto bind =
      [this](http::Response (AdminApi::*member)(const http::Request&, const AdminPrincipal&)) {
        return [this, member](const http::Request& request, const AdminPrincipal& principal) {
          return (this->*member)(request, principal);
        };
      };
  router.add({{Method::get},
              std::string(kDistrictRoute),
              AdminAccess::district,
              bind(&AdminApi::district_status)});
  router.add({{Method::post},
              std::string(kRevocationRoute),
              AdminAccess::district,
              bind(&AdminApi::revoke_district)});
  router.add({{Method::delete_},
              std::string(kRevocationRoute),
              AdminAccess::operator_only,
              bind(&AdminApi::reinstate_district)});
  router.add({{Method::post},
              std::string(kDeletionRequestsRoute),
              AdminAccess::district,
              bind(&AdminApi::request_deletion)});
  router.add({{Method::get},
              std::string(kSyncRunsRoute),
              AdminAccess::district,
              bind(&AdminApi::list_sync_runs)});
  router.add({{Method::post},
              std::string(kSyncRunsRoute),
              AdminAccess::district,
              bind(&AdminApi::start_sync_runs)});
  router.add({{Method::get},
              std::string(kAuditRoute),
              AdminAccess::district,
              bind(&AdminApi::export_audit)});
}

http::Response AdminApi::district_status(const http::Request& request,
                                         const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto status = access_status(deps_.accounts, district);
  if (!status) return json_error(status.error());
  auto audited = record_admin_read(deps_.audit, deps_.clock, principal, district, kDistrictRoute,
                                   {{"districts", 1}});
  if (!audited) return json_error(audited.error());
  return json_response(200, *status);
}

http::Response AdminApi::revoke_district(const http::Request& request,
                                         const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto revoked = deps_.revocations.revoke_district(district, principal.actor());
  if (!revoked) return json_error(revoked.error());
  auto status = access_status(deps_.accounts, district);
  if (!status) return json_error(status.error());
  return json_response(200, *status);
}

http::Response AdminApi::reinstate_district(const http::Request& request,
                                            const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto reinstated = deps_.revocations.reinstate_district(district, principal.actor());
  if (!reinstated) return json_error(reinstated.error());
  auto status = access_status(deps_.accounts, district);
  if (!status) return json_error(status.error());
  (*status)["changed"] = *reinstated;
  return json_response(200, *status);
}

http::Response AdminApi::request_deletion(const http::Request& request,
                                          const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  auto body = read_json_object(request);
  if (!body) return json_error(body.error());
  const auto account = string_member(*body, "account");
  if (!account || account->empty() || account->size() > kMaxAccountIdBytes) {
    return json_error(400, "invalid_request", "account must be an account id");
  }
  const auto requested_by = string_member(*body, "requested_by");
  if (!requested_by || (*requested_by != "teacher" && *requested_by != "guardian")) {
    return json_error(400, "invalid_request", "requested_by must be teacher or guardian");
  }
  // PRIVACY.md C.3 covers students; a staff account or another district's student is answered
  // like an unknown id, so the answer tells nothing about accounts outside the district.
  auto found = deps_.accounts.find_account(*account);
  if (!found) return json_error(found.error());
  if (!*found || (*found)->account.role != identity::AccountRole::student ||
      (*found)->account.district_id != district) {
    return json_error(404, "not_found", "no student account of this district has this id");
  }
  const std::string reason = std::string(*requested_by) + "_request";
  auto deletion = deps_.deleter.delete_account(*account, principal.actor(), reason);
  if (!deletion) return json_error(deletion.error());
  boost::json::object counts;
  for (const auto& [kind, n] : deletion->counts) counts[kind] = n;
  boost::json::object answer{{"account", *account}, {"counts", std::move(counts)}};
  switch (deletion->outcome) {
    case directives::AccountDeletion::Outcome::deleted:
      answer["outcome"] = "deleted";
      return json_response(200, answer);
    case directives::AccountDeletion::Outcome::held:
      answer["outcome"] = "held";
      answer["error"] = "legal_hold";
      answer["detail"] = "a legal hold covers this account: nothing was deleted";
      return json_response(409, answer);
    case directives::AccountDeletion::Outcome::not_found:
      break;
  }
  return json_error(404, "not_found", "no student account of this district has this id");
}

http::Response AdminApi::list_sync_runs(const http::Request& request,
                                        const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  const auto params = query_params(request);
  if (!params) return json_error(400, "invalid_request", "the query does not decode");
  std::size_t limit = kDefaultRuns;
  if (auto it = params->find("limit"); it != params->end()) {
    const auto parsed = parse_count(it->second, 1, kMaxRuns);
    if (!parsed) return json_error(400, "invalid_request", "limit must be 1 to 100");
    limit = static_cast<std::size_t>(*parsed);
  }
  boost::json::array runs;
  if (deps_.roster != nullptr) {
    auto recent = deps_.roster->recent_runs(district, limit);
    if (!recent) return json_error(recent.error());
    for (const store::SyncRunRecord& run : *recent) runs.push_back(run_json(run, principal));
  }
  auto audited = record_admin_read(deps_.audit, deps_.clock, principal, district, kSyncRunsRoute,
                                   {{"runs", static_cast<std::int64_t>(runs.size())}});
  if (!audited) return json_error(audited.error());
  return json_response(200, boost::json::object{{"district", district}, {"runs", std::move(runs)}});
}

http::Response AdminApi::start_sync_runs(const http::Request& request,
                                         const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  if (deps_.sync_runner == nullptr || deps_.roster == nullptr ||
      deps_.sync_runner->connections_of(district).empty()) {
    return json_error(409, "no_sync_connection", "no sync connection writes to this district");
  }
  auto withdrawn = deps_.revocations.district_withdrawn(district);
  if (!withdrawn) return json_error(withdrawn.error());
  if (*withdrawn) {
    return json_error(409, "district_revoked",
                      "the district's access is revoked: its roster sync is stopped");
  }
  // Runs started from here on have larger ids: the client finds them in the list.
  auto newest = deps_.roster->recent_runs(district, 1);
  if (!newest) return json_error(newest.error());
  const std::int64_t after_run = newest->empty() ? 0 : newest->front().id;

  const AdminSyncRunner::Requested requested = deps_.sync_runner->request(district);
  for (const std::string& connection : requested.queued) {
    store::AuditEvent event;
    event.at = deps_.clock.now();
    event.district_id = district;
    event.actor = principal.actor();
    event.action = "sync.requested";
    event.object = connection;
    if (auto appended = deps_.audit.append(event); !appended) return json_error(appended.error());
  }
  const std::string runs_url = "/admin/v1/districts/" + district + "/sync-runs";
  boost::json::array queued(requested.queued.begin(), requested.queued.end());
  boost::json::array running(requested.already_running.begin(), requested.already_running.end());
  boost::json::object body{{"district", district},
                           {"queued", std::move(queued)},
                           {"already_running", std::move(running)},
                           {"after_run", after_run},
                           {"runs", runs_url}};
  if (requested.queued.empty()) {
    body["error"] = "already_running";
    return json_response(409, body);
  }
  return json_response(202, body).with_header("Location", runs_url);
}

http::Response AdminApi::export_audit(const http::Request& request,
                                      const AdminPrincipal& principal) {
  const std::string district(request.route_param("district"));
  const auto params = query_params(request);
  if (!params) return json_error(400, "invalid_request", "the query does not decode");
  store::AuditQuery query{.district_id = district, .limit = kMaxAuditPage};
  if (auto it = params->find("since"); it != params->end()) {
    const auto since = time::parse_utc_time(it->second);
    if (!since) {
      return json_error(400, "invalid_request",
                        "since must be a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    }
    query.since = *since;
  }
  if (auto it = params->find("after"); it != params->end()) {
    const auto after = parse_count(it->second, 0, std::numeric_limits<std::int64_t>::max());
    if (!after) return json_error(400, "invalid_request", "after must be an event id");
    query.after_id = *after;
  }
  if (auto it = params->find("limit"); it != params->end()) {
    const auto limit = parse_count(it->second, 1, kMaxAuditPage);
    if (!limit) return json_error(400, "invalid_request", "limit must be 1 to 1000");
    query.limit = static_cast<std::size_t>(*limit);
  }
  auto events = deps_.audit.list(query);
  if (!events) return json_error(events.error());
  std::string lines;
  for (const store::AuditEvent& event : *events) {
    lines += store::audit_event_json(event);
    lines += '\n';
  }
  store::AuditEvent exported;
  exported.at = deps_.clock.now();
  exported.district_id = district;
  exported.actor = principal.actor();
  exported.action = "audit.exported";
  exported.object = std::string(kAuditRoute);
  exported.counts = {{"events", static_cast<std::int64_t>(events->size())}};
  if (auto appended = deps_.audit.append(exported); !appended) {
    return json_error(appended.error());
  }
  http::Response response{
      200, "application/x-ndjson", {{"Cache-Control", "no-store"}}, std::move(lines), nullptr, {}};
  if (events->size() == query.limit) {
    // RFC 8288: the next page starts after the last event of this one.
    std::string next = "/admin/v1/districts/" + district +
                       "/audit?after=" + std::to_string(events->back().id) +
                       "&limit=" + std::to_string(query.limit);
    if (auto it = params->find("since"); it != params->end()) next += "&since=" + it->second;
    response.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
  }
  return response;
}

}  // namespace lmsgw::admin
