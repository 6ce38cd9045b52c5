#include "admin/admin_retention_runner.h"

#include <utility>

#include <spdlog/spdlog.h>

namespace lmsgw::admin {

AdminRetentionRunner::AdminRetentionRunner(directives::RetentionEngine& engine,
                                           const sdk::Clock& clock)
    : engine_(engine), clock_(clock) {}

AdminRetentionRunner::~AdminRetentionRunner() { stop(); }

bool AdminRetentionRunner::request(std::string_view district_id) {
  const std::lock_guard lock(mutex_);
  if (stopping_ || pending_.contains(district_id) || pending_.contains("")) return false;
  pending_.emplace(district_id);
  queue_.emplace_back(district_id);
  if (!thread_.joinable()) thread_ = std::thread([this] { loop(); });
  wake_.notify_one();
  return true;
}

bool AdminRetentionRunner::pending(std::string_view district_id) {
  const std::lock_guard lock(mutex_);
  return pending_.contains(district_id) || pending_.contains("");
}

void AdminRetentionRunner::stop() {
  {
    const std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    queue_.clear();
  }
  // The engine's stop is for good: it is only asked at shutdown, when a run is under way here.
  if (thread_.joinable()) engine_.request_stop();
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AdminRetentionRunner::loop() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::string district = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    auto ran = engine_.run(clock_.now(), district);
    if (!ran) {
      spdlog::error("admin: requested retention run failed: {}", ran.error().detail);
    } else {
      for (const store::DisposalJob& job : ran->completed) {
        spdlog::info("admin: disposal job {} of {} completed (certificate {})", job.id,
                     directives::disposal_scope_name(job.scope), job.certificate_id.value_or(""));
      }
    }
    lock.lock();
    pending_.erase(district);
  }
}

}  // namespace lmsgw::admin
