// The reading half of a sync run: one thread that reads batch after batch, each from the cursor
// the one before gave, and keeps a few of them queued for the writing thread. Writing is bursty
// (a group's enrollments are written all at once when it commits), so with a single batch read
// ahead the reader would sit idle through each burst and the writer then wait for it.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "lmsgw/sdk/result.h"
#include "lmsgw/sdk/sync_plugin.h"

namespace lmsgw::sync {

template <class Batch>
class ReadAhead {
 public:
  // Reads one batch. Called on the reading thread only, so a plugin is called by one thread at a
  // time.
  using Read = std::function<sdk::Result<Batch>(const sdk::SyncRequest&)>;
  // The request that follows a batch, or nullopt when the batch ends the read.
  using Follow = std::function<std::optional<sdk::SyncRequest>(const Batch&)>;

  ReadAhead(Read read, Follow follow, sdk::SyncRequest first, std::size_t depth)
      : read_(std::move(read)),
        follow_(std::move(follow)),
        depth_(depth),
        thread_([this, first = std::move(first)]() mutable { loop(std::move(first)); }) {}
  ~ReadAhead() { stop(); }
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // The next batch in order, waiting for it if need be. After a failed read or the batch that
  // ended the read, there is none: an error says so.
  sdk::Result<Batch> next() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || done_; });
    if (ready_.empty()) {
      return sdk::Error{sdk::ErrorCode::internal, "sync: the read already ended"};
    }
    sdk::Result<Batch> out = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return out;
  }

  // A batch the writer is done with: the reading thread, which allocated it, frees it (freeing
  // another thread's allocations cost the busier writing thread a tenth of its time).
  void recycle(Batch spent) {
    std::lock_guard lock(mutex_);
    spent_.push_back(std::move(spent));
  }

  // Reads nothing more; a read under way finishes first. Batches read ahead and not applied
  // are read again by the next run, from the persisted cursor.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop(sdk::SyncRequest request) {
    for (;;) {
      std::vector<Batch> spent;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || ready_.size() < depth_; });
        if (stopping_) break;
        spent.swap(spent_);
      }
      spent.clear();
      sdk::Result<Batch> result = read_(request);
      std::optional<sdk::SyncRequest> following;
      if (result) following = follow_(*result);
      {
        std::lock_guard lock(mutex_);
        ready_.push_back(std::move(result));
        done_ = !following.has_value();
      }
      changed_.notify_all();
      if (!following) return;
      request = std::move(*following);
    }
    std::lock_guard lock(mutex_);
    done_ = true;
  }

  Read read_;
  Follow follow_;
  std::size_t depth_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<sdk::Result<Batch>> ready_;
  std::vector<Batch> spent_;
  bool stopping_ = false;
  bool done_ = false;
  // Last: the thread starts once everything it uses exists.
  std::thread thread_;
};

}  // namespace lmsgw::sync
