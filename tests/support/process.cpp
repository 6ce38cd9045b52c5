#include "tests/support/process.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace lmsgw::testing {

ChildProcess::ChildProcess(std::filesystem::path program, std::vector<std::string> arguments,
                           std::filesystem::path output_file,
                           std::map<std::string, std::string> environment)
    : output_file_(std::move(output_file)) {
  std::vector<std::string> argv_storage;
  argv_storage.push_back(program.string());
  for (auto& argument : arguments) argv_storage.push_back(std::move(argument));
  std::vector<char*> argv;
  for (auto& argument : argv_storage) argv.push_back(argument.data());
  argv.push_back(nullptr);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry != nullptr; ++entry) env_storage.emplace_back(*entry);
  for (const auto& [name, value] : environment) env_storage.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& entry : env_storage) envp.push_back(entry.data());
  envp.push_back(nullptr);

  const int output = ::open(output_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (output < 0) throw std::runtime_error("cannot open " + output_file_.string());
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(output);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) {
    ::dup2(output, STDOUT_FILENO);
    ::dup2(output, STDERR_FILENO);
    ::execve(argv[0], argv.data(), envp.data());
    const char* message = "exec failed\n";
    (void)!::write(STDERR_FILENO, message, std::strlen(message));
    ::_exit(127);
  }
  ::close(output);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !exit_code_) stop(SIGTERM);
}

bool ChildProcess::running() {
  if (exit_code_) return false;
  int status = 0;
  const pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == 0) return true;
  exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return false;
}

std::optional<int> ChildProcess::wait_for_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return exit_code_;
}

int ChildProcess::stop(int signal, std::chrono::milliseconds timeout) {
  if (!running()) return *exit_code_;
  ::kill(pid_, signal);
  if (auto code = wait_for_exit(timeout)) return *code;
  ::kill(pid_, SIGKILL);
  return wait_for_exit(std::chrono::seconds(10)).value_or(-1);
}

std::string ChildProcess::output() const { return read_file(output_file_); }

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

namespace {

// The start of the kernel's ephemeral range, where it picks ports for port 0 and for outgoing
// connections.
int lowest_ephemeral_port() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  int low = 32768;
  in >> low;
  return low;
}

bool can_listen_on(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

}  // namespace

// Ports come from below the ephemeral range: a port inside it may be taken by any test's outgoing
// connection between this probe and the server's bind, which made servers fail to start under a
// parallel suite. 10000-15999 is left to the demo smoke test (tests/e2e/demo_smoke.sh). Ports
// handed out once are never handed out again by this process.
std::uint16_t free_port() {
  constexpr int kLowestPort = 16000;
  static std::mutex mutex;
  static std::set<std::uint16_t> handed_out;
  static std::mt19937 random{std::random_device{}()};
  const std::lock_guard lock(mutex);
  // A machine whose ephemeral range starts low still gets a thousand ports to pick from.
  const int highest_port = std::max(lowest_ephemeral_port() - 1, kLowestPort + 999);
  std::uniform_int_distribution<int> pick(kLowestPort, highest_port);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const auto port = static_cast<std::uint16_t>(pick(random));
    if (handed_out.contains(port) || !can_listen_on(port)) continue;
    handed_out.insert(port);
    return port;
  }
  throw std::runtime_error("cannot find a free port");
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

void write_file(const std::filesystem::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

}  // namespace lmsgw::testing
