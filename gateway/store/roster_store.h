// RosterStore: where roster sync keeps what it learns (sections, enrollments, the roster
// fields of accounts) and the record of every run. The sync engine resolves and minimizes;
// the store only writes minimal accounts, keyed hashes and internal keys.
//
// A batch is written through one RosterBatch: every change of the batch, the run's counters,
// its rejections and the connection's new cursor commit together or not at all.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/crypto.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/identity.h"
#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/roster.h"
#include "store/account_store.h"

namespace lmsgw::store {

enum class SyncTrigger : std::uint8_t { manual, schedule };
enum class SyncMode : std::uint8_t { snapshot, delta };
enum class SyncOutcome : std::uint8_t { running, succeeded, failed };

std::string_view to_string(SyncTrigger trigger) noexcept;
std::string_view to_string(SyncMode mode) noexcept;
std::string_view to_string(SyncOutcome outcome) noexcept;

// What applying one record did. `restored`: it had left the roster and is back.
enum class RecordOutcome : std::uint8_t {
  created,
  updated,
  unchanged,
  restored,
  removed,
  rejected,
  discarded
};
std::string_view to_string(RecordOutcome outcome) noexcept;

// Counts of a run by (kind, outcome). Kinds: "users", "sections", "enrollments", "districts",
// "records" (rejections a plugin reported without a file), or a file a plugin named
// ("demographics.csv" discarded, "users.csv" rejected).
using RunCounts = std::map<std::pair<std::string, std::string>, std::uint64_t>;

struct SyncRunRecord {
  std::int64_t id = 0;
  std::string connection_id;
  std::vector<std::string> districts;
  SyncTrigger trigger = SyncTrigger::manual;
  std::optional<SyncMode> mode;  // known once the first batch arrived
  bool full = false;
  std::optional<std::int64_t> resumes_run;  // the failed run whose read this one continued
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;
  SyncOutcome outcome = SyncOutcome::running;
  std::int64_t batches = 0;
  RunCounts counts;
  std::vector<sdk::RejectedRecord> rejections;  // the stored ones (at most kMaxStoredRejections)
  std::string error;                            // never a value from a roster record
};

// Where a connection's reading stands when a run starts.
struct SyncState {
  std::int64_t connection_key = 0;
  std::string cursor;
  // A read that did not finish: the next run resumes it from `cursor`.
  std::optional<SyncMode> open_mode;
  std::optional<std::int64_t> open_since_run;
  // Districts this connection no longer reads, and districts revoked by any source.
  std::set<std::string, std::less<>> stopped_districts;
};

struct StartedRun {
  SyncRunRecord run;
  SyncState state;
};

// A run's fixed parameters, for every write of it.
struct RunScope {
  std::int64_t run_id = 0;
  std::string connection_id;
  std::int64_t connection_key = 0;
  // The first run of the read under way: a record is "seen by this read" when its marker is at
  // least this run.
  std::int64_t read_since_run = 0;
  sdk::CivilDate today;  // the roster dates written
  TimePoint now{};
};

struct UserWrite {
  std::int64_t account_key = 0;
  RecordOutcome outcome = RecordOutcome::unchanged;
};

struct SectionWrite {
  std::int64_t section_key = 0;
  RecordOutcome outcome = RecordOutcome::unchanged;
};

// What committing a batch records besides its changes.
struct BatchCommit {
  std::string next_cursor;
  SyncMode mode = SyncMode::delta;
  bool finished = false;
  RunCounts counts;  // this batch's, added to the run's
  std::vector<sdk::RejectedRecord> rejections;
};

// A removal, with the enrollments it took along.
struct RemoveWrite {
  RecordOutcome outcome = RecordOutcome::unchanged;
  std::uint64_t enrollments_removed = 0;
};

// Counts of what the snapshot sweep took off the roster.
struct SweepResult {
  std::uint64_t users = 0;
  std::uint64_t sections = 0;
  std::uint64_t enrollments = 0;
};

// One transaction, holding one or more consecutive whole batches of a run: each batch's
// changes, then record() with its counts and cursor; commit() makes them durable together.
// Destroying it without commit() rolls everything back. Removing a user or revoking a district
// also records the revocation (and deletes the sessions it covers) in this transaction: once
// committed, RevocationService::catch_up() applies it.
class RosterBatch {
 public:
  virtual ~RosterBatch() = default;

