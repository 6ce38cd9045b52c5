#include "common/epoch.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace lmsgw::epoch {
namespace {

// Slot indices are per thread and shared by every domain; a thread returns its index when it
// exits, so a long-running process with short-lived threads never runs out.
class ThreadIndices {
 public:
  static ThreadIndices& instance() {
    static ThreadIndices indices;
    return indices;
  }
  std::size_t acquire() {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      const std::size_t index = free_.back();
      free_.pop_back();
      return index;
    }
    if (next_ == Domain::kMaxThreads) {
      std::fputs("fatal: more threads than epoch::Domain::kMaxThreads entered read sections\n",
                 stderr);
      std::abort();
    }
    high_water_.store(next_ + 1, std::memory_order_release);
    return next_++;
  }
  void release(std::size_t index) {
    std::lock_guard lock(mutex_);
    free_.push_back(index);
  }
  std::size_t high_water() const noexcept { return high_water_.load(std::memory_order_acquire); }

 private:
  std::mutex mutex_;
  std::vector<std::size_t> free_;
  std::size_t next_ = 0;
  std::atomic<std::size_t> high_water_{0};
};

struct ThreadIndex {
  std::size_t value = ThreadIndices::instance().acquire();
  ~ThreadIndex() { ThreadIndices::instance().release(value); }
};

std::size_t this_thread_index() {
  thread_local const ThreadIndex index;
  return index.value;
}

}  // namespace

Domain::Domain() : slots_(new Slot[kMaxThreads]) {}

Domain::~Domain() {
  for (const Retired& item : retired_) item.deleter(item.object);
}

Domain::ReadGuard::ReadGuard(const Domain& domain) noexcept
    : slot_(&domain.slots_[this_thread_index()].epoch) {
  nested_ = slot_->load(std::memory_order_relaxed) != 0;
  // seq_cst: the announcement must be visible before this thread reads any published pointer.
  if (!nested_)
    slot_->store(domain.global_.load(std::memory_order_relaxed), std::memory_order_seq_cst);
}

Domain::ReadGuard::~ReadGuard() {
  if (!nested_) slot_->store(0, std::memory_order_release);
}

void Domain::retire(void* object, void (*deleter)(void*)) {
  // The object was unlinked before this point; readers who enter from now on cannot reach it.
  const std::uint64_t epoch = global_.fetch_add(1, std::memory_order_seq_cst);
  std::lock_guard lock(retired_mutex_);
  retired_.push_back(Retired{object, deleter, epoch});
  reclaim_locked();
}

void Domain::reclaim_locked() {
  // An object retired at epoch e is safe once every reader in a section entered after e.
  std::uint64_t oldest_reader = std::numeric_limits<std::uint64_t>::max();
  const std::size_t threads = ThreadIndices::instance().high_water();
  for (std::size_t i = 0; i < threads; ++i) {
    const std::uint64_t entered = slots_[i].epoch.load(std::memory_order_seq_cst);
    if (entered != 0) oldest_reader = std::min(oldest_reader, entered);
  }
  auto still_visible = std::partition(retired_.begin(), retired_.end(), [&](const Retired& item) {
    return item.epoch >= oldest_reader;
  });
  for (auto it = still_visible; it != retired_.end(); ++it) it->deleter(it->object);
  retired_.erase(still_visible, retired_.end());
}

std::size_t Domain::pending() const {
  std::lock_guard lock(retired_mutex_);
  return retired_.size();
}

}  // namespace lmsgw::epoch
