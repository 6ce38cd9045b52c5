// The retention engine: finds, per district, what its directive (or the configured defaults)
// says must be gone at a given time, and, for the platform scope (accounts of no district),
// what the platform's inactivity policy says; it deletes it for real as disposal jobs: bounded
// batches, each one transaction that also advances the job's persisted progress, so a process
// killed mid-job resumes it on its next run and finishes it. Whole accounts only, never one
// under legal hold. A completed job carries its signed disposal certificate. The scheduler
// (in the gateway) and `lmsgwctl retention run` (cron) run the same code.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "config/gateway_config.h"
#include "directives/certificate.h"
#include "directives/directive.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/result.h"
#include "session/revocation.h"
#include "store/account_store.h"
#include "store/audit_log.h"
#include "store/directive_store.h"

namespace lmsgw::directives {

// The audit actor of every disposal.
inline constexpr std::string_view kRetentionActor = "retention";

struct RetentionSettings {
  RetentionDefaults defaults;
  // Units (accounts, sections, memberships, email hashes) deleted per transaction.
  std::size_t batch_size = 1000;
  // Named in certificates: the config's `retention.instance`, or the host name.
  std::string instance;
};

// The settings the `retention:` section gives; the instance defaults to the host name.
RetentionSettings retention_settings(const config::RetentionConfig& config);

// "district <id>", or "the platform scope" (accounts of no district): for logs and output.
std::string disposal_scope_name(const store::DisposalScope& scope);

struct RetentionReport {
  // Jobs this run completed (resumed ones included), oldest first.
  std::vector<store::DisposalJob> completed;
  // Jobs left unfinished because a stop was requested.
  std::vector<store::DisposalJob> interrupted;
};

class RetentionEngine {
 public:
  RetentionEngine(store::DirectiveStore& store, store::AccountStore& accounts,
                  session::RevocationService& revocations, store::AuditLog& audit,
                  CertificateSigner& signer, RetentionSettings settings,
                  const sdk::Clock& clock);

  // Resumes every unfinished job, then starts and runs a job for each rule due at `now` that
  // has something to delete (a rule with nothing to delete creates no job and no certificate);
  // for one district, or for all when `district_id` is empty. Rules in order: after
  // revocation, delete all by, after leaving roster, inactive, partial entries. A run for all
  // then does the platform scope (platform_due); a run for one district neither starts nor
  // resumes it. Afterwards the write-ahead log is checkpointed so deleted rows do not linger
  // in it.
  sdk::Result<RetentionReport> run(std::chrono::system_clock::time_point now,
                                   std::string_view district_id = {});

  // What `run` would start at `now` for the district (empty when nothing is due).
  sdk::Result<std::vector<store::DisposalScope>> due(std::string_view district_id,
                                                     std::chrono::system_clock::time_point now);

  // What `run` would start at `now` for the platform scope: with the configured
  // `default_inactive_days`, the accounts of no district whose last sign-in (or creation, if
  // none) is that many days old, under rule `inactive` with no directive version; else nothing.
  sdk::Result<std::vector<store::DisposalScope>> platform_due(
      std::chrono::system_clock::time_point now);

  // Makes a run under way stop at its next batch boundary (its job resumes next time).
  void request_stop() noexcept { stopping_.store(true); }

  // Batches one run of a job may run before returning to the caller; tests use it to stop a
  // job mid-way as a kill would.
  void set_batch_limit_for_test(std::size_t batches) noexcept { batch_limit_ = batches; }

 private:
  // The scopes that cover something not held.
  sdk::Result<std::vector<store::DisposalScope>> keep_due(std::vector<store::DisposalScope> scopes);
  // True when the job completed.
  sdk::Result<bool> drive(store::DisposalJob& job);
  sdk::Result<store::IssuedCertificate> certify(const store::DisposalJob& job);
  sdk::Result<void> audit_completed();
  sdk::Result<void> end_sessions(const std::vector<std::string>& account_ids);

  store::DirectiveStore& store_;
  store::AccountStore& accounts_;
  session::RevocationService& revocations_;
  store::AuditLog& audit_;
  CertificateSigner& signer_;
  RetentionSettings settings_;
  const sdk::Clock& clock_;
  std::atomic<bool> stopping_{false};
  std::size_t batch_limit_ = 0;  // 0: no limit
  // One run at a time in this process (the scheduler and the admin API's "run now").
  std::mutex run_mutex_;
};

// Runs the engine at start (resuming a job a killed process left) and then every `interval`,
// on its own thread.
class RetentionScheduler {
 public:
  RetentionScheduler(RetentionEngine& engine, std::chrono::seconds interval,
                     const sdk::Clock& clock);
  ~RetentionScheduler();
  RetentionScheduler(const RetentionScheduler&) = delete;
  RetentionScheduler& operator=(const RetentionScheduler&) = delete;

  void start();
  // Stops a run under way at its next batch boundary and waits for the thread.
  void stop();

 private:
  void loop();

  RetentionEngine& engine_;
  std::chrono::seconds interval_;
  const sdk::Clock& clock_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace lmsgw::directives
