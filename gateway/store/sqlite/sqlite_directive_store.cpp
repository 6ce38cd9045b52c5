#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <mutex>
#include <string>
#include <utility>

#include "store/directive_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "store/sqlite/sqlite_support.h"

namespace lmsgw::store {

namespace {

using namespace sqlite;  // NOLINT(google-build-using-namespace): the backend's own helpers

constexpr std::array<std::string_view, 4> kCategoryNames = {"accounts", "section_memberships",
                                                            "sections", "email_hashes"};
constexpr std::array<std::string_view, 5> kRuleNames = {
    "after_leaving_roster", "inactive", "delete_all_by", "after_revocation", "partial"};
constexpr std::array<std::string_view, 6> kCountKinds = {
    "accounts", "identities", "sessions", "section_memberships", "sections", "email_hashes"};

}  // namespace

namespace {

template <class Enum, std::size_t N>
std::optional<Enum> from_name(const std::array<std::string_view, N>& names,
                              std::string_view name) noexcept {
  for (std::size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view to_string(DisposalCategory category) noexcept {
  return kCategoryNames[static_cast<std::size_t>(category)];
}

std::optional<DisposalCategory> disposal_category_from_string(std::string_view name) noexcept {
  return from_name<DisposalCategory>(kCategoryNames, name);
}

std::string_view to_string(DisposalRule rule) noexcept {
  return kRuleNames[static_cast<std::size_t>(rule)];
}

std::optional<DisposalRule> disposal_rule_from_string(std::string_view name) noexcept {
  return from_name<DisposalRule>(kRuleNames, name);
}

DisposalCounts empty_disposal_counts() {
  DisposalCounts counts;
  for (const std::string_view kind : kCountKinds) counts.emplace_back(std::string(kind), 0);
  return counts;
}

void add_disposal_counts(DisposalCounts& into, const DisposalCounts& more) {
  for (const auto& [kind, count] : more) {
    auto it =
        std::find_if(into.begin(), into.end(), [&](const auto& c) { return c.first == kind; });
    if (it == into.end()) {
      into.emplace_back(kind, count);
    } else {
      it->second += count;
    }
  }
}

namespace {

void add_count(DisposalCounts& counts, std::string_view kind, std::int64_t n) {
  add_disposal_counts(counts, {{std::string(kind), n}});
}

// An account is held while a hold on it is not released.
constexpr std::string_view kNotHeld =
    "NOT EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = a.id AND h.released_at IS NULL)";
constexpr std::string_view kHeld =
    "EXISTS (SELECT 1 FROM legal_holds h WHERE h.account_id = a.id AND h.released_at IS NULL)";

// The district a scope binds: NULL for the platform scope (accounts of no district).
std::optional<std::string_view> scope_district(std::string_view district_id) {
  if (district_id.empty()) return std::nullopt;
  return district_id;
}

// The accounts a scope covers, held or not: ?1 district, ?2 left-roster date, ?3 inactivity time.
// The platform scope's accounts are those of no district (accounts_by_district serves both).
std::string scope_accounts(const DisposalScope& scope) {
  std::string where = scope.district_id.empty() ? "a.district_id IS NULL" : "a.district_id = ?1";
  if (scope.rule == DisposalRule::after_leaving_roster) {
    where += " AND a.left_roster_on IS NOT NULL AND a.left_roster_on <= ?2";
  } else if (scope.rule == DisposalRule::inactive) {
    where += " AND COALESCE(a.last_sign_in_at, a.created_at) <= ?3";
  }
  return where;
}

Statement& bind_scope(Statement& stmt, const DisposalScope& scope) {
  stmt.bind(1, scope_district(scope.district_id));
  if (stmt.parameter_count() >= 2) {
    stmt.bind(2, scope.left_on_or_before
                     ? std::optional<std::string>(date_to_text(*scope.left_on_or_before))
                     : std::nullopt);
  }
  if (stmt.parameter_count() >= 3) {
    stmt.bind(3, scope.inactive_since ? std::optional<std::int64_t>(to_unix(*scope.inactive_since))
                                      : std::nullopt);
  }
  return stmt;
}

std::string counts_to_json(const DisposalCounts& counts) {
  boost::json::object out;
  for (const auto& [kind, count] : counts) out[kind] = count;
  return boost::json::serialize(out);
}

sdk::Result<DisposalCounts> counts_from_json(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_object()) return sqlite_error("read disposal job", "malformed counts");
  DisposalCounts counts = empty_disposal_counts();
  for (const auto& [kind, count] : value.as_object()) {
    if (!count.is_int64()) return sqlite_error("read disposal job", "malformed counts");
    add_count(counts, kind, count.as_int64());
  }
  return counts;
}

std::string categories_to_json(const std::vector<DisposalCategory>& categories) {
  boost::json::array out;
  for (const DisposalCategory category : categories) out.emplace_back(to_string(category));
  return boost::json::serialize(out);
}

sdk::Result<std::vector<DisposalCategory>> categories_from_json(std::string_view text) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(text, ec);
  if (ec || !value.is_array()) return sqlite_error("read disposal job", "malformed categories");
  std::vector<DisposalCategory> out;
  for (const auto& item : value.as_array()) {
    const auto category =
        item.is_string() ? disposal_category_from_string(item.as_string()) : std::nullopt;
    if (!category) return sqlite_error("read disposal job", "unknown category in database");
    out.push_back(*category);
  }
  return out;
}

constexpr std::string_view kJobColumns =
    "id, district_id, rule, categories, directive_version, partial_entry, left_on_or_before, "
    "inactive_since, started_at, finished_at, batches, counts, held_accounts, certificate_id";

sdk::Result<DisposalJob> read_job(const Statement& row) {
  DisposalJob job;
  job.id = row.int64(0);
  job.scope.district_id = row.text(1);
  const auto rule = disposal_rule_from_string(row.text(2));
  if (!rule) return sqlite_error("read disposal job", "unknown rule in database");
  job.scope.rule = *rule;
  auto categories = categories_from_json(row.text(3));
  if (!categories) return categories.error();
  job.scope.categories = std::move(*categories);
  if (!row.is_null(4)) job.scope.directive_version = row.int64(4);
  if (!row.is_null(5)) job.scope.partial_entry = row.int64(5);
  if (!row.is_null(6)) {
    job.scope.left_on_or_before = date_from_text(row.text(6));
    if (!job.scope.left_on_or_before) return sqlite_error("read disposal job", "malformed date");
  }
  if (!row.is_null(7)) job.scope.inactive_since = from_unix(row.int64(7));
  job.started_at = from_unix(row.int64(8));
  if (!row.is_null(9)) job.finished_at = from_unix(row.int64(9));
  job.batches = row.int64(10);
  auto counts = counts_from_json(row.text(11));
  if (!counts) return counts.error();
  job.counts = std::move(*counts);
  job.held_accounts = row.int64(12);
  job.certificate_id = row.optional_text(13);
  return job;
}

constexpr std::string_view kHoldColumns =
    "id, account_id, district_id, reason, placed_at, placed_by, released_at, released_by";

LegalHold read_hold(const Statement& row) {
  LegalHold hold;
  hold.id = row.int64(0);
  hold.account_id = row.text(1);
  hold.district_id = row.text(2);
  hold.reason = row.text(3);
  hold.placed_at = from_unix(row.int64(4));
  hold.placed_by = row.text(5);
  if (!row.is_null(6)) hold.released_at = from_unix(row.int64(6));
  hold.released_by = row.optional_text(7);
  return hold;
}

DirectiveVersion read_directive(const Statement& row) {
  return DirectiveVersion{row.text(0), row.int64(1), row.text(2), from_unix(row.int64(3)),
                          row.text(4)};
}

std::int64_t clamp_limit(std::size_t limit) {
  return static_cast<std::int64_t>(std::min(limit, kMaxListRows));
}

class SqliteDirectiveStore final : public DirectiveStore {
 public:
  explicit SqliteDirectiveStore(Connection db) : db_(std::move(db)) {}

  sdk::Result<void> prepare() {
    // The batch under deletion: ids only, kept in memory (never in a temporary file).
    if (auto memory = exec(db_.get(), "PRAGMA temp_store = MEMORY", "temp store"); !memory) {
      return memory;
    }
    return exec(db_.get(),
                "CREATE TEMP TABLE disposal_accounts (key INTEGER PRIMARY KEY, id TEXT NOT NULL);"
                "CREATE TEMP TABLE disposal_sections (key INTEGER PRIMARY KEY);",
                "prepare disposal tables");
  }

  // DirectiveStore
  sdk::Result<std::vector<std::string>> districts() override {
    const std::lock_guard lock(mutex_);
    auto select =
        Statement::prepare(db_.get(), "SELECT id FROM districts ORDER BY id", "list districts");
    if (!select) return select.error();
    return select->rows([](const Statement& row) { return row.text(0); });
  }

  sdk::Result<bool> district_exists(std::string_view district_id) override {
    const std::lock_guard lock(mutex_);
    auto select =
        Statement::prepare(db_.get(), "SELECT 1 FROM districts WHERE id = ?1", "find district");
    if (!select) return select.error();
    return select->bind(1, district_id).step();
  }

  sdk::Result<DirectiveVersion> add_directive_version(std::string_view district_id,
                                                      std::string_view document, TimePoint now,
                                                      std::string_view actor) override {
    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    auto insert = Statement::prepare(
        db_.get(),
        "INSERT INTO retention_directives (district_id, version, document, set_at, set_by) "
        "SELECT ?1, COALESCE(MAX(version), 0) + 1, ?2, ?3, ?4 FROM retention_directives "
        "WHERE district_id = ?1 RETURNING district_id, version, document, set_at, set_by",
        "set directive");
    if (!insert) return insert.error();
    auto row =
        insert->bind(1, district_id).bind(2, document).bind(3, to_unix(now)).bind(4, actor).step();
    if (!row) return row.error();
    if (!*row) return sqlite_error("set directive", "no version written");
    DirectiveVersion written = read_directive(*insert);
    if (auto done = insert->step(); !done) return done.error();
    if (auto committed = tx->commit(); !committed) return committed.error();
    return written;
  }

  sdk::Result<std::optional<DirectiveVersion>> current_directive(
      std::string_view district_id) override {
    auto history = directive_history(district_id, 1);
    if (!history) return history.error();
    if (history->empty()) return std::optional<DirectiveVersion>{};
    return std::optional<DirectiveVersion>(std::move(history->front()));
  }

  sdk::Result<std::vector<DirectiveVersion>> directive_history(std::string_view district_id,
                                                               std::size_t limit) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(),
        "SELECT district_id, version, document, set_at, set_by FROM retention_directives "
        "WHERE district_id = ?1 ORDER BY version DESC LIMIT ?2",
        "read directives");
    if (!select) return select.error();
    select->bind(1, district_id).bind(2, clamp_limit(limit));
    return select->rows(read_directive);
  }

