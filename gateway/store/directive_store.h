// DirectiveStore: what the district directives module keeps (gateway/directives): every version
// of each district's retention directive, legal holds, disposal jobs with their persisted
// progress, and disposal certificates. It also performs the real deletes: one account at a
// time (AccountDeleter) or a disposal job in bounded batches, each batch one transaction that
// also advances the job, so a process killed mid-job resumes where the last batch committed.
//
// Categories (what rows a disposal removes, docs/directives.md):
//   accounts             whole accounts: the account row, its identity links, its sessions and
//                        its section memberships
//   section_memberships  enrollments of the district's accounts
//   sections             the district's sections, with their enrollments
//   email_hashes         the keyed email hash kept on the district's accounts (set to NULL)
// An account under legal hold is never touched by any of them: not its row, not its links,
// sessions, memberships or email hash, and no section it is enrolled in.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "store/account_store.h"

namespace lmsgw::store {

enum class DisposalCategory : std::uint8_t { accounts, section_memberships, sections, email_hashes };

std::string_view to_string(DisposalCategory category) noexcept;
std::optional<DisposalCategory> disposal_category_from_string(std::string_view name) noexcept;

// Rows removed, by kind, in a fixed order: accounts, identities, sessions, section_memberships,
// sections, email_hashes. Kinds with nothing removed are still listed (as 0).
using DisposalCounts = std::vector<std::pair<std::string, std::int64_t>>;
DisposalCounts empty_disposal_counts();
void add_disposal_counts(DisposalCounts& into, const DisposalCounts& more);

struct DirectiveVersion {
  std::string district_id;
  std::int64_t version = 0;  // 1, 2, ...: a change writes the next one
  std::string document;      // the validated directive, as canonical JSON
  TimePoint set_at{};
  std::string set_by;  // an audit actor
};

struct LegalHold {
  std::int64_t id = 0;
  std::string account_id;
  std::string district_id;
  std::string reason;  // the district's own words; shown to its admins, never audited or logged
  TimePoint placed_at{};
  std::string placed_by;
  std::optional<TimePoint> released_at;
  std::optional<std::string> released_by;
};

inline constexpr std::size_t kMaxHoldReasonBytes = 500;

struct AccountRemoval {
  enum class Outcome : std::uint8_t { deleted, held, not_found } outcome = Outcome::not_found;
  std::optional<std::string> district_id;
  DisposalCounts counts;
};

// Which rule of a directive started a disposal.
enum class DisposalRule : std::uint8_t {
  after_leaving_roster,
  inactive,
  delete_all_by,
  after_revocation,
  partial
};
std::string_view to_string(DisposalRule rule) noexcept;
std::optional<DisposalRule> disposal_rule_from_string(std::string_view name) noexcept;

// What a job disposes of, fixed when it starts: a job killed mid-way resumes under the same
// scope even if the directive changed meanwhile.
struct DisposalScope {
  // Empty: the platform scope, the accounts of no district (stored as NULL). Only the rule
  // `inactive` of category `accounts`, with no directive version, applies to it.
  std::string district_id;
  DisposalRule rule = DisposalRule::delete_all_by;
  std::vector<DisposalCategory> categories;  // processed in this order
  std::optional<std::int64_t> directive_version;  // nullopt: the configured defaults
  std::optional<std::int64_t> partial_entry;      // the index in the directive's `partial` list
  // after_leaving_roster: accounts that left the roster on or before this date.
  std::optional<sdk::CivilDate> left_on_or_before;
  // inactive: accounts whose last sign-in (or creation, if none) is at or before this time.
  std::optional<TimePoint> inactive_since;
};

struct DisposalJob {
  std::int64_t id = 0;
  DisposalScope scope;
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  std::int64_t batches = 0;
  DisposalCounts counts;  // so far
  // Accounts the scope covers that a legal hold kept, counted when the job completed.
  std::int64_t held_accounts = 0;
  std::optional<std::string> certificate_id;
};

struct IssuedCertificate {
  std::string id;
  std::string jws;  // compact JWS of the certificate document
  TimePoint issued_at{};
};

struct StoredCertificate {
  std::string id;
  std::int64_t job_id = 0;
  std::string district_id;  // empty: the platform scope
  TimePoint issued_at{};
  std::string jws;
};

struct DisposalBatch {
  DisposalJob job;  // after this batch
  DisposalCounts counts;  // this batch
  bool finished = false;
  // Accounts whose session rows this batch deleted (their sessions must end in memory too).
  std::vector<std::string> sessions_deleted_of;
};

// Called inside the transaction of a job's last batch with the job as it completes (finished_at
// and held_accounts set, certificate_id not yet); its certificate commits with that batch, so
// exactly one certificate exists for a completed job, whatever crashes.
using Certify = std::function<sdk::Result<IssuedCertificate>(const DisposalJob& completed)>;

// Limits of list reads.
inline constexpr std::size_t kMaxListRows = 1000;

// Implementations are safe to call from several threads.
class DirectiveStore {
 public:
  virtual ~DirectiveStore() = default;

