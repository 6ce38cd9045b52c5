// Retention runs the admin API asks for ("run now"): queued and run one after another on a
// thread of their own, so the request is answered 202 at once. A run deletes as much as the
// directive says is due, seconds for a large district, and waits for a scheduled run under way
// (the engine runs one at a time), so it must not hold a worker of the HTTP server meanwhile.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "directives/retention_engine.h"
#include "lmsgw/sdk/context.h"

namespace lmsgw::admin {

class AdminRetentionRunner {
 public:
  AdminRetentionRunner(directives::RetentionEngine& engine, const sdk::Clock& clock);
  ~AdminRetentionRunner();
  AdminRetentionRunner(const AdminRetentionRunner&) = delete;
  AdminRetentionRunner& operator=(const AdminRetentionRunner&) = delete;

  // Queues a run for `district_id` (empty: every district). False when a run that covers it is
  // already queued or running here, or the runner is stopping.
  bool request(std::string_view district_id);
  // Whether a run that covers `district_id` (a run of it, or of every district) is queued or
  // running here.
  bool pending(std::string_view district_id);
  // Stops a run under way at its next batch boundary (its job resumes at the next run), drops
  // the queue and waits for the thread.
  void stop();

 private:
  void loop();

  directives::RetentionEngine& engine_;
  const sdk::Clock& clock_;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::string> queue_;
  // Queued or running here ("" for every district).
  std::set<std::string, std::less<>> pending_;
  std::thread thread_;
};

}  // namespace lmsgw::admin
