// What the sync engine's tests share: a scripted SyncPlugin whose cursor is the index of the
// next batch (so resuming is observable), and a real store in a temp directory with the
// revocation and session services the gateway wires around it.
#pragma once

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "identity/minimizer.h"
#include "lmsgw/sdk/sync_plugin.h"
#include "lmsgw/sdk/testing/mocks.h"
#include "session/revocation.h"
#include "session/session_cache.h"
#include "session/session_service.h"
#include "store/roster_store.h"
#include "store/sqlite/sqlite_account_store.h"
#include "sync/sync_engine.h"
#include "tests/support/temp_dir.h"

namespace lmsgw::sync::testing {

inline const std::chrono::system_clock::time_point kStart{
    std::chrono::seconds(1'725'350'400)};  // 2024-09-03T08:00:00Z

// Batch i is returned for cursor "" (i = 0) or "b<i>"; its next_cursor is "b<i+1>".
class ScriptedPlugin final : public sdk::SyncPlugin {
 public:
  std::vector<sdk::SyncBatch> batches;
  // Fail the next request for this batch index once, with this error.
  std::optional<std::size_t> fail_at;
  std::vector<sdk::SyncRequest> requests;
  // The next request reads the script from its start, whatever its cursor (a new file set).
  bool start_over = false;

  void script(std::vector<sdk::SyncBatch> next) {
    batches = std::move(next);
    start_over = true;
  }

  sdk::Result<sdk::SyncBatch> next_batch(const sdk::SyncRequest& request) noexcept override {
    requests.push_back(request);
    const std::size_t index = request.cursor.empty() || request.full || start_over
                                  ? 0
                                  : std::stoul(request.cursor.substr(1));
    start_over = false;
    if (fail_at && *fail_at == index) {
      fail_at.reset();
      return sdk::Error{sdk::ErrorCode::upstream_unavailable, "scripted outage"};
    }
    if (index >= batches.size()) return sdk::Error{sdk::ErrorCode::internal, "script exhausted"};
    sdk::SyncBatch batch = batches[index];
    batch.next_cursor = "b" + std::to_string(index + 1);
    batch.finished = index + 1 == batches.size();
    return batch;
  }
};

inline sdk::ExternalIdentity person(std::string subject, sdk::Role role, std::string given,
                                    std::optional<std::string> district = std::nullopt) {
  sdk::ExternalIdentity identity;
  identity.subject = std::move(subject);
  identity.role = role;
  identity.given_name = std::move(given);
  identity.provider_district = std::move(district);
  return identity;
}

inline sdk::RosterChange user(std::string subject, sdk::Role role = sdk::Role::student,
                              std::string given = "Ada",
                              std::optional<std::string> district = std::nullopt) {
  return sdk::RosterUserUpsert{
      person(std::move(subject), role, std::move(given), std::move(district))};
}

inline sdk::RosterChange section(std::string id,
                                 std::optional<std::string> district = std::nullopt) {
  return sdk::RosterSectionUpsert{std::move(id), std::move(district)};
}

inline sdk::RosterChange enrollment(std::string section_id, std::string subject,
                                    sdk::Role role = sdk::Role::student) {
  return sdk::RosterEnrollmentUpsert{std::move(section_id), std::move(subject), role};
}

inline sdk::RosterChange removal(sdk::RosterRecordKind kind, std::string id) {
  return sdk::RosterRemoval{kind, std::move(id)};
}

inline sdk::SyncBatch batch(std::vector<sdk::RosterChange> changes, bool snapshot) {
  sdk::SyncBatch out;
  out.changes = std::move(changes);
  out.snapshot = snapshot;
  return out;
}

inline std::uint64_t count_of(const store::SyncRunRecord& run, const std::string& kind,
                              const std::string& outcome) {
  auto found = run.counts.find({kind, outcome});
  return found == run.counts.end() ? 0 : found->second;
}

// A real database and the services around it, as the gateway wires them.
class SyncHarness {
 public:
  SyncHarness() {
    auto opened = store::open_sqlite_store({.path = db_path()});
    if (!opened) throw std::runtime_error(opened.error().detail);
    accounts = std::move(*opened);
    for (const char* id : {"d1", "d2"}) {
      (void)accounts->ensure_district(id, kStart);
      districts.emplace(id, config::DistrictConfig{id, {}});
    }
    auto roster_store = store::open_sqlite_roster_store({.path = db_path()});
    if (!roster_store) throw std::runtime_error(roster_store.error().detail);
    roster = std::move(*roster_store);
    minimizer.emplace(std::move(*identity::Minimizer::create(sdk::Secret(std::string(40, 'p')))));
    audit = std::move(*store::open_sqlite_audit_log(db_path()));
    revocations = std::make_unique<session::RevocationService>(*accounts, *audit, epochs, clock);
    sessions = std::make_unique<session::SessionService>(*accounts, cache, epochs, clock,
                                                         std::chrono::hours(8));
    engine = std::make_unique<SyncEngine>(SyncEngineDependencies{
        *roster, *minimizer, *revocations, *audit, districts, clock, metrics, db_path(), nullptr});

    connection.id = "roster";
    connection.plugin = "scripted";
    connection.identity_namespace = "clever";
    connection.district = "d1";
  }

  std::string db_path() const { return (dir.path() / "lmsgw.db").string(); }

  store::SyncRunRecord run(bool full = false, const std::atomic<bool>* stop = nullptr) {
    RunRequest request;
    request.full = full;
    request.stop = stop;
    auto record = engine->run(connection, plugin, request);
    if (!record) throw std::runtime_error(record.error().detail);
    return *record;
  }

  // The account a sign-in through the "clever" namespace would reach.
  std::optional<std::string> account_of(const std::string& subject) {
    return scalar(
        "SELECT a.id FROM identities i JOIN accounts a ON a.key = i.account_key WHERE "
        "hex(i.subject_hash) = '" +
        crypto::hex_encode(minimizer->identity_key("clever", subject).subject_hash) +
        "' COLLATE NOCASE");
  }

  std::optional<std::string> scalar(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* stmt = nullptr;
    std::optional<std::string> out;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      const std::string message = sqlite3_errmsg(db);
      sqlite3_close(db);
      throw std::runtime_error(message);
    }
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_type(stmt, 0) != SQLITE_NULL) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return out;
  }

  int count(const std::string& table_and_where) {
    return std::stoi(scalar("SELECT count(*) FROM " + table_and_where).value_or("-1"));
  }

  void exec(const std::string& sql) {
    sqlite3* db = nullptr;
    sqlite3_open(db_path().c_str(), &db);
    char* message = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message);
    std::string text = message != nullptr ? message : "";
    sqlite3_free(message);
    sqlite3_close(db);
    if (rc != SQLITE_OK) throw std::runtime_error(text);
  }

  lmsgw::testing::TempDir dir;
  sdk::testing::FixedClock clock{kStart};
  std::unique_ptr<store::AccountStore> accounts;
  std::unique_ptr<store::RosterStore> roster;
  std::map<std::string, config::DistrictConfig> districts;
  std::optional<identity::Minimizer> minimizer;
  session::RevocationEpochs epochs;
  session::SessionCache cache;
  std::unique_ptr<store::AuditLog> audit;
  std::unique_ptr<session::RevocationService> revocations;
  std::unique_ptr<session::SessionService> sessions;
  SyncMetrics metrics;
  std::unique_ptr<SyncEngine> engine;
  config::SyncConnectionConfig connection;
  ScriptedPlugin plugin;
};

}  // namespace lmsgw::sync::testing
