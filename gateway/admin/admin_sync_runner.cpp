#include "admin/admin_sync_runner.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "sync/run_lock.h"

namespace lmsgw::admin {

AdminSyncRunner::AdminSyncRunner(sync::SyncEngine& engine,
                                 std::vector<sync::ScheduledConnection> connections,
                                 std::string database_path)
    : engine_(engine),
      connections_(std::move(connections)),
      database_path_(std::move(database_path)) {}

AdminSyncRunner::~AdminSyncRunner() { stop(); }

std::vector<std::string> AdminSyncRunner::connections_of(std::string_view district_id) const {
  std::vector<std::string> ids;
  for (const sync::ScheduledConnection& connection : connections_) {
    const auto districts = sync::connection_districts(*connection.config);
    if (std::find(districts.begin(), districts.end(), district_id) != districts.end()) {
      ids.push_back(connection.config->id);
    }
  }
  return ids;
}

AdminSyncRunner::Requested AdminSyncRunner::request(std::string_view district_id) {
  Requested requested;
  const std::vector<std::string> ids = connections_of(district_id);
  std::lock_guard lock(mutex_);
  if (stopping_.load()) {
    requested.already_running = ids;
    return requested;
  }
  for (std::size_t i = 0; i < connections_.size(); ++i) {
    const std::string& id = connections_[i].config->id;
    if (std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    // Taking the lock for a moment tells whether another run holds it now; if one starts
    // between this probe and our run, the engine refuses ours and the log says so.
    if (pending_.contains(i) || !sync::RunLock::acquire(database_path_, id)) {
      requested.already_running.push_back(id);
      continue;
    }
    pending_.insert(i);
    queue_.push_back(i);
    requested.queued.push_back(id);
  }
  if (!requested.queued.empty()) {
    if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
    wake_.notify_one();
  }
  return requested;
}

void AdminSyncRunner::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_.store(true);
    queue_.clear();
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AdminSyncRunner::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_.load() || !queue_.empty(); });
    if (stopping_.load()) return;
    const std::size_t index = queue_.front();
    queue_.pop_front();
    lock.unlock();
    const sync::ScheduledConnection& connection = connections_[index];
    sync::RunRequest run_request;
    run_request.trigger = store::SyncTrigger::manual;
    run_request.stop = &stopping_;
    auto run = engine_.run(*connection.config, *connection.plugin, run_request);
    if (!run) {
      spdlog::warn("admin: requested sync run of {} did not start: {}", connection.config->id,
                   run.error().detail);
    }
    lock.lock();
    pending_.erase(index);
  }
}

}  // namespace lmsgw::admin