  // Every district the store knows.
  virtual sdk::Result<std::vector<std::string>> districts() = 0;
  virtual sdk::Result<bool> district_exists(std::string_view district_id) = 0;

  // Writes version (latest + 1) of the district's directive.
  virtual sdk::Result<DirectiveVersion> add_directive_version(std::string_view district_id,
                                                              std::string_view document,
                                                              TimePoint now,
                                                              std::string_view actor) = 0;
  virtual sdk::Result<std::optional<DirectiveVersion>> current_directive(
      std::string_view district_id) = 0;
  // Newest first, at most `limit` (capped at kMaxListRows).
  virtual sdk::Result<std::vector<DirectiveVersion>> directive_history(
      std::string_view district_id, std::size_t limit) = 0;

  // The district of an existing account (nullopt when there is no such account; an account of
  // no district has an empty district id).
  virtual sdk::Result<std::optional<std::string>> account_district(
      std::string_view account_id) = 0;
  // invalid_request: no such account, or it is already held; limit_exceeded: reason too long.
  virtual sdk::Result<LegalHold> place_hold(std::string_view account_id, std::string_view reason,
                                            TimePoint now, std::string_view actor) = 0;
  // nullopt when the account had no hold in force in that district.
  virtual sdk::Result<std::optional<LegalHold>> release_hold(std::string_view district_id,
                                                             std::string_view account_id,
                                                             TimePoint now,
                                                             std::string_view actor) = 0;
  // Whether a hold on the account is in force.
  virtual sdk::Result<bool> account_held(std::string_view account_id) = 0;
  // The district's holds, newest first; released ones only when asked.
  virtual sdk::Result<std::vector<LegalHold>> holds(std::string_view district_id,
                                                    bool include_released, std::size_t limit) = 0;

  // In one transaction: unless a legal hold covers it, deletes the account row, its identity
  // links, sessions and section memberships.
  virtual sdk::Result<AccountRemoval> delete_account(std::string_view account_id) = 0;
  // The account's session rows exist (it may hold live sessions in some process's memory).
  virtual sdk::Result<bool> account_has_sessions(std::string_view account_id) = 0;

  // Whether the scope covers anything that is not held.
  virtual sdk::Result<bool> disposal_due(const DisposalScope& scope) = 0;
  // Accounts with session rows among the next `limit` accounts the scope would delete.
  virtual sdk::Result<std::vector<std::string>> next_accounts_with_sessions(
      const DisposalScope& scope, std::size_t limit) = 0;
  // Whether a job of this directive version and partial entry has completed.
  virtual sdk::Result<bool> partial_entry_completed(std::string_view district_id,
                                                    std::int64_t directive_version,
                                                    std::int64_t entry) = 0;
  // Records a new running job; nullopt when a job of the same district, rule and partial entry
  // is already running (another process started it: it is resumed, not doubled).
  virtual sdk::Result<std::optional<DisposalJob>> start_job(const DisposalScope& scope,
                                                            TimePoint now) = 0;
  // Jobs not completed, oldest first (of one district, or of every district and the platform
  // scope when empty).
  virtual sdk::Result<std::vector<DisposalJob>> unfinished_jobs(std::string_view district_id) = 0;
  // In one transaction: deletes up to `batch_size` units (accounts, sections, memberships or
  // email hashes, in the scope's category order) and adds them to the job's progress; when the
  // scope holds nothing more, completes the job with the certificate `certify` issues.
  virtual sdk::Result<DisposalBatch> dispose_batch(std::int64_t job_id, std::size_t batch_size,
                                                   TimePoint now, const Certify& certify) = 0;
  virtual sdk::Result<std::optional<DisposalJob>> job(std::int64_t job_id) = 0;
  // The district's jobs (the platform scope's when empty), newest first.
  virtual sdk::Result<std::vector<DisposalJob>> jobs(std::string_view district_id,
                                                     std::size_t limit) = 0;
  // Completed jobs whose "disposal.completed" audit event was not yet appended (the audit log
  // has its own connection, so the event follows the commit).
  virtual sdk::Result<std::vector<DisposalJob>> unaudited_jobs() = 0;
  virtual sdk::Result<void> mark_audited(std::int64_t job_id) = 0;

  virtual sdk::Result<std::optional<StoredCertificate>> certificate(
      std::string_view certificate_id) = 0;

  // Empties the write-ahead log so deleted rows do not linger in it.
  virtual sdk::Result<void> checkpoint() = 0;
};

// Its own connection to the database open_sqlite_store() migrated.
sdk::Result<std::unique_ptr<DirectiveStore>> open_sqlite_directive_store(const std::string& path);

}  // namespace lmsgw::store
