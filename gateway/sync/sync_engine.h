// The sync engine: drives a sync plugin batch by batch and applies each batch to the store in
// one transaction with the plugin's next cursor (docs/roster-sync.md, "Runs").
//
// Every user goes through the same Minimizer and identity namespace as a sign-in, so a
// rostered person and the same person signing in are one minimal account. Records of a
// district the connection does not map, stopped reading or that was revoked are discarded and
// counted, never stored. A user leaving the roster is marked "left roster on D" (never
// deleted here) and their sessions end at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "config/gateway_config.h"
#include "identity/minimizer.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/sync_plugin.h"
#include "session/revocation.h"
#include "store/audit_log.h"
#include "store/roster_store.h"
#include "sync/sync_metrics.h"

namespace lmsgw::sync {

struct SyncEngineDependencies {
  store::RosterStore& roster;
  const identity::Minimizer& minimizer;
  // Applies the revocations a batch recorded (removed users, revoked districts) in this
  // process as soon as the batch commits; other processes pick them up within a second.
  session::RevocationService& revocations;
  // Each finished run is audited per district (PRIVACY.md F), with its counts by outcome.
  store::AuditLog& audit;
  const std::map<std::string, config::DistrictConfig>& districts;
  const sdk::Clock& clock;
  SyncMetrics& metrics;
  // The database file: run locks live beside it.
  std::string database_path;
  // Masks secrets in plugin error details before they are logged or stored.
  std::function<std::string(std::string_view)> redact;
};

struct RunRequest {
  store::SyncTrigger trigger = store::SyncTrigger::manual;
  // The operator asked for a full read (lmsgwctl sync run --full); also abandons an
  // unfinished read instead of resuming it.
  bool full = false;
  // Checked between batches: a shutdown ends the run at a batch boundary (it resumes later).
  const std::atomic<bool>* stop = nullptr;
};

class SyncEngine {
 public:
  // Limits on what one batch may carry and on the per-run memory of resolved ids.
  static constexpr std::size_t kMaxChangesPerBatch = 100'000;
  static constexpr std::size_t kMaxRememberedUsers = 4'000'000;
  static constexpr std::size_t kMaxRememberedSections = 500'000;

  explicit SyncEngine(SyncEngineDependencies dependencies);

  // Runs `connection` with its plugin until the plugin reports the read finished, or the run
  // fails (plugin error, store error, a refused batch) or is stopped. Returns the run record,
  // succeeded or failed; an error only when no run could be recorded (another run of the
  // connection in progress, the store unavailable).
  sdk::Result<store::SyncRunRecord> run(const config::SyncConnectionConfig& connection,
                                        sdk::SyncPlugin& plugin, const RunRequest& request);

 private:
  void audit_run(const store::SyncRunRecord& run);

  SyncEngineDependencies deps_;
};

// The districts a connection writes to: its fixed district or its mapping's targets.
std::vector<std::string> connection_districts(const config::SyncConnectionConfig& connection);

}  // namespace lmsgw::sync
