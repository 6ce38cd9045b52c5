// AccountStore: where minimal accounts, identity links and sessions live. Callers see only
// this interface, so the PostgreSQL backend can replace SQLite without changing them.
// Nothing stored here is ever more than the minimal account (PRIVACY.md A): the store's
// input types carry nothing else.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/crypto.h"
#include "identity/minimal_account.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::store {

using TimePoint = std::chrono::system_clock::time_point;

struct StoredAccount {
  std::string id;  // opaque, random, minted by the store
  identity::MinimalAccount account;
  TimePoint created_at{};
  // Absent for an account a roster created that has never signed in.
  std::optional<TimePoint> last_sign_in_at;

  friend bool operator==(const StoredAccount&, const StoredAccount&) = default;
};

// A session is stored by the SHA-256 of its id: the database never holds a usable cookie.
struct SessionRecord {
  crypto::Digest id_hash{};
  std::string account_id;
  TimePoint created_at{};
  TimePoint expires_at{};

  friend bool operator==(const SessionRecord&, const SessionRecord&) = default;
};

struct LiveSession {
  SessionRecord session;
  StoredAccount account;
};

// An identity's link to its account (found by the identity's keyed subject hash).
struct IdentityLink {
  std::string account_id;
  std::string connection_id;
  // Its provider disabled it (a provider signal): sign-in through it is refused.
  bool disabled = false;

  friend bool operator==(const IdentityLink&, const IdentityLink&) = default;
};

enum class RevocationScope : std::uint8_t { account = 1, district = 2 };

// Every session and token of the account or district issued at or before `revoked_through`
// is refused. `id` orders records, so processes can catch up on what others recorded.
struct RevocationRecord {
  std::int64_t id = 0;
  RevocationScope scope = RevocationScope::account;
  std::string subject_id;
  TimePoint revoked_through{};

  friend bool operator==(const RevocationRecord&, const RevocationRecord&) = default;
};

// PRIVACY.md C.1: a district whose access was withdrawn gets no new sign-in and no roster sync
// until it is reinstated.
struct DistrictWithdrawal {
  TimePoint revoked_at{};
  // Who withdrew it (an audit actor, e.g. "lmsgwctl", "sync:clever-sync").
  std::string revoked_by;

  friend bool operator==(const DistrictWithdrawal&, const DistrictWithdrawal&) = default;
};

// Implementations are safe to call from several threads. Times are kept to the whole second;
// what a write returns equals what a later read returns.
class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // In one transaction: finds the account linked to `minimized.key`, refreshes its minimal
  // fields and last sign-in time, or creates the account and the link. Fails with
  // not_permitted, changing nothing, when the link is disabled (set_identity_disabled).
  virtual sdk::Result<StoredAccount> upsert_from_sign_in(const identity::Minimized& minimized,
                                                         std::string_view connection_id,
                                                         TimePoint now) = 0;

  // Records a district the configuration names (idempotent).
  virtual sdk::Result<void> ensure_district(std::string_view district_id, TimePoint now) = 0;

  virtual sdk::Result<std::optional<StoredAccount>> find_account(std::string_view account_id) = 0;

  // Provider signals (gateway/signals) act on one identity, found by its keyed subject hash.
  virtual sdk::Result<std::optional<IdentityLink>> find_identity(
      const crypto::Digest& subject_hash) = 0;
  // Removes the link (the account stays); true when there was one.
  virtual sdk::Result<bool> unlink_identity(const crypto::Digest& subject_hash) = 0;
  // Refuses sign-in through the identity (`disabled`) or allows it again; true when it exists.
  virtual sdk::Result<bool> set_identity_disabled(const crypto::Digest& subject_hash, bool disabled,
                                                  TimePoint now) = 0;

  virtual sdk::Result<void> insert_session(const SessionRecord& session) = 0;
  // True when a session was deleted.
  virtual sdk::Result<bool> delete_session(const crypto::Digest& id_hash) = 0;
  // Sessions not expired at `now`, with their accounts: what the in-memory cache loads.
  virtual sdk::Result<std::vector<LiveSession>> live_sessions(TimePoint now) = 0;
  virtual sdk::Result<std::size_t> delete_expired_sessions(TimePoint now) = 0;

  // In one transaction: records the revocation and deletes every session it covers.
  virtual sdk::Result<RevocationRecord> record_revocation(RevocationScope scope,
                                                          std::string_view subject_id,
                                                          TimePoint revoked_through) = 0;
  // In one transaction: marks the district's access withdrawn (keeping the first withdrawal
  // when it already is), records a district revocation through `revoked_through` and deletes
  // every session it covers. invalid_request for a district the store does not know.
  virtual sdk::Result<RevocationRecord> withdraw_district(std::string_view district_id,
                                                          TimePoint revoked_through,
                                                          std::string_view actor) = 0;
  // Gives the district access again; false when it was not withdrawn.
  virtual sdk::Result<bool> reinstate_district(std::string_view district_id) = 0;
  virtual sdk::Result<std::optional<DistrictWithdrawal>> district_withdrawal(
      std::string_view district_id) = 0;
  // Revocations recorded after `after_id`, oldest first, at most `limit`.
  virtual sdk::Result<std::vector<RevocationRecord>> revocations_after(std::int64_t after_id,
                                                                       std::size_t limit) = 0;

  virtual sdk::Result<int> schema_version() = 0;

  // Moves everything written so far into the database proper and empties the write-ahead
  // log, so that values since replaced or deleted no longer linger in it.
  virtual sdk::Result<void> checkpoint() = 0;
};

}  // namespace lmsgw::store
