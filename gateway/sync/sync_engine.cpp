#include "sync/sync_engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <variant>
#include <vector>

#include "common/crypto.h"
#include "common/time.h"
#include "sync/read_ahead.h"
#include "sync/run_lock.h"
#include "sync/subject_table.h"

namespace lmsgw::sync {
namespace {

using store::RecordOutcome;
using store::RunCounts;

// What a resolved id is when its record was discarded by policy.
constexpr std::int64_t kDiscarded = -1;
// When consecutive batches stop sharing a transaction (see commit_group()). On a fast machine
// the time bound is the one reached: at 50,000 changes a 1M-user import committed twice as
// often and spent a tenth more CPU rewriting the random-keyed indexes' pages.
constexpr std::size_t kGroupChanges = 200'000;
constexpr auto kGroupTime = std::chrono::seconds(1);
// Batches the plugin may read ahead of the one being written: enough to keep reading through a
// group's commit.
constexpr std::size_t kReadAheadBatches = 2;
// Distinct file names a run counts on their own; any further ones count as "other files".
constexpr std::size_t kMaxFileKinds = 64;
constexpr std::size_t kMaxFileKindBytes = 64;
constexpr std::array<std::string_view, 4> kRecordKinds = {"users", "sections", "enrollments",
                                                          "districts"};
// RecordOutcome's values are 0..6.
constexpr std::size_t kOutcomes = static_cast<std::size_t>(RecordOutcome::discarded) + 1;

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};

// What the reading thread works out for a change before the writing thread applies it: the
// ids' fingerprints, a section's keyed hash and a user's minimized account. Writing is the
// slower half of a run, so whatever does not need the database is done beside the read.
struct PreparedChange {
  SubjectTable::Fingerprint user;     // user upserts and enrollments
  SubjectTable::Fingerprint section;  // section upserts and enrollments
  crypto::Digest section_hash{};      // section upserts
  // User upserts of a district the connection maps (whether or not its sync stopped since);
  // apart, as most changes are enrollments and a batch's changes are held twice over.
  std::unique_ptr<const sdk::Result<identity::Minimized>> minimized;
};

// An enrollment resolved and waiting to be written with the rest of its group, in key order.
struct PendingEnrollment {
  std::int64_t section_key;
  std::int64_t account_key;
  sdk::Role role;
  std::uint32_t arrival;  // repeats of one enrollment keep their order
};

struct PreparedBatch {
  sdk::SyncBatch batch;
  std::vector<PreparedChange> changes;  // one per batch.changes entry
};

// Sections hash under their own namespace, apart from people.
std::string section_namespace(std::string_view identity_namespace) {
  return std::string(identity_namespace) + "/sections";
}

// A plugin-named file ("users.csv", from "users.csv:42") as a count kind, or "records".
std::string file_kind(std::string_view location) {
  const std::string_view file = location.substr(0, location.find(':'));
  if (file.empty() || file.size() > kMaxFileKindBytes) return "records";
  for (const char c : file) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
    if (!ok) return "records";
  }
  return std::string(file);
}

std::string_view kind_of(sdk::RosterRecordKind kind) {
  switch (kind) {
    case sdk::RosterRecordKind::user:
      return "users";
    case sdk::RosterRecordKind::section:
      return "sections";
    case sdk::RosterRecordKind::enrollment:
      return "enrollments";
  }
  return "records";
}

// One run: its scope, its caches and its counters.
class RunDriver {
 public:
  RunDriver(SyncEngineDependencies& deps, const config::SyncConnectionConfig& connection,
            sdk::SyncPlugin& plugin, const RunRequest& request, store::StartedRun started)
      : deps_(deps),
        connection_(connection),
        plugin_(plugin),
        request_(request),
        run_(std::move(started.run)),
        state_(std::move(started.state)),
        users_(SyncEngine::kMaxRememberedUsers),
        sections_(SyncEngine::kMaxRememberedSections),
        sections_ns_(section_namespace(connection.identity_namespace)) {
    resuming_ = state_.open_mode.has_value() && !request.full;
    scope_.run_id = run_.id;
    scope_.connection_id = connection.id;
    scope_.connection_key = state_.connection_key;
    scope_.read_since_run = resuming_ ? *state_.open_since_run : run_.id;
    if (resuming_) mode_ = state_.open_mode;
  }

