// The one operation that deletes one account for real (PRIVACY.md C.2, C.3): a teacher's or
// guardian's request (admin API), a provider's data-deletion signal (webhooks). The account's
// sessions and tokens end first, through RevocationService; then its row, identity links,
// sessions and section memberships go in one transaction. An account under legal hold is not
// touched at all.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "session/revocation.h"
#include "store/audit_log.h"
#include "store/directive_store.h"

namespace lmsgw::directives {

struct AccountDeletion {
  enum class Outcome { deleted, held, not_found } outcome = Outcome::not_found;
  // Rows deleted, by kind: accounts, identities, sessions, section_memberships (all 0 unless
  // deleted).
  std::vector<std::pair<std::string, std::int64_t>> counts;
};

// A reason is a short token naming why ("guardian_request", "teacher_request",
// "provider_data_deletion"): lower-case letters, digits and '_', at most this long.
inline constexpr std::size_t kMaxDeletionReasonBytes = 40;

class AccountDeleter {
 public:
  AccountDeleter(store::DirectiveStore& store, session::RevocationService& revocations,
                 store::AuditLog& audit, const sdk::Clock& clock);

  // Audited as "account.deleted" (object "<account id>; reason=<reason>", with the counts), or
  // "account.deletion_held" when a legal hold kept it. invalid_request for a malformed reason.
  // `actor` is an audit actor ("district-admin:<token id>", "webhook:<connection>", ...).
  sdk::Result<AccountDeletion> delete_account(std::string_view account_id,
                                              std::string_view actor, std::string_view reason);

 private:
  store::DirectiveStore& store_;
  session::RevocationService& revocations_;
  store::AuditLog& audit_;
  const sdk::Clock& clock_;
};

}  // namespace lmsgw::directives
