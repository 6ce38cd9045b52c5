#include "sync/sync_scheduler.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

namespace lmsgw::sync {
namespace {

// Due times are read again at least this often: a run lmsgwctl started moves them.
constexpr auto kRecheck = std::chrono::seconds(60);
// After a failure to read the store, wait before asking again.
constexpr auto kStoreRetry = std::chrono::seconds(30);

}  // namespace

SyncScheduler::SyncScheduler(SyncEngine& engine, store::RosterStore& roster,
                             const sdk::Clock& clock, std::vector<ScheduledConnection> connections)
    : engine_(engine), roster_(roster), clock_(clock), connections_(std::move(connections)) {
  std::erase_if(connections_,
                [](const ScheduledConnection& c) { return !c.config->interval.has_value(); });
}

SyncScheduler::~SyncScheduler() { stop(); }

void SyncScheduler::start() {
  if (connections_.empty() || thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void SyncScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::pair<std::size_t, std::chrono::system_clock::duration> SyncScheduler::next_due() {
  const auto now = clock_.now();
  std::size_t best = 0;
  auto best_wait = std::chrono::system_clock::duration::max();
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    auto last = roster_.last_run_started(connections_[i].config->id);
    std::chrono::system_clock::duration wait = kStoreRetry;
    if (!last) {
      spdlog::warn("sync: reading the last run of {} failed", connections_[i].config->id);
    } else {
      wait = *last ? **last + *connections_[i].config->interval - now
                   : std::chrono::system_clock::duration::zero();
    }
    if (wait < best_wait) {
      best_wait = wait;
      best = i;
    }
  }
  return {best, best_wait};
}

void SyncScheduler::loop() {
  while (!stopping_.load()) {
    const auto [index, wait] = next_due();
    if (wait > std::chrono::system_clock::duration::zero()) {
      std::unique_lock lock(mutex_);
      const auto nap = std::min<std::chrono::system_clock::duration>(wait, kRecheck);
      wake_.wait_for(lock, nap, [this] { return stopping_.load(); });
      continue;
    }
    const ScheduledConnection& connection = connections_[index];
    RunRequest request;
    request.trigger = store::SyncTrigger::schedule;
    request.stop = &stopping_;
    auto run = engine_.run(*connection.config, *connection.plugin, request);
    if (!run) {
      // Another process holds the run (or the store is away): try again after a while.
      spdlog::warn("sync: scheduled run of {} did not start: {}", connection.config->id,
                   run.error().detail);
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, kStoreRetry, [this] { return stopping_.load(); });
    }
  }
}

}  // namespace lmsgw::sync