  sdk::Result<store::SyncRunRecord> execute() {
    std::string cursor = state_.cursor;
    // The plugin reads ahead while batches are written: a core each.
    ReadAhead<PreparedBatch> reader(
        [this](const sdk::SyncRequest& request) -> sdk::Result<PreparedBatch> {
          auto batch = plugin_.next_batch(request);
          if (!batch) return batch.error();
          return prepare(std::move(*batch));
        },
        [](const PreparedBatch& prepared) -> std::optional<sdk::SyncRequest> {
          if (prepared.batch.finished) return std::nullopt;
          return sdk::SyncRequest{prepared.batch.next_cursor, false};
        },
        {cursor, request_.full}, kReadAheadBatches);
    for (std::int64_t batch_number = 1;; ++batch_number) {
      sdk::Result<PreparedBatch> prepared = reader.next();
      if (!prepared) {
        return fail_after(reader, "plugin: " + std::string(sdk::to_string(prepared.error().code)) +
                                      ": " + prepared.error().detail);
      }
      const sdk::SyncBatch& batch = prepared->batch;
      if (auto refused = check(batch, cursor)) return fail_after(reader, *refused);
      if (request_.stop != nullptr && request_.stop->load()) {
        return fail_after(reader,
                          "interrupted at a batch boundary (shutdown); the next run resumes");
      }
      if (auto applied = apply(*prepared, batch_number); !applied) {
        return fail_after(reader, "store: " + applied.error().detail);
      }
      if (batch.finished) break;
      cursor = batch.next_cursor;
      reader.recycle(std::move(*prepared));
    }
    return finish(store::SyncOutcome::succeeded);
  }

 private:
  // Runs on the reading thread: it reads only what no thread changes during a run (the
  // connection's configuration, the minimizer, the tables' fingerprint keys).
  PreparedBatch prepare(sdk::SyncBatch batch) const {
    PreparedBatch out;
    out.changes.resize(batch.changes.size());
    const sdk::CivilDate today = time::earliest_civil_date(deps_.clock.now());
    for (std::size_t i = 0; i < batch.changes.size(); ++i) {
      PreparedChange& prepared = out.changes[i];
      std::visit(
          Overloaded{[&](const sdk::RosterUserUpsert& c) {
                       prepared.user = users_.fingerprint(c.identity.subject);
                       const std::optional<std::string> district =
                           mapped_district(c.identity.provider_district);
                       if (!district) return;
                       identity::NamePolicy names;
                       if (auto configured = deps_.districts.find(*district);
                           configured != deps_.districts.end()) {
                         names = configured->second.names;
                       }
                       prepared.minimized = std::make_unique<sdk::Result<identity::Minimized>>(
                           deps_.minimizer.minimize(c.identity, connection_.identity_namespace,
                                                    *district, names, today));
                     },
                     [&](const sdk::RosterSectionUpsert& c) {
                       prepared.section = sections_.fingerprint(c.provider_id);
                       prepared.section_hash =
                           deps_.minimizer.identity_key(sections_ns_, c.provider_id).subject_hash;
                     },
                     [&](const sdk::RosterEnrollmentUpsert& c) {
                       prepared.section = sections_.fingerprint(c.section_provider_id);
                       prepared.user = users_.fingerprint(c.user_subject);
                     },
                     [](const sdk::RosterRemoval&) {}, [](const sdk::RosterDistrictRevoked&) {}},
          batch.changes[i]);
    }
    out.batch = std::move(batch);
    return out;
  }

  // The plugin is called by one thread at a time: a read under way finishes before the run ends.
  // Also commits the batches applied whole so far: a run keeps every batch it applied.
  sdk::Result<store::SyncRunRecord> fail_after(ReadAhead<PreparedBatch>& reader,
                                               std::string reason) {
    reader.stop();
    if (auto committed = commit_group(); !committed) {
      reason += "; committing the batches before it failed too: " + committed.error().detail;
    }
    return fail(reason);
  }

