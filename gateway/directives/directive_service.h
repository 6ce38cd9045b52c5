// Changes to a district's directive and legal holds, each audited: "directive.set" (object: the
// new version), "legal_hold.placed" and "legal_hold.released" (object: the account id). A
// hold's reason is the district's own text: it is kept for the district, never audited or
// logged.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "directives/directive.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "store/audit_log.h"
#include "store/directive_store.h"

namespace lmsgw::directives {

class DirectiveService {
 public:
  DirectiveService(store::DirectiveStore& store, store::AuditLog& audit,
                   const sdk::Clock& clock);

  // Validates `document` (parse_directive, today in UTC) and writes it as the district's next
  // version, in canonical form. invalid_request for an unknown district.
  sdk::Result<store::DirectiveVersion> set(std::string_view district_id,
                                           std::string_view document, std::string_view actor);
  sdk::Result<std::optional<store::DirectiveVersion>> current(std::string_view district_id);
  sdk::Result<std::vector<store::DirectiveVersion>> history(std::string_view district_id,
                                                            std::size_t limit);

  // The account must belong to `district_id` (not_permitted otherwise: an admin of one district
  // never holds another's accounts).
  sdk::Result<store::LegalHold> place_hold(std::string_view district_id,
                                           std::string_view account_id, std::string_view reason,
                                           std::string_view actor);
  // nullopt when the account had no hold in force.
  sdk::Result<std::optional<store::LegalHold>> release_hold(std::string_view district_id,
                                                            std::string_view account_id,
                                                            std::string_view actor);
  sdk::Result<std::vector<store::LegalHold>> holds(std::string_view district_id,
                                                   bool include_released, std::size_t limit);

 private:
  sdk::Result<void> require_district(std::string_view district_id);
  sdk::Result<void> audit(std::string_view district_id, std::string_view actor,
                          std::string_view action, std::string_view object);

  store::DirectiveStore& store_;
  store::AuditLog& audit_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::directives