  // The account linked to `subject_hash`, if any.
  virtual sdk::Result<std::optional<std::int64_t>> find_account(
      const crypto::Digest& subject_hash) = 0;
  // Creates the account and its identity, or refreshes its minimal fields; marks it seen on
  // this connection's roster (restoring it if it had left). Never sets the last sign-in.
  virtual sdk::Result<UserWrite> upsert_user(const identity::Minimized& user) = 0;
  // Marks the account off this connection's roster today, deletes its enrollments and ends
  // its sessions. `removed` only when it was on the roster; otherwise `unchanged`.
  virtual sdk::Result<RemoveWrite> remove_user(std::int64_t account_key) = 0;

  virtual sdk::Result<std::optional<std::int64_t>> find_section(
      const crypto::Digest& provider_hash) = 0;
  virtual sdk::Result<SectionWrite> upsert_section(const crypto::Digest& provider_hash,
                                                   std::string_view district_id) = 0;
  // Archives the section (left roster today) and deletes its enrollments.
  virtual sdk::Result<RemoveWrite> remove_section(std::int64_t section_key) = 0;

  virtual sdk::Result<RecordOutcome> upsert_enrollment(std::int64_t section_key,
                                                       std::int64_t account_key,
                                                       sdk::Role role) = 0;
  virtual sdk::Result<RecordOutcome> remove_enrollment(std::int64_t section_key,
                                                       std::int64_t account_key) = 0;

  // Records that this connection stops reading the district and revokes the district.
  virtual sdk::Result<void> revoke_district(std::string_view district_id) = 0;

  // At the end of a snapshot read: everything of this connection that the read did not
  // mention leaves the roster (users' sessions end), except in districts the connection
  // stopped reading or that were revoked.
  virtual sdk::Result<SweepResult> sweep() = 0;

  // Ends a batch: adds its counts and rejections to the run and moves the
  // connection's cursor; a finished batch also ends the run (succeeded) and the read.
  virtual sdk::Result<void> record(const BatchCommit& batch) = 0;
  virtual sdk::Result<void> commit() = 0;
};

class RosterStore {
 public:
  static constexpr std::size_t kMaxCursorBytes = 4096;
  static constexpr std::size_t kMaxStoredRejections = 1000;
  static constexpr std::size_t kMaxErrorBytes = 512;

  virtual ~RosterStore() = default;

  // Registers the connection (and the run's districts) if new and records a new run. The
  // caller holds the connection's run lock, so a run still marked `running` belongs to a
  // process that died: it is marked failed first (its read resumes like any failed one).
  virtual sdk::Result<StartedRun> start_run(std::string_view connection_id,
                                            const std::vector<std::string>& districts,
                                            SyncTrigger trigger, bool full, TimePoint now) = 0;

  // Opens the transaction of the next batch of `scope`'s run.
  virtual sdk::Result<std::unique_ptr<RosterBatch>> begin_batch(const RunScope& scope) = 0;

  // Ends a run that stopped part-way; the connection keeps the cursor of its last applied
  // batch. `error` is cut to kMaxErrorBytes.
  virtual sdk::Result<void> fail_run(std::int64_t run_id, std::string_view error,
                                     TimePoint now) = 0;

  virtual sdk::Result<std::optional<SyncRunRecord>> find_run(std::int64_t run_id) = 0;
  // Newest first; only runs whose districts include `district` when given.
  virtual sdk::Result<std::vector<SyncRunRecord>> recent_runs(std::optional<std::string> district,
                                                              std::size_t limit) = 0;
  // When the connection's newest run started, if it ever ran (the scheduler's clock).
  virtual sdk::Result<std::optional<TimePoint>> last_run_started(
      std::string_view connection_id) = 0;
};

struct SqliteRosterOptions {
  std::string path;
  // Page cache of this connection; a bulk import touches every page of the large indexes.
  std::int64_t cache_mebibytes = 64;
  int busy_timeout_ms = 10'000;
  // Write-ahead log size after which a commit checkpoints.
  std::int64_t checkpoint_mebibytes = 64;
};

// Its own connection to the database open_sqlite_store() migrated (refused otherwise), so a
// long batch never holds the sign-in path's connection.
sdk::Result<std::unique_ptr<RosterStore>> open_sqlite_roster_store(
    const SqliteRosterOptions& options);

}  // namespace lmsgw::store