  // Consecutive batches share a transaction until it holds kGroupChanges changes or has been
  // open kGroupTime: a commit writes every page the batches touched, and the large indexes'
  // pages are touched by every batch. Sign-ins wait at most that long for the write lock.
  // The group's enrollments are written first, then each batch's record (its cursor and
  // counts, the enrollments counted with the last batch), in one transaction.
  sdk::Result<void> commit_group() {
    if (!group_) return {};
    if (auto written = write_group(*group_); !written) {
      abandon_group();
      return written.error();
    }
    auto committed = group_->commit();
    group_.reset();
    if (!committed) {
      abandon_group();
      return committed.error();
    }
    deps_.metrics.add(group_counts_);
    group_counts_.clear();
    if (group_revoked_) {
      group_revoked_ = false;
      // Recorded with the batches; this makes it take effect in this process now.
      if (auto applied = deps_.revocations.catch_up(); !applied) {
        spdlog::warn("sync: applying revocations failed (the housekeeping probe retries): {}",
                     deps_.redact(applied.error().detail));
      }
    }
    return {};
  }

  sdk::Result<void> write_group(store::RosterBatch& tx) {
    counts_.clear();
    record_counts_ = {};
    if (auto flushed = flush_enrollments(tx); !flushed) return flushed.error();
    if (group_commits_.empty()) return {};
    for (const auto& [key, n] : batch_counts()) group_commits_.back().counts[key] += n;
    for (const store::BatchCommit& commit : group_commits_) {
      if (auto recorded = tx.record(commit); !recorded) return recorded.error();
      for (const auto& [key, n] : commit.counts) group_counts_[key] += n;
    }
    group_commits_.clear();
    return {};
  }

  // A write failed part-way: the whole open group goes (the next run reads it again from the
  // last committed cursor), so nothing of the failing batch stays.
  void abandon_group() {
    group_.reset();
    group_commits_.clear();
    pending_enrollments_.clear();
    group_counts_.clear();
    group_revoked_ = false;
  }

  // Why the batch cannot be applied, if it cannot.
  std::optional<std::string> check(const sdk::SyncBatch& batch, const std::string& cursor) {
    if (batch.changes.size() + batch.rejected.size() > SyncEngine::kMaxChangesPerBatch) {
      return "the plugin sent a batch of more than " +
             std::to_string(SyncEngine::kMaxChangesPerBatch) + " records";
    }
    if (batch.next_cursor.size() > store::RosterStore::kMaxCursorBytes) {
      return "the plugin's cursor exceeds " + std::to_string(store::RosterStore::kMaxCursorBytes) +
             " bytes";
    }
    const store::SyncMode mode =
        batch.snapshot ? store::SyncMode::snapshot : store::SyncMode::delta;
    if (mode_ && *mode_ != mode) {
      return std::string("the plugin switched from ") + std::string(store::to_string(*mode_)) +
             " to " + std::string(store::to_string(mode)) + " in the middle of a read";
    }
    mode_ = mode;
    if (!batch.finished && batch.changes.empty() && batch.rejected.empty() &&
        batch.discarded.empty() && batch.next_cursor == cursor) {
      return "the plugin made no progress (an empty batch that does not move the cursor)";
    }
    return std::nullopt;
  }

  // The district a record goes to by the connection's configuration alone.
  std::optional<std::string> mapped_district(
      const std::optional<std::string>& provider_district) const {
    if (connection_.district) return connection_.district;
    if (provider_district) {
      auto mapped = connection_.provider_districts.find(*provider_district);
      if (mapped != connection_.provider_districts.end()) return mapped->second;
    }
    return std::nullopt;
  }

  // ... and nullopt when this run no longer writes to it.
  std::optional<std::string> district_for(const std::optional<std::string>& provider_district) {
    std::optional<std::string> district = mapped_district(provider_district);
    if (district && state_.stopped_districts.contains(*district)) return std::nullopt;
    return district;
  }

  // Millions of calls in a bulk read: the record kinds count in an array, files in a map.
  void count(std::string_view kind, RecordOutcome outcome, std::uint64_t n = 1) {
    if (n == 0) return;
    for (std::size_t k = 0; k < kRecordKinds.size(); ++k) {
      if (kRecordKinds[k] == kind) {
        record_counts_[k][static_cast<std::size_t>(outcome)] += n;
        return;
      }
    }
    counts_[{std::string(kind), std::string(store::to_string(outcome))}] += n;
  }

  // This batch's counts, all kinds.
  RunCounts batch_counts() const {
    RunCounts out = counts_;
    for (std::size_t k = 0; k < kRecordKinds.size(); ++k) {
      for (std::size_t o = 0; o < kOutcomes; ++o) {
        if (record_counts_[k][o] == 0) continue;
        out[{std::string(kRecordKinds[k]),
             std::string(store::to_string(static_cast<RecordOutcome>(o)))}] += record_counts_[k][o];
      }
    }
    return out;
  }

