// Starts the real executables (gateway, fake providers) as child processes for integration
// tests, with their output in a file, and stops them on destruction.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace lmsgw::testing {

class ChildProcess {
 public:
  // Starts `program` with `arguments`; stdout and stderr go to `output_file`. Extra
  // environment variables are added to the test's own. Throws when fork/exec fails.
  ChildProcess(std::filesystem::path program, std::vector<std::string> arguments,
               std::filesystem::path output_file,
               std::map<std::string, std::string> environment = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  // True while the process has not exited.
  bool running();
  // Sends `signal` and waits up to `timeout` for the exit; SIGKILL after that. Returns the
  // exit code (or 128 + signal number when killed by a signal).
  int stop(int signal, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits for the process to exit on its own; nullopt on timeout.
  std::optional<int> wait_for_exit(std::chrono::milliseconds timeout);
  // Everything the process wrote so far.
  std::string output() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
  std::filesystem::path output_file_;
};

// Polls `condition` every 20 ms until it holds or `timeout` passes.
bool eventually(const std::function<bool()>& condition,
                std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago, below the kernel's ephemeral range.
std::uint16_t free_port();

// The whole file as bytes ("" when it does not exist).
std::string read_file(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, std::string_view content);

}  // namespace lmsgw::testing
