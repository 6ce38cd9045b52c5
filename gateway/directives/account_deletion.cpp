#include "directives/account_deletion.h"

#include <algorithm>
#include <string>

namespace lmsgw::directives {
namespace {

bool valid_reason(std::string_view reason) {
  return !reason.empty() && reason.size() <= kMaxDeletionReasonBytes &&
         std::all_of(reason.begin(), reason.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
         });
}

// The kinds an account deletion removes, in the order reported.
std::vector<std::pair<std::string, std::int64_t>> account_counts(
    const store::DisposalCounts& all) {
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const std::string_view kind : {"accounts", "identities", "sessions",
                                      "section_memberships"}) {
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const auto& count) { return count.first == kind; });
    out.emplace_back(std::string(kind), it != all.end() ? it->second : 0);
  }
  return out;
}

}  // namespace

AccountDeleter::AccountDeleter(store::DirectiveStore& store,
                               session::RevocationService& revocations, store::AuditLog& audit,
                               const sdk::Clock& clock)
    : store_(store), revocations_(revocations), audit_(audit), clock_(clock) {}

sdk::Result<AccountDeletion> AccountDeleter::delete_account(std::string_view account_id,
                                                            std::string_view actor,
                                                            std::string_view reason) {
  if (!valid_reason(reason)) {
    return sdk::Error{sdk::ErrorCode::invalid_request,
                      "account deletion: reason must be 1 to " +
                          std::to_string(kMaxDeletionReasonBytes) +
                          " characters of a-z, 0-9 and '_'"};
  }
  AccountDeletion result;
  result.counts = account_counts({});
  auto district = store_.account_district(account_id);
  if (!district) return district.error();
  if (!*district) return result;
  std::optional<std::string> audit_district;
  if (!(*district)->empty()) audit_district = **district;

  auto held = store_.account_held(account_id);
  if (!held) return held.error();
  if (!*held) {
    // Sessions end in memory before any row goes, so no request is served for an account that
    // is being deleted.
    if (auto revoked = revocations_.revoke_account(account_id, actor); !revoked) {
      return revoked.error();
    }
  }
  auto removal = store_.delete_account(account_id);
  if (!removal) return removal.error();
  const std::string object = std::string(account_id) + "; reason=" + std::string(reason);
  store::AuditEvent event{0, clock_.now(), audit_district, std::string(actor), "", object, {}};
  switch (removal->outcome) {
    case store::AccountRemoval::Outcome::not_found:
      return result;
    case store::AccountRemoval::Outcome::held:
      result.outcome = AccountDeletion::Outcome::held;
      event.action = "account.deletion_held";
      break;
    case store::AccountRemoval::Outcome::deleted:
      result.outcome = AccountDeletion::Outcome::deleted;
      result.counts = account_counts(removal->counts);
      event.action = "account.deleted";
      // A session signed in between the revocation and the delete: end it too.
      if (result.counts[2].second > 0) {
        if (auto revoked = revocations_.revoke_account(account_id, actor); !revoked) {
          return revoked.error();
        }
      }
      event.counts = result.counts;
      break;
  }
  if (auto appended = audit_.append(event); !appended) return appended.error();
  return result;
}

}  // namespace lmsgw::directives