  void reject(std::int64_t batch_number, std::size_t index, std::string_view kind,
              std::string reason) {
    count(kind, RecordOutcome::rejected);
    rejections_.push_back(sdk::RejectedRecord{"batch " + std::to_string(batch_number) + " record " +
                                                  std::to_string(index + 1) + " (" +
                                                  std::string(kind) + ")",
                                              std::move(reason)});
  }

  // A plugin-named file as a count kind, bounded per run.
  std::string bounded_file_kind(std::string_view location) {
    std::string kind = file_kind(location);
    if (file_kinds_.contains(kind)) return kind;
    if (file_kinds_.size() >= kMaxFileKinds) return "other files";
    file_kinds_.insert(kind);
    return kind;
  }

  sdk::Result<std::optional<std::int64_t>> account_for(store::RosterBatch& tx,
                                                       std::string_view subject,
                                                       const SubjectTable::Fingerprint& print) {
    if (auto known = users_.find(print)) return std::optional<std::int64_t>(*known);
    auto found = tx.find_account(
        deps_.minimizer.identity_key(connection_.identity_namespace, subject).subject_hash);
    if (!found) return found.error();
    if (*found) users_.put(print, **found);
    return *found;
  }

  sdk::Result<std::optional<std::int64_t>> section_for(store::RosterBatch& tx,
                                                       std::string_view provider_id,
                                                       const SubjectTable::Fingerprint& print) {
    if (auto known = sections_.find(print)) return std::optional<std::int64_t>(*known);
    auto found =
        tx.find_section(deps_.minimizer.identity_key(sections_ns_, provider_id).subject_hash);
    if (!found) return found.error();
    if (*found) sections_.put(print, **found);
    return *found;
  }

  sdk::Result<void> apply_user(store::RosterBatch& tx, const sdk::RosterUserUpsert& upsert,
                               const PreparedChange& prepared, std::int64_t batch_number,
                               std::size_t index) {
    const sdk::ExternalIdentity& identity = upsert.identity;
    if (!district_for(identity.provider_district) || !prepared.minimized) {
      count("users", RecordOutcome::discarded);
      if (!identity.subject.empty()) users_.put(prepared.user, kDiscarded);
      return {};
    }
    const sdk::Result<identity::Minimized>& minimized = *prepared.minimized;
    if (!minimized) {
      // The minimizer's reasons name the rule, never a value.
      reject(batch_number, index, "users", minimized.error().detail);
      return {};
    }
    auto written = tx.upsert_user(*minimized);
    if (!written) return written.error();
    count("users", written->outcome);
    users_.put(prepared.user, written->account_key);
    return {};
  }

  sdk::Result<void> apply_section(store::RosterBatch& tx, const sdk::RosterSectionUpsert& upsert,
                                  const PreparedChange& prepared, std::int64_t batch_number,
                                  std::size_t index) {
    if (upsert.provider_id.empty()) {
      reject(batch_number, index, "sections", "section without an id");
      return {};
    }
    const std::optional<std::string> district = district_for(upsert.provider_district);
    if (!district) {
      count("sections", RecordOutcome::discarded);
      sections_.put(prepared.section, kDiscarded);
      return {};
    }
    auto written = tx.upsert_section(prepared.section_hash, *district);
    if (!written) return written.error();
    count("sections", written->outcome);
    sections_.put(prepared.section, written->section_key);
    return {};
  }

  // Resolves both ends of an enrollment; nullopt (after counting) when it cannot be applied.
  sdk::Result<std::optional<std::pair<std::int64_t, std::int64_t>>> enrollment_ends(
      store::RosterBatch& tx, std::string_view section_id,
      const SubjectTable::Fingerprint& section_print, std::string_view user_subject,
      const SubjectTable::Fingerprint& user_print, std::int64_t batch_number, std::size_t index) {
    using Ends = std::optional<std::pair<std::int64_t, std::int64_t>>;
    auto section = section_for(tx, section_id, section_print);
    if (!section) return section.error();
    auto account = account_for(tx, user_subject, user_print);
    if (!account) return account.error();
    if ((*section && **section == kDiscarded) || (*account && **account == kDiscarded)) {
      count("enrollments", RecordOutcome::discarded);
      return Ends{};
    }
    if (!*section) {
      reject(batch_number, index, "enrollments", "names a section that is not on the roster");
      return Ends{};
    }
    if (!*account) {
      reject(batch_number, index, "enrollments", "names a user who is not on the roster");
      return Ends{};
    }
    return Ends(std::pair{**section, **account});
  }

