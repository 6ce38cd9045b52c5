#include "directives/directive_service.h"

#include <string>

#include "common/time.h"

namespace lmsgw::directives {

DirectiveService::DirectiveService(store::DirectiveStore& store, store::AuditLog& audit,
                                   const sdk::Clock& clock)
    : store_(store), audit_(audit), clock_(clock) {}

sdk::Result<void> DirectiveService::require_district(std::string_view district_id) {
  auto exists = store_.district_exists(district_id);
  if (!exists) return exists.error();
  if (!*exists) return sdk::Error{sdk::ErrorCode::invalid_request, "unknown district"};
  return {};
}

sdk::Result<void> DirectiveService::audit(std::string_view district_id, std::string_view actor,
                                          std::string_view action, std::string_view object) {
  auto appended = audit_.append(store::AuditEvent{0, clock_.now(), std::string(district_id),
                                                  std::string(actor), std::string(action),
                                                  std::string(object), {}});
  if (!appended) return appended.error();
  return {};
}

sdk::Result<store::DirectiveVersion> DirectiveService::set(std::string_view district_id,
                                                           std::string_view document,
                                                           std::string_view actor) {
  if (auto known = require_district(district_id); !known) return known.error();
  const auto now = clock_.now();
  auto directive = parse_directive(document, time::civil_date_utc(now));
  if (!directive) return directive.error();
  auto written = store_.add_directive_version(district_id, directive_json(*directive), now, actor);
  if (!written) return written.error();
  if (auto audited = audit(district_id, actor, "directive.set",
                           "directive:" + std::string(district_id) + ":v" +
                               std::to_string(written->version));
      !audited) {
    return audited.error();
  }
  return written;
}

sdk::Result<std::optional<store::DirectiveVersion>> DirectiveService::current(
    std::string_view district_id) {
  return store_.current_directive(district_id);
}

sdk::Result<std::vector<store::DirectiveVersion>> DirectiveService::history(
    std::string_view district_id, std::size_t limit) {
  return store_.directive_history(district_id, limit);
}

sdk::Result<store::LegalHold> DirectiveService::place_hold(std::string_view district_id,
                                                           std::string_view account_id,
                                                           std::string_view reason,
                                                           std::string_view actor) {
  auto district = store_.account_district(account_id);
  if (!district) return district.error();
  if (!*district || **district != district_id) {
    return sdk::Error{sdk::ErrorCode::not_permitted, "legal hold: no such account in the district"};
  }
  auto hold = store_.place_hold(account_id, reason, clock_.now(), actor);
  if (!hold) return hold.error();
  if (auto audited = audit(district_id, actor, "legal_hold.placed", account_id); !audited) {
    return audited.error();
  }
  return hold;
}

sdk::Result<std::optional<store::LegalHold>> DirectiveService::release_hold(
    std::string_view district_id, std::string_view account_id, std::string_view actor) {
  auto released = store_.release_hold(district_id, account_id, clock_.now(), actor);
  if (!released) return released.error();
  if (*released) {
    if (auto audited = audit(district_id, actor, "legal_hold.released", account_id); !audited) {
      return audited.error();
    }
  }
  return released;
}

sdk::Result<std::vector<store::LegalHold>> DirectiveService::holds(std::string_view district_id,
                                                                   bool include_released,
                                                                   std::size_t limit) {
  return store_.holds(district_id, include_released, limit);
}

}  // namespace lmsgw::directives