  sdk::Result<std::optional<std::string>> account_district(std::string_view account_id) override {
    const std::lock_guard lock(mutex_);
    return find_account_district(account_id);
  }

  sdk::Result<LegalHold> place_hold(std::string_view account_id, std::string_view reason,
                                    TimePoint now, std::string_view actor) override {
    if (reason.empty()) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "legal hold: reason is empty"};
    }
    if (reason.size() > kMaxHoldReasonBytes) {
      return sdk::Error{
          sdk::ErrorCode::limit_exceeded,
          "legal hold: reason longer than " + std::to_string(kMaxHoldReasonBytes) + " bytes"};
    }
    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    auto district = find_account_district(account_id);
    if (!district) return district.error();
    if (!*district)
      return sdk::Error{sdk::ErrorCode::invalid_request, "legal hold: no such account"};
    auto insert = Statement::prepare(
        db_.get(),
        "INSERT INTO legal_holds (account_id, district_id, reason, placed_at, placed_by) "
        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING RETURNING " +
            std::string(kHoldColumns),
        "place legal hold");
    if (!insert) return insert.error();
    auto row = insert->bind(1, account_id)
                   .bind(2, **district)
                   .bind(3, reason)
                   .bind(4, to_unix(now))
                   .bind(5, actor)
                   .step();
    if (!row) return row.error();
    if (!*row) {
      return sdk::Error{sdk::ErrorCode::invalid_request, "legal hold: the account is already held"};
    }
    LegalHold hold = read_hold(*insert);
    if (auto done = insert->step(); !done) return done.error();
    if (auto committed = tx->commit(); !committed) return committed.error();
    return hold;
  }

  sdk::Result<std::optional<LegalHold>> release_hold(std::string_view district_id,
                                                     std::string_view account_id, TimePoint now,
                                                     std::string_view actor) override {
    const std::lock_guard lock(mutex_);
    auto update = Statement::prepare(
        db_.get(),
        "UPDATE legal_holds SET released_at = ?2, released_by = ?3 "
        "WHERE account_id = ?1 AND district_id = ?4 AND released_at IS NULL RETURNING " +
            std::string(kHoldColumns),
        "release legal hold");
    if (!update) return update.error();
    auto row = update->bind(1, account_id)
                   .bind(2, to_unix(now))
                   .bind(3, actor)
                   .bind(4, district_id)
                   .step();
    if (!row) return row.error();
    if (!*row) return std::optional<LegalHold>{};
    LegalHold hold = read_hold(*update);
    if (auto done = update->step(); !done) return done.error();
    return std::optional<LegalHold>(std::move(hold));
  }

  sdk::Result<bool> account_held(std::string_view account_id) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(), "SELECT 1 FROM legal_holds WHERE account_id = ?1 AND released_at IS NULL",
        "find legal hold");
    if (!select) return select.error();
    return select->bind(1, account_id).step();
  }

  sdk::Result<std::vector<LegalHold>> holds(std::string_view district_id, bool include_released,
                                            std::size_t limit) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(),
        "SELECT " + std::string(kHoldColumns) +
            " FROM legal_holds WHERE district_id = ?1 AND (?2 OR released_at IS NULL) "
            "ORDER BY id DESC LIMIT ?3",
        "list legal holds");
    if (!select) return select.error();
    select->bind(1, district_id).bind(2, include_released ? 1 : 0).bind(3, clamp_limit(limit));
    return select->rows(read_hold);
  }

  sdk::Result<AccountRemoval> delete_account(std::string_view account_id) override {
    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    AccountRemoval removal;
    auto district = find_account_district(account_id);
    if (!district) return district.error();
    if (!*district) return removal;
    if (!(*district)->empty()) removal.district_id = **district;
    auto pick = Statement::prepare(db_.get(),
                                   "INSERT INTO temp.disposal_accounts (key, id) SELECT a.key, "
                                   "a.id FROM accounts a WHERE a.id = ?1 AND " +
                                       std::string(kNotHeld),
                                   "delete account: select");
    if (!pick) return pick.error();
    if (auto cleared = clear_batch(); !cleared) return cleared.error();
    if (auto picked = pick->bind(1, account_id).run(); !picked) return picked.error();
    if (sqlite3_changes(db_.get()) == 0) {
      removal.outcome = AccountRemoval::Outcome::held;
      return removal;
    }
    auto deleted = delete_picked_accounts();
    if (!deleted) return deleted.error();
    removal.counts = std::move(deleted->first);
    if (auto committed = tx->commit(); !committed) return committed.error();
    removal.outcome = AccountRemoval::Outcome::deleted;
    return removal;
  }

  sdk::Result<bool> account_has_sessions(std::string_view account_id) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(db_.get(), "SELECT 1 FROM sessions WHERE account_id = ?1",
                                     "find sessions");
    if (!select) return select.error();
    return select->bind(1, account_id).step();
  }

  sdk::Result<bool> disposal_due(const DisposalScope& scope) override {
    const std::lock_guard lock(mutex_);
    for (const DisposalCategory category : scope.categories) {
      auto select = Statement::prepare(
          db_.get(), "SELECT EXISTS (" + due_query(scope, category) + ")", "check disposal");
      if (!select) return select.error();
      auto row = bind_scope(*select, scope).step();
      if (!row) return row.error();
      if (select->int64(0) != 0) return true;
    }
    return false;
  }

  sdk::Result<std::vector<std::string>> next_accounts_with_sessions(const DisposalScope& scope,
                                                                    std::size_t limit) override {
    const std::lock_guard lock(mutex_);
    if (std::find(scope.categories.begin(), scope.categories.end(), DisposalCategory::accounts) ==
        scope.categories.end()) {
      return std::vector<std::string>{};
    }
    auto select =
        Statement::prepare(db_.get(),
                           "SELECT b.id FROM (SELECT a.id FROM accounts a WHERE " +
                               scope_accounts(scope) + " AND " + std::string(kNotHeld) +
                               " ORDER BY a.key LIMIT ?4) b WHERE EXISTS (SELECT 1 FROM sessions s "
                               "WHERE s.account_id = b.id)",
                           "find sessions to end");
    if (!select) return select.error();
    bind_scope(*select, scope).bind(4, static_cast<std::int64_t>(limit));
    return select->rows([](const Statement& row) { return row.text(0); });
  }

  sdk::Result<bool> partial_entry_completed(std::string_view district_id,
                                            std::int64_t directive_version,
                                            std::int64_t entry) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(),
        "SELECT 1 FROM disposal_jobs WHERE district_id = ?1 AND rule = 'partial' AND "
        "directive_version = ?2 AND partial_entry = ?3 AND finished_at IS NOT NULL",
        "find partial disposal");
    if (!select) return select.error();
    return select->bind(1, district_id).bind(2, directive_version).bind(3, entry).step();
  }

  sdk::Result<std::optional<DisposalJob>> start_job(const DisposalScope& scope,
                                                    TimePoint now) override {
    const std::lock_guard lock(mutex_);
    auto insert = Statement::prepare(
        db_.get(),
        "INSERT INTO disposal_jobs (district_id, rule, categories, directive_version, "
        "partial_entry, left_on_or_before, inactive_since, started_at, counts) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING RETURNING " +
            std::string(kJobColumns),
        "start disposal job");
    if (!insert) return insert.error();
    insert->bind(1, scope_district(scope.district_id))
        .bind(2, to_string(scope.rule))
        .bind(3, categories_to_json(scope.categories))
        .bind(4, scope.directive_version)
        .bind(5, scope.partial_entry)
        .bind(6, scope.left_on_or_before
                     ? std::optional<std::string>(date_to_text(*scope.left_on_or_before))
                     : std::nullopt)
        .bind(7, scope.inactive_since ? std::optional<std::int64_t>(to_unix(*scope.inactive_since))
                                      : std::nullopt)
        .bind(8, to_unix(now))
        .bind(9, counts_to_json(empty_disposal_counts()));
    auto row = insert->step();
    if (!row) return row.error();
    if (!*row) return std::optional<DisposalJob>{};
    auto job = read_job(*insert);
    if (!job) return job.error();
    if (auto done = insert->step(); !done) return done.error();
    return std::optional<DisposalJob>(std::move(*job));
  }

  sdk::Result<std::vector<DisposalJob>> unfinished_jobs(std::string_view district_id) override {
    const std::lock_guard lock(mutex_);
    return select_jobs("SELECT " + std::string(kJobColumns) +
                           " FROM disposal_jobs WHERE finished_at IS NULL AND "
                           "(IFNULL(?1, '') = '' OR district_id = ?1) "
                           "ORDER BY id",
                       [&](Statement& s) { s.bind(1, district_id); });
  }

  sdk::Result<DisposalBatch> dispose_batch(std::int64_t job_id, std::size_t batch_size,
                                           TimePoint now, const Certify& certify) override {
    const std::lock_guard lock(mutex_);
    auto tx = Transaction::begin(db_.get());
    if (!tx) return tx.error();
    auto current = load_job(job_id);
    if (!current) return current.error();
    if (!*current) return sdk::Error{sdk::ErrorCode::invalid_request, "no such disposal job"};
    DisposalBatch batch;
    batch.job = std::move(**current);
    if (batch.job.finished_at) {
      batch.finished = true;
      batch.counts = empty_disposal_counts();
      return batch;
    }
    const DisposalScope& scope = batch.job.scope;
    batch.counts = empty_disposal_counts();
    std::size_t remaining = std::max<std::size_t>(batch_size, 1);
    for (const DisposalCategory category : scope.categories) {
      auto units = dispose_category(scope, category, remaining, batch);
      if (!units) return units.error();
      remaining -= *units;
      if (remaining == 0) break;
    }
    // A batch that came up short found every category exhausted.
    batch.finished = remaining > 0;
    add_disposal_counts(batch.job.counts, batch.counts);
    batch.job.batches += 1;
    if (batch.finished) {
      batch.job.finished_at = now;
      auto held = count_held(scope);
      if (!held) return held.error();
      batch.job.held_accounts = *held;
      auto issued = certify(batch.job);
      if (!issued) return issued.error();
      auto insert = Statement::prepare(db_.get(),
                                       "INSERT INTO disposal_certificates (id, job_id, "
                                       "district_id, issued_at, jws) VALUES (?1, ?2, ?3, ?4, ?5)",
                                       "store certificate");
      if (!insert) return insert.error();
      if (auto done = insert->bind(1, issued->id)
                          .bind(2, job_id)
                          .bind(3, scope_district(scope.district_id))
                          .bind(4, to_unix(issued->issued_at))
                          .bind(5, issued->jws)
                          .run();
          !done) {
        return done.error();
      }
      batch.job.certificate_id = issued->id;
    }
    auto update = Statement::prepare(
        db_.get(),
        "UPDATE disposal_jobs SET batches = ?2, counts = ?3, finished_at = ?4, held_accounts = ?5,"
        " certificate_id = ?6 WHERE id = ?1",
        "advance disposal job");
    if (!update) return update.error();
    if (auto done = update->bind(1, job_id)
                        .bind(2, batch.job.batches)
                        .bind(3, counts_to_json(batch.job.counts))
                        .bind(4, batch.job.finished_at
                                     ? std::optional<std::int64_t>(to_unix(*batch.job.finished_at))
                                     : std::nullopt)
                        .bind(5, batch.job.held_accounts)
                        .bind(6, batch.job.certificate_id)
                        .run();
        !done) {
      return done.error();
    }
    if (auto committed = tx->commit(); !committed) return committed.error();
    return batch;
  }

  sdk::Result<std::optional<DisposalJob>> job(std::int64_t job_id) override {
    const std::lock_guard lock(mutex_);
    return load_job(job_id);
  }

  sdk::Result<std::vector<DisposalJob>> jobs(std::string_view district_id,
                                             std::size_t limit) override {
    const std::lock_guard lock(mutex_);
    return select_jobs(
        "SELECT " + std::string(kJobColumns) + " FROM disposal_jobs WHERE " +
            (district_id.empty() ? "district_id IS NULL" : "district_id = ?1") +
            " ORDER BY id DESC LIMIT ?2",
        [&](Statement& s) { s.bind(1, scope_district(district_id)).bind(2, clamp_limit(limit)); });
  }

  sdk::Result<std::vector<DisposalJob>> unaudited_jobs() override {
    const std::lock_guard lock(mutex_);
    return select_jobs("SELECT " + std::string(kJobColumns) +
                           " FROM disposal_jobs WHERE finished_at IS NOT NULL AND audited = 0 "
                           "ORDER BY id",
                       [](Statement&) {});
  }

  sdk::Result<void> mark_audited(std::int64_t job_id) override {
    const std::lock_guard lock(mutex_);
    auto update = Statement::prepare(
        db_.get(), "UPDATE disposal_jobs SET audited = 1 WHERE id = ?1", "mark disposal audited");
    if (!update) return update.error();
    return update->bind(1, job_id).run();
  }

  sdk::Result<std::optional<StoredCertificate>> certificate(
      std::string_view certificate_id) override {
    const std::lock_guard lock(mutex_);
    auto select = Statement::prepare(
        db_.get(),
        "SELECT id, job_id, district_id, issued_at, jws FROM disposal_certificates WHERE id = ?1",
        "read certificate");
    if (!select) return select.error();
    auto row = select->bind(1, certificate_id).step();
    if (!row) return row.error();
    if (!*row) return std::optional<StoredCertificate>{};
    return std::optional<StoredCertificate>(
        StoredCertificate{select->text(0), select->int64(1), select->text(2),
                          from_unix(select->int64(3)), select->text(4)});
  }

  sdk::Result<void> checkpoint() override {
    const std::lock_guard lock(mutex_);
    return exec(db_.get(), "PRAGMA wal_checkpoint(TRUNCATE)", "checkpoint");
  }

 private:
  template <class Bind>
  sdk::Result<std::vector<DisposalJob>> select_jobs(const std::string& sql, Bind&& bind) {
    auto select = Statement::prepare(db_.get(), sql, "read disposal jobs");
    if (!select) return select.error();
    bind(*select);
    return select->rows(read_job);
  }

  sdk::Result<std::optional<DisposalJob>> load_job(std::int64_t job_id) {
    auto jobs =
        select_jobs("SELECT " + std::string(kJobColumns) + " FROM disposal_jobs WHERE id = ?1",
                    [&](Statement& s) { s.bind(1, job_id); });
    if (!jobs) return jobs.error();
    if (jobs->empty()) return std::optional<DisposalJob>{};
    return std::optional<DisposalJob>(std::move(jobs->front()));
  }

  sdk::Result<std::optional<std::string>> find_account_district(std::string_view account_id) {
    auto select = Statement::prepare(
        db_.get(), "SELECT COALESCE(district_id, '') FROM accounts WHERE id = ?1", "find account");
    if (!select) return select.error();
    auto row = select->bind(1, account_id).step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::string>{};
    return std::optional<std::string>(select->text(0));
  }

  // What is left to dispose of in one category (a SELECT of rows).
  static std::string due_query(const DisposalScope& scope, DisposalCategory category) {
    switch (category) {
      case DisposalCategory::accounts:
        return "SELECT 1 FROM accounts a WHERE " + scope_accounts(scope) + " AND " +
               std::string(kNotHeld);
      case DisposalCategory::section_memberships:
        return "SELECT 1 FROM enrollments e JOIN accounts a ON a.key = e.account_key WHERE " +
               scope_accounts(scope) + " AND " + std::string(kNotHeld);
      case DisposalCategory::sections:
        return "SELECT 1 FROM sections s WHERE s.district_id = ?1 AND " + kSectionFree;
      case DisposalCategory::email_hashes:
        return "SELECT 1 FROM accounts a WHERE " + scope_accounts(scope) +
               " AND a.email_hash IS NOT NULL AND " + std::string(kNotHeld);
    }
    return "SELECT 1 WHERE 0";
  }

  // A section no held account is enrolled in.
  inline static const std::string kSectionFree =
      "NOT EXISTS (SELECT 1 FROM enrollments e JOIN accounts a ON a.key = e.account_key WHERE "
      "e.section_key = s.key AND " +
      std::string(kHeld) + ")";

  sdk::Result<void> clear_batch() {
    return exec(db_.get(), "DELETE FROM temp.disposal_accounts; DELETE FROM temp.disposal_sections",
                "clear disposal batch");
  }

  sdk::Result<std::int64_t> run_counted(const std::string& sql, std::string_view step,
                                        const DisposalScope* scope, std::size_t limit) {
    auto stmt = Statement::prepare(db_.get(), sql, step);
    if (!stmt) return stmt.error();
    if (scope != nullptr) bind_scope(*stmt, *scope).bind(4, static_cast<std::int64_t>(limit));
    if (auto done = stmt->run(); !done) return done.error();
    return static_cast<std::int64_t>(sqlite3_changes(db_.get()));
  }

  // Deletes every account in temp.disposal_accounts with its identity links, sessions and
  // memberships; returns the counts and the accounts whose sessions were deleted.
  sdk::Result<std::pair<DisposalCounts, std::vector<std::string>>> delete_picked_accounts() {
    DisposalCounts counts = empty_disposal_counts();
    auto sessions = Statement::prepare(
        db_.get(),
        "DELETE FROM sessions WHERE account_id IN (SELECT id FROM temp.disposal_accounts) "
        "RETURNING account_id",
        "dispose: sessions");
    if (!sessions) return sessions.error();
    std::vector<std::string> ended;
    std::int64_t session_rows = 0;
    for (;;) {
      auto row = sessions->step();
      if (!row) return row.error();
      if (!*row) break;
      ++session_rows;
      std::string id = sessions->text(0);
      if (std::find(ended.begin(), ended.end(), id) == ended.end()) ended.push_back(std::move(id));
    }
    add_count(counts, "sessions", session_rows);
    const std::pair<const char*, std::string_view> steps[] = {
        {"DELETE FROM enrollments WHERE account_key IN (SELECT key FROM temp.disposal_accounts)",
         "section_memberships"},
        {"DELETE FROM identities WHERE account_key IN (SELECT key FROM temp.disposal_accounts)",
         "identities"},
        {"DELETE FROM accounts WHERE key IN (SELECT key FROM temp.disposal_accounts)", "accounts"},
    };
    for (const auto& [sql, kind] : steps) {
      auto n = run_counted(sql, "dispose: accounts", nullptr, 0);
      if (!n) return n.error();
      add_count(counts, kind, *n);
    }
    return std::make_pair(std::move(counts), std::move(ended));
  }

  // Disposes of up to `limit` units of one category; returns how many.
  sdk::Result<std::size_t> dispose_category(const DisposalScope& scope, DisposalCategory category,
                                            std::size_t limit, DisposalBatch& batch) {
    if (auto cleared = clear_batch(); !cleared) return cleared.error();
    switch (category) {
      case DisposalCategory::accounts: {
        auto picked = run_counted(
            "INSERT INTO temp.disposal_accounts (key, id) SELECT a.key, "
            "a.id FROM accounts a WHERE " +
                scope_accounts(scope) + " AND " + std::string(kNotHeld) +
                " ORDER BY a.key LIMIT ?4",
            "dispose: select accounts", &scope, limit);
        if (!picked) return picked.error();
        if (*picked == 0) return std::size_t{0};
        auto deleted = delete_picked_accounts();
        if (!deleted) return deleted.error();
        add_disposal_counts(batch.counts, deleted->first);
        for (std::string& id : deleted->second) batch.sessions_deleted_of.push_back(std::move(id));
        return static_cast<std::size_t>(*picked);
      }
      case DisposalCategory::section_memberships: {
        auto n = run_counted(
            "DELETE FROM enrollments WHERE (section_key, account_key) IN (SELECT e.section_key, "
            "e.account_key FROM enrollments e JOIN accounts a ON a.key = e.account_key WHERE " +
                scope_accounts(scope) + " AND " + std::string(kNotHeld) + " LIMIT ?4)",
            "dispose: section memberships", &scope, limit);
        if (!n) return n.error();
        add_count(batch.counts, "section_memberships", *n);
        return static_cast<std::size_t>(*n);
      }
      case DisposalCategory::sections: {
        auto picked = run_counted(
            "INSERT INTO temp.disposal_sections (key) SELECT s.key FROM "
            "sections s WHERE s.district_id = ?1 AND " +
                kSectionFree + " ORDER BY s.key LIMIT ?4",
            "dispose: select sections", &scope, limit);
        if (!picked) return picked.error();
        auto members = run_counted(
            "DELETE FROM enrollments WHERE section_key IN (SELECT key FROM temp.disposal_sections)",
            "dispose: sections", nullptr, 0);
        if (!members) return members.error();
        auto sections = run_counted(
            "DELETE FROM sections WHERE key IN (SELECT key FROM temp.disposal_sections)",
            "dispose: sections", nullptr, 0);
        if (!sections) return sections.error();
        add_count(batch.counts, "section_memberships", *members);
        add_count(batch.counts, "sections", *sections);
        return static_cast<std::size_t>(*picked);
      }
      case DisposalCategory::email_hashes: {
        auto n = run_counted(
            "UPDATE accounts SET email_hash = NULL WHERE key IN (SELECT a.key "
            "FROM accounts a WHERE " +
                scope_accounts(scope) + " AND a.email_hash IS NOT NULL AND " +
                std::string(kNotHeld) + " LIMIT ?4)",
            "dispose: email hashes", &scope, limit);
        if (!n) return n.error();
        add_count(batch.counts, "email_hashes", *n);
        return static_cast<std::size_t>(*n);
      }
    }
    return std::size_t{0};
  }

  sdk::Result<std::int64_t> count_held(const DisposalScope& scope) {
    auto select = Statement::prepare(db_.get(),
                                     "SELECT COUNT(*) FROM accounts a WHERE " +
                                         scope_accounts(scope) + " AND " + std::string(kHeld),
                                     "count held accounts");
    if (!select) return select.error();
    auto row = bind_scope(*select, scope).step();
    if (!row) return row.error();
    return select->int64(0);
  }

  std::mutex mutex_;
  Connection db_;
};

}  // namespace

sdk::Result<std::unique_ptr<DirectiveStore>> open_sqlite_directive_store(const std::string& path) {
  auto db = open_database(SqliteOptions{.path = path, .migrate = false});
  if (!db) return db.error();
  auto store = std::make_unique<SqliteDirectiveStore>(std::move(*db));
  if (auto prepared = store->prepare(); !prepared) return prepared.error();
  return std::unique_ptr<DirectiveStore>(std::move(store));
}

}  // namespace lmsgw::store