  sdk::Result<void> apply_enrollment(store::RosterBatch& tx,
                                     const sdk::RosterEnrollmentUpsert& upsert,
                                     const PreparedChange& prepared, std::int64_t batch_number,
                                     std::size_t index) {
    auto ends = enrollment_ends(tx, upsert.section_provider_id, prepared.section,
                                upsert.user_subject, prepared.user, batch_number, index);
    if (!ends) return ends.error();
    if (!*ends) return {};
    if (pending_enrollments_.capacity() == 0) pending_enrollments_.reserve(kGroupChanges);
    pending_enrollments_.push_back({(*ends)->first, (*ends)->second, upsert.role,
                                    static_cast<std::uint32_t>(pending_enrollments_.size())});
    return {};
  }

  // Writes the group's enrollments sorted by the table's key: in arrival order each one lands
  // on a random page of a table of millions of rows, sorted they walk its pages in order.
  // Runs before anything else touches enrollments (removals, revocations, the sweep) and
  // before the group commits, so the outcome is what applying them one by one would give.
  sdk::Result<void> flush_enrollments(store::RosterBatch& tx) {
    std::sort(pending_enrollments_.begin(), pending_enrollments_.end(),
              [](const PendingEnrollment& a, const PendingEnrollment& b) {
                return std::tie(a.section_key, a.account_key, a.arrival) <
                       std::tie(b.section_key, b.account_key, b.arrival);
              });
    for (const PendingEnrollment& pending : pending_enrollments_) {
      auto written = tx.upsert_enrollment(pending.section_key, pending.account_key, pending.role);
      if (!written) return written.error();
      count("enrollments", *written);
    }
    pending_enrollments_.clear();
    return {};
  }

  sdk::Result<void> apply_removal(store::RosterBatch& tx, const sdk::RosterRemoval& removal,
                                  std::int64_t batch_number, std::size_t index) {
    if (auto flushed = flush_enrollments(tx); !flushed) return flushed.error();
    const std::string_view kind = kind_of(removal.kind);
    switch (removal.kind) {
      case sdk::RosterRecordKind::user: {
        auto account =
            account_for(tx, removal.provider_id, users_.fingerprint(removal.provider_id));
        if (!account) return account.error();
        if (!*account || **account == kDiscarded) {
          count(kind, *account ? RecordOutcome::discarded : RecordOutcome::unchanged);
          return {};
        }
        auto removed = tx.remove_user(**account);
        if (!removed) return removed.error();
        count(kind, removed->outcome);
        count("enrollments", RecordOutcome::removed, removed->enrollments_removed);
        revoked_ = revoked_ || removed->outcome == RecordOutcome::removed;
        return {};
      }
      case sdk::RosterRecordKind::section: {
        auto section =
            section_for(tx, removal.provider_id, sections_.fingerprint(removal.provider_id));
        if (!section) return section.error();
        if (!*section || **section == kDiscarded) {
          count(kind, *section ? RecordOutcome::discarded : RecordOutcome::unchanged);
          return {};
        }
        auto removed = tx.remove_section(**section);
        if (!removed) return removed.error();
        count(kind, removed->outcome);
        count("enrollments", RecordOutcome::removed, removed->enrollments_removed);
        return {};
      }
      case sdk::RosterRecordKind::enrollment: {
        const std::size_t slash = removal.provider_id.find('/');
        if (slash == std::string::npos) {
          reject(batch_number, index, kind, "enrollment removal id is not <section>/<user>");
          return {};
        }
        const std::string_view section_id = std::string_view(removal.provider_id).substr(0, slash);
        const std::string_view user_subject =
            std::string_view(removal.provider_id).substr(slash + 1);
        auto ends = enrollment_ends(tx, section_id, sections_.fingerprint(section_id), user_subject,
                                    users_.fingerprint(user_subject), batch_number, index);
        if (!ends) return ends.error();
        if (!*ends) return {};
        auto removed = tx.remove_enrollment((*ends)->first, (*ends)->second);
        if (!removed) return removed.error();
        count(kind, *removed);
        return {};
      }
    }
    reject(batch_number, index, "records", "unknown removal kind");
    return {};
  }

