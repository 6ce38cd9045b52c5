// Runs each scheduled sync connection every `schedule` interval, on one background thread of
// its own (never an I/O or worker thread): runs happen one after another, so a connection
// never has two at once in this process (the run lock covers other processes). A connection's
// next run is due `interval` after its last run started, whoever started it (an lmsgwctl run
// counts), and at once if it never ran.
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "config/gateway_config.h"
#include "lmsgw/sdk/context.h"
#include "lmsgw/sdk/sync_plugin.h"
#include "store/roster_store.h"
#include "sync/sync_engine.h"

namespace lmsgw::sync {

struct ScheduledConnection {
  const config::SyncConnectionConfig* config;
  std::shared_ptr<sdk::SyncPlugin> plugin;
};

class SyncScheduler {
 public:
  SyncScheduler(SyncEngine& engine, store::RosterStore& roster, const sdk::Clock& clock,
                std::vector<ScheduledConnection> connections);
  ~SyncScheduler();
  SyncScheduler(const SyncScheduler&) = delete;
  SyncScheduler& operator=(const SyncScheduler&) = delete;

  void start();
  // Asks a run under way to end at its next batch boundary (it resumes at the next start)
  // and waits for the thread.
  void stop();

 private:
  void loop();
  // The connection due first and how long until it is due.
  std::pair<std::size_t, std::chrono::system_clock::duration> next_due();

  SyncEngine& engine_;
  store::RosterStore& roster_;
  const sdk::Clock& clock_;
  std::vector<ScheduledConnection> connections_;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace lmsgw::sync
