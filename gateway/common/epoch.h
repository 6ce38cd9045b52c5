// Epoch-based reclamation, so that hot-path readers of shared data take no lock and do no
// read-modify-write on shared memory. A reader announces the epoch it entered in its own
// cache line; a writer that unlinks an object retires it with the current epoch and frees it
// only when no reader who might still hold it is inside a read section.
//
// Rules for users: publish new data with a seq_cst store before retiring the old; read the
// published pointer only inside a ReadGuard; never keep a raw pointer past the guard.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace lmsgw::epoch {

class Domain {
 public:
  // Threads that may ever be inside a read section at once (I/O, workers, tests).
  static constexpr std::size_t kMaxThreads = 1024;

  Domain();
  // Frees everything still retired. Precondition: no reader is inside a section.
  ~Domain();
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  class ReadGuard {
   public:
    explicit ReadGuard(const Domain& domain) noexcept;
    ~ReadGuard();
    ReadGuard(const ReadGuard&) = delete;
    ReadGuard& operator=(const ReadGuard&) = delete;

   private:
    std::atomic<std::uint64_t>* slot_;
    bool nested_;
  };

  // Frees `object` with `deleter` once it is safe; may free other retired objects now.
  void retire(void* object, void (*deleter)(void*));
  template <class T>
  void retire(const T* object) {
    retire(const_cast<T*>(object), [](void* pointer) { delete static_cast<T*>(pointer); });
  }

  // Objects retired and not yet freed (for tests and metrics).
  std::size_t pending() const;

 private:
  struct alignas(64) Slot {
    // 0: not in a read section; otherwise the epoch the reader entered with.
    std::atomic<std::uint64_t> epoch{0};
  };
  struct Retired {
    void* object;
    void (*deleter)(void*);
    std::uint64_t epoch;
  };

  void reclaim_locked();

  mutable std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> global_{1};
  mutable std::mutex retired_mutex_;
  std::vector<Retired> retired_;
};

}  // namespace lmsgw::epoch