  sdk::Result<void> apply_district_revoked(store::RosterBatch& tx,
                                           const sdk::RosterDistrictRevoked& revoked) {
    if (auto flushed = flush_enrollments(tx); !flushed) return flushed.error();
    std::optional<std::string> district;
    if (connection_.district) {
      district = connection_.district;
    } else if (auto mapped = connection_.provider_districts.find(revoked.provider_district);
               mapped != connection_.provider_districts.end()) {
      district = mapped->second;
    }
    if (!district) {
      count("districts", RecordOutcome::discarded);
      return {};
    }
    if (state_.stopped_districts.contains(*district)) {
      count("districts", RecordOutcome::unchanged);
      return {};
    }
    if (auto done = tx.revoke_district(*district); !done) return done.error();
    state_.stopped_districts.insert(*district);
    count("districts", RecordOutcome::removed);
    revoked_ = true;
    spdlog::warn("sync: connection {} revoked district {} through its roster source",
                 connection_.id, *district);
    return {};
  }

  sdk::Result<void> apply(const PreparedBatch& prepared, std::int64_t batch_number) {
    const sdk::SyncBatch& batch = prepared.batch;
    if (!group_) {
      const auto now = deps_.clock.now();
      scope_.now = now;
      scope_.today = time::civil_date_utc(now);
      auto opened = deps_.roster.begin_batch(scope_);
      if (!opened) return opened.error();
      group_ = std::move(*opened);
      group_started_ = std::chrono::steady_clock::now();
      group_changes_ = 0;
    }
    if (auto applied = apply_batch(*group_, prepared, batch_number); !applied) {
      abandon_group();
      return applied.error();
    }
    group_changes_ += batch.changes.size();
    if (batch.finished || group_changes_ >= kGroupChanges ||
        std::chrono::steady_clock::now() - group_started_ >= kGroupTime) {
      return commit_group();
    }
    return {};
  }

  sdk::Result<void> apply_batch(store::RosterBatch& tx, const PreparedBatch& prepared,
                                std::int64_t batch_number) {
    const sdk::SyncBatch& batch = prepared.batch;
    counts_.clear();
    record_counts_ = {};
    rejections_.clear();
    revoked_ = false;
    for (std::size_t i = 0; i < batch.changes.size(); ++i) {
      auto applied = std::visit(
          Overloaded{
              [&](const sdk::RosterUserUpsert& c) {
                return apply_user(tx, c, prepared.changes[i], batch_number, i);
              },
              [&](const sdk::RosterSectionUpsert& c) {
                return apply_section(tx, c, prepared.changes[i], batch_number, i);
              },
              [&](const sdk::RosterEnrollmentUpsert& c) {
                return apply_enrollment(tx, c, prepared.changes[i], batch_number, i);
              },
              [&](const sdk::RosterRemoval& c) { return apply_removal(tx, c, batch_number, i); },
              [&](const sdk::RosterDistrictRevoked& c) { return apply_district_revoked(tx, c); }},
          batch.changes[i]);
      if (!applied) return applied.error();
    }
    for (const sdk::RejectedRecord& rejected : batch.rejected) {
      count(bounded_file_kind(rejected.location), RecordOutcome::rejected);
      rejections_.push_back(rejected);
    }
    for (const auto& [file, n] : batch.discarded) {
      count(bounded_file_kind(file), RecordOutcome::discarded, n);
    }
    if (batch.finished && mode_ == store::SyncMode::snapshot) {
      if (auto flushed = flush_enrollments(tx); !flushed) return flushed.error();
      auto swept = tx.sweep();
      if (!swept) return swept.error();
      count("users", RecordOutcome::removed, swept->users);
      count("sections", RecordOutcome::removed, swept->sections);
      count("enrollments", RecordOutcome::removed, swept->enrollments);
      revoked_ = revoked_ || swept->users > 0;
    }
    store::BatchCommit commit;
    commit.next_cursor = batch.next_cursor;
    commit.mode = *mode_;
    commit.finished = batch.finished;
    commit.counts = batch_counts();
    commit.rejections = std::move(rejections_);
    group_commits_.push_back(std::move(commit));
    group_revoked_ = group_revoked_ || revoked_;
    return {};
  }

  sdk::Result<store::SyncRunRecord> fail(const std::string& reason) {
    const std::string error = deps_.redact(reason);
    if (auto recorded = deps_.roster.fail_run(run_.id, error, deps_.clock.now()); !recorded) {
      spdlog::error("sync: recording the failure of run {} failed: {}", run_.id,
                    deps_.redact(recorded.error().detail));
    }
    spdlog::warn("sync: run {} of connection {} failed: {}", run_.id, connection_.id, error);
    return finish(store::SyncOutcome::failed);
  }

