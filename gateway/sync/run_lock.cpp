#include "sync/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace lmsgw::sync {

sdk::Result<RunLock> RunLock::acquire(const std::string& database_path,
                                      std::string_view connection_id) {
  const std::string path = database_path + "-sync-" + std::string(connection_id) + ".lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return sdk::Error{sdk::ErrorCode::internal,
                      "sync: cannot open the run lock " + path + ": " + std::strerror(errno)};
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return sdk::Error{
          sdk::ErrorCode::invalid_request,
          "sync: a run of connection " + std::string(connection_id) + " is already in progress"};
    }
    return sdk::Error{sdk::ErrorCode::internal,
                      "sync: cannot lock " + path + ": " + std::strerror(error)};
  }
  return RunLock(fd);
}

RunLock::RunLock(RunLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

RunLock::~RunLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

}  // namespace lmsgw::sync
