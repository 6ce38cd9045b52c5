// One run per sync connection at a time, across threads and processes (the gateway's
// scheduler and an operator's lmsgwctl): an exclusive flock(2) on a file beside the database.
// The kernel releases it when its holder dies, so a killed run never blocks the next one.
#pragma once

#include <string>
#include <string_view>

#include "lmsgw/sdk/result.h"

namespace lmsgw::sync {

class RunLock {
 public:
  // Fails with invalid_request when another run of the connection holds the lock.
  static sdk::Result<RunLock> acquire(const std::string& database_path,
                                      std::string_view connection_id);

  RunLock(RunLock&& other) noexcept;
  RunLock& operator=(RunLock&&) = delete;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

 private:
  explicit RunLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace lmsgw::sync