  sdk::Result<store::SyncRunRecord> finish(store::SyncOutcome outcome) {
    deps_.metrics.record_run(outcome);
    auto record = deps_.roster.find_run(run_.id);
    if (!record) return record.error();
    if (!*record) return sdk::Error{sdk::ErrorCode::internal, "sync: the run record vanished"};
    if (outcome == store::SyncOutcome::succeeded) {
      spdlog::info("sync: run {} of connection {} succeeded ({} batch(es))", run_.id,
                   connection_.id, (*record)->batches);
    }
    return std::move(**record);
  }

  SyncEngineDependencies& deps_;
  const config::SyncConnectionConfig& connection_;
  sdk::SyncPlugin& plugin_;
  const RunRequest& request_;
  store::SyncRunRecord run_;
  store::SyncState state_;
  store::RunScope scope_;
  bool resuming_ = false;
  std::optional<store::SyncMode> mode_;
  SubjectTable users_;
  SubjectTable sections_;
  std::string sections_ns_;
  std::set<std::string, std::less<>> file_kinds_;
  RunCounts counts_;
  std::array<std::array<std::uint64_t, kOutcomes>, kRecordKinds.size()> record_counts_{};
  std::vector<sdk::RejectedRecord> rejections_;
  bool revoked_ = false;
  std::unique_ptr<store::RosterBatch> group_;
  std::vector<store::BatchCommit> group_commits_;
  std::vector<PendingEnrollment> pending_enrollments_;
  std::chrono::steady_clock::time_point group_started_{};
  std::size_t group_changes_ = 0;
  RunCounts group_counts_;
  bool group_revoked_ = false;
};

}  // namespace

std::vector<std::string> connection_districts(const config::SyncConnectionConfig& connection) {
  std::set<std::string> districts;
  if (connection.district) districts.insert(*connection.district);
  for (const auto& [provider, district] : connection.provider_districts) districts.insert(district);
  return {districts.begin(), districts.end()};
}

SyncEngine::SyncEngine(SyncEngineDependencies dependencies) : deps_(std::move(dependencies)) {
  if (!deps_.redact) deps_.redact = [](std::string_view text) { return std::string(text); };
}

sdk::Result<store::SyncRunRecord> SyncEngine::run(const config::SyncConnectionConfig& connection,
                                                  sdk::SyncPlugin& plugin,
                                                  const RunRequest& request) {
  auto lock = RunLock::acquire(deps_.database_path, connection.id);
  if (!lock) return lock.error();
  auto started = deps_.roster.start_run(connection.id, connection_districts(connection),
                                        request.trigger, request.full, deps_.clock.now());
  if (!started) return started.error();
  spdlog::info("sync: run {} of connection {} started ({}, {}{})", started->run.id, connection.id,
               store::to_string(request.trigger), request.full ? "full read" : "from cursor",
               started->run.resumes_run
                   ? ", resuming run " + std::to_string(*started->run.resumes_run)
                   : std::string());
  RunDriver driver(deps_, connection, plugin, request, std::move(*started));
  auto finished = driver.execute();
  if (finished) audit_run(*finished);
  return finished;
}

void SyncEngine::audit_run(const store::SyncRunRecord& run) {
  // By outcome only: the kinds (and the names of discarded files) would not fit an event.
  std::map<std::string, std::int64_t> by_outcome;
  for (const auto& [key, count] : run.counts) {
    by_outcome[key.second] += static_cast<std::int64_t>(count);
  }
  store::AuditEvent event;
  event.at = deps_.clock.now();
  event.actor = "sync:" + run.connection_id;
  event.action = run.outcome == store::SyncOutcome::succeeded ? "sync.run" : "sync.run_failed";
  event.object = std::to_string(run.id);
  event.counts.assign(by_outcome.begin(), by_outcome.end());
  for (const std::string& district : run.districts) {
    event.district_id = district;
    // The run is recorded in the store either way; a failed audit write is logged, not fatal.
    if (auto appended = deps_.audit.append(event); !appended) {
      spdlog::error("sync: writing the audit event of run {} failed: {}", run.id,
                    appended.error().detail);
    }
  }
}

}  // namespace lmsgw::sync
