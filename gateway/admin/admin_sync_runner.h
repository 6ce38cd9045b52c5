// Sync runs the admin API asks for ("run now"): queued and run one after another on a thread
// of their own, so the request is answered 202 at once. Two runs of one connection never
// overlap: a connection already queued here, or whose run lock another run holds (the
// scheduler, lmsgwctl), is reported as already running instead of queued.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "sync/sync_engine.h"
#include "sync/sync_scheduler.h"

namespace lmsgw::admin {

class AdminSyncRunner {
 public:
  AdminSyncRunner(sync::SyncEngine& engine, std::vector<sync::ScheduledConnection> connections,
                  std::string database_path);
  ~AdminSyncRunner();
  AdminSyncRunner(const AdminSyncRunner&) = delete;
  AdminSyncRunner& operator=(const AdminSyncRunner&) = delete;

  struct Requested {
    std::vector<std::string> queued;
    std::vector<std::string> already_running;
  };

  // The ids of the connections that write to `district_id`.
  std::vector<std::string> connections_of(std::string_view district_id) const;
  // Queues a run of every connection that writes to `district_id`.
  Requested request(std::string_view district_id);
  // Asks a run under way to end at its next batch boundary (it resumes at its next run),
  // drops the queue and waits for the thread.
  void stop();

 private:
  void loop();

  sync::SyncEngine& engine_;
  std::vector<sync::ScheduledConnection> connections_;
  std::string database_path_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::size_t> queue_;
  // Queued or running here, by index into connections_.
  std::set<std::size_t> pending_;
  std::thread thread_;
};

}  // namespace lmsgw::admin
