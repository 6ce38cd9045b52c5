#include "directives/retention_engine.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "common/crypto.h"
#include "common/time.h"

namespace lmsgw::directives {
namespace {

using std::chrono::system_clock;

constexpr auto kDay = std::chrono::days(1);

system_clock::time_point midnight_utc(sdk::CivilDate date) {
  const std::chrono::year_month_day ymd{std::chrono::year(date.year),
                                        std::chrono::month(date.month),
                                        std::chrono::day(date.day)};
  return std::chrono::sys_days(ymd);
}

sdk::CivilDate date_days_before(system_clock::time_point now, int days) {
  return time::civil_date_utc(now - days * kDay);
}

// After a failed run, wait before trying again.
constexpr auto kRetryAfterFailure = std::chrono::seconds(60);

}  // namespace

RetentionSettings retention_settings(const config::RetentionConfig& config) {
  RetentionSettings settings{RetentionDefaults{config.default_inactive_days,
                                               config.after_revocation_days},
                             config.batch_size, config.instance};
  if (settings.instance.empty()) {
    std::array<char, 256> host{};
    settings.instance =
        gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "lms-gateway";
  }
  return settings;
}

std::string disposal_scope_name(const store::DisposalScope& scope) {
  return scope.district_id.empty() ? "the platform scope" : "district " + scope.district_id;
}

RetentionEngine::RetentionEngine(store::DirectiveStore& store, store::AccountStore& accounts,
                                 session::RevocationService& revocations, store::AuditLog& audit,
                                 CertificateSigner& signer, RetentionSettings settings,
                                 const sdk::Clock& clock)
    : store_(store),
      accounts_(accounts),
      revocations_(revocations),
      audit_(audit),
      signer_(signer),
      settings_(std::move(settings)),
      clock_(clock) {}

sdk::Result<std::vector<store::DisposalScope>> RetentionEngine::due(
    std::string_view district_id, system_clock::time_point now) {
  std::vector<store::DisposalScope> scopes;
  auto current = store_.current_directive(district_id);
  if (!current) return current.error();
  std::optional<Directive> written;
  std::optional<std::int64_t> version;
  if (*current) {
    auto parsed = parse_stored_directive((*current)->document);
    if (!parsed) return parsed.error();
    written = std::move(*parsed);
    version = (*current)->version;
  }
  const Directive directive = effective_directive(written, settings_.defaults);
  const auto scope = [&](store::DisposalRule rule, std::vector<store::DisposalCategory> what) {
    store::DisposalScope out;
    out.district_id = std::string(district_id);
    out.rule = rule;
    out.categories = std::move(what);
    out.directive_version = version;
    return out;
  };
  const std::vector<store::DisposalCategory> everything = {store::DisposalCategory::accounts,
                                                           store::DisposalCategory::sections};

  auto withdrawal = accounts_.district_withdrawal(district_id);
  if (!withdrawal) return withdrawal.error();
  if (*withdrawal && directive.after_revocation_days &&
      now >= (*withdrawal)->revoked_at + *directive.after_revocation_days * kDay) {
    scopes.push_back(scope(store::DisposalRule::after_revocation, everything));
  }
  if (directive.delete_all_by && now >= midnight_utc(*directive.delete_all_by)) {
    scopes.push_back(scope(store::DisposalRule::delete_all_by, everything));
  }
  if (directive.after_leaving_roster_days) {
    auto leaving = scope(store::DisposalRule::after_leaving_roster,
                         {store::DisposalCategory::accounts});
    leaving.left_on_or_before = date_days_before(now, *directive.after_leaving_roster_days);
    scopes.push_back(std::move(leaving));
  }
  if (directive.inactive_days) {
    auto inactive = scope(store::DisposalRule::inactive, {store::DisposalCategory::accounts});
    inactive.inactive_since = now - *directive.inactive_days * kDay;
    scopes.push_back(std::move(inactive));
  }
  if (version) {
    const sdk::CivilDate today = time::civil_date_utc(now);
    for (std::size_t i = 0; i < directive.partial.size(); ++i) {
      const PartialDisposal& entry = directive.partial[i];
      if (entry.by && today < *entry.by) continue;
      auto done = store_.partial_entry_completed(district_id, *version,
                                                 static_cast<std::int64_t>(i));
      if (!done) return done.error();
      if (*done) continue;
      auto partial = scope(store::DisposalRule::partial, entry.categories);
      partial.partial_entry = static_cast<std::int64_t>(i);
      scopes.push_back(std::move(partial));
    }
  }
  return keep_due(std::move(scopes));
}

sdk::Result<std::vector<store::DisposalScope>> RetentionEngine::platform_due(
    system_clock::time_point now) {
  std::vector<store::DisposalScope> scopes;
  if (settings_.defaults.inactive_days) {
    // Measured as a district's `inactive` rule: from the last sign-in, or the creation.
    store::DisposalScope inactive;
    inactive.rule = store::DisposalRule::inactive;
    inactive.categories = {store::DisposalCategory::accounts};
    inactive.inactive_since = now - *settings_.defaults.inactive_days * kDay;
    scopes.push_back(std::move(inactive));
  }
  return keep_due(std::move(scopes));
}

sdk::Result<std::vector<store::DisposalScope>> RetentionEngine::keep_due(
    std::vector<store::DisposalScope> scopes) {
  std::vector<store::DisposalScope> with_work;
  for (store::DisposalScope& candidate : scopes) {
    auto has_work = store_.disposal_due(candidate);
    if (!has_work) return has_work.error();
    if (*has_work) with_work.push_back(std::move(candidate));
  }
  return with_work;
}

sdk::Result<RetentionReport> RetentionEngine::run(system_clock::time_point now,
                                                  std::string_view district_id) {
  const std::lock_guard lock(run_mutex_);
  RetentionReport report;
  const auto drive_all = [&](std::vector<store::DisposalJob> jobs) -> sdk::Result<void> {
    for (store::DisposalJob& job : jobs) {
      auto completed = drive(job);
      if (!completed) return completed.error();
      (*completed ? report.completed : report.interrupted).push_back(std::move(job));
      if (!*completed) return {};
    }
    return {};
  };

  auto unfinished = store_.unfinished_jobs(district_id);
  if (!unfinished) return unfinished.error();
  if (auto resumed = drive_all(std::move(*unfinished)); !resumed) return resumed.error();

  std::vector<std::string> districts;
  if (district_id.empty()) {
    auto all = store_.districts();
    if (!all) return all.error();
    districts = std::move(*all);
  } else {
    districts.emplace_back(district_id);
  }
  // Each district's due rules, then (in a run over all) the platform scope's.
  std::vector<std::optional<std::string>> targets(districts.begin(), districts.end());
  if (district_id.empty()) targets.emplace_back();
  for (const std::optional<std::string>& target : targets) {
    if (!report.interrupted.empty()) break;
    auto scopes = target ? due(*target, now) : platform_due(now);
    if (!scopes) return scopes.error();
    for (const store::DisposalScope& scope : *scopes) {
      if (!report.interrupted.empty()) break;
      // An earlier rule of this run may have taken everything this one covered.
      auto has_work = store_.disposal_due(scope);
      if (!has_work) return has_work.error();
      if (!*has_work) continue;
      auto started = store_.start_job(scope, clock_.now());
      if (!started) return started.error();
      if (!*started) continue;  // another process runs it
      std::vector<store::DisposalJob> one;
      one.push_back(std::move(**started));
      if (auto ran = drive_all(std::move(one)); !ran) return ran.error();
    }
  }
  if (auto audited = audit_completed(); !audited) return audited.error();
  if (!report.completed.empty()) {
    if (auto checkpointed = store_.checkpoint(); !checkpointed) return checkpointed.error();
  }
  return report;
}

sdk::Result<void> RetentionEngine::end_sessions(const std::vector<std::string>& account_ids) {
  for (const std::string& account_id : account_ids) {
    if (auto revoked = revocations_.revoke_account(account_id, kRetentionActor); !revoked) {
      return revoked.error();
    }
  }
  return {};
}

sdk::Result<bool> RetentionEngine::drive(store::DisposalJob& job) {
  // A withdrawn district's sessions all ended when it was withdrawn, and none can start since:
  // its accounts need no revocation each. Accounts of no district always do.
  bool revoke_each = true;
  if (!job.scope.district_id.empty()) {
    auto withdrawal = accounts_.district_withdrawal(job.scope.district_id);
    if (!withdrawal) return withdrawal.error();
    revoke_each = !withdrawal->has_value();
  }
  const store::Certify certify_job = [this](const store::DisposalJob& completed) {
    return certify(completed);
  };
  for (std::size_t batches = 0;; ++batches) {
    if (stopping_.load() || (batch_limit_ != 0 && batches >= batch_limit_)) return false;
    std::set<std::string, std::less<>> revoked;
    if (revoke_each) {
      auto with_sessions = store_.next_accounts_with_sessions(job.scope, settings_.batch_size);
      if (!with_sessions) return with_sessions.error();
      if (auto ended = end_sessions(*with_sessions); !ended) return ended.error();
      revoked.insert(with_sessions->begin(), with_sessions->end());
    }
    auto batch = store_.dispose_batch(job.id, settings_.batch_size, clock_.now(), certify_job);
    if (!batch) return batch.error();
    job = batch->job;
    if (revoke_each) {
      // Sessions that began between the revocation and the batch.
      std::vector<std::string> late;
      for (const std::string& id : batch->sessions_deleted_of) {
        if (!revoked.contains(id)) late.push_back(id);
      }
      if (auto ended = end_sessions(late); !ended) return ended.error();
    }
    if (batch->finished) return true;
  }
}

sdk::Result<store::IssuedCertificate> RetentionEngine::certify(const store::DisposalJob& job) {
  store::IssuedCertificate issued;
  issued.id = "cert_" + crypto::random_token(16);
  issued.issued_at = clock_.now();
  const auto document = certificate_document(job, issued.id, settings_.instance, issued.issued_at);
  auto signed_jws = signer_.sign(boost::json::serialize(document));
  if (!signed_jws) return signed_jws.error();
  issued.jws = std::move(*signed_jws);
  return issued;
}

sdk::Result<void> RetentionEngine::audit_completed() {
  auto pending = store_.unaudited_jobs();
  if (!pending) return pending.error();
  for (const store::DisposalJob& job : *pending) {
    store::AuditEvent event;
    event.at = job.finished_at.value_or(clock_.now());
    // The platform scope's event has no district (`lmsgwctl audit export --platform`).
    if (!job.scope.district_id.empty()) event.district_id = job.scope.district_id;
    event.actor = std::string(kRetentionActor);
    event.action = "disposal.completed";
    event.object = job.certificate_id.value_or("");
    event.counts = job.counts;
    event.counts.emplace_back("held_accounts", job.held_accounts);
    if (auto appended = audit_.append(event); !appended) return appended.error();
    if (auto marked = store_.mark_audited(job.id); !marked) return marked.error();
  }
  return {};
}

RetentionScheduler::RetentionScheduler(RetentionEngine& engine, std::chrono::seconds interval,
                                       const sdk::Clock& clock)
    : engine_(engine), interval_(interval), clock_(clock) {}

RetentionScheduler::~RetentionScheduler() { stop(); }

void RetentionScheduler::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void RetentionScheduler::stop() {
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  engine_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void RetentionScheduler::loop() {
  for (;;) {
    {
      const std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    auto ran = engine_.run(clock_.now());
    std::chrono::seconds wait = interval_;
    if (!ran) {
      spdlog::error("retention: run failed: {}", ran.error().detail);
      wait = std::min<std::chrono::seconds>(interval_, kRetryAfterFailure);
    } else {
      for (const store::DisposalJob& job : ran->completed) {
        spdlog::info("retention: disposal job {} of {} completed (certificate {})", job.id,
                     disposal_scope_name(job.scope), job.certificate_id.value_or(""));
      }
    }
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_; });
  }
}

}  // namespace lmsgw::directives
