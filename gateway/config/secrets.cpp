#include "config/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string_view>
#include <utility>

#include "config/validators.h"

namespace lmsgw::config {
namespace {

constexpr std::string_view kEnvPrefix = "env:";
constexpr std::string_view kFilePrefix = "file:";
constexpr std::string_view kNotAReference = "secrets must be references (env:NAME or file:PATH)";

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

bool is_env_name(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  for (char c : name) {
    bool ok =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Closes the descriptor on every path out of read_secret_file.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

sdk::Result<sdk::Secret> read_secret_env(const sdk::ConfigNode& node, const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return node.error("environment variable " + name + " is not set");
  if (*value == '\0') return node.error("environment variable " + name + " is empty");
  return sdk::Secret(value);
}

sdk::Result<sdk::Secret> read_secret_file(const sdk::ConfigNode& node, const std::string& path) {
  // The checks run on the opened descriptor, so they apply to the file that is read.
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.get() < 0) {
    return node.error("cannot open secret file " + path + " (" + std::strerror(errno) + ")");
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return node.error("cannot inspect secret file " + path + " (" + std::strerror(errno) + ")");
  }
  if (!S_ISREG(info.st_mode)) return node.error("secret file " + path + " is not a regular file");
  if ((info.st_mode & S_IROTH) != 0) {
    return node.error("secret file " + path +
                      " is readable by others; restrict it (chmod o-r) before using it");
  }
  if (static_cast<std::size_t>(info.st_size) > SecretResolver::kMaxFileBytes) {
    return node.error("secret file " + path + " is larger than 64 KiB");
  }
  std::string value;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return node.error("cannot read secret file " + path + " (" + std::strerror(errno) + ")");
    }
    if (n == 0) break;
    value.append(buffer, static_cast<std::size_t>(n));
    if (value.size() > SecretResolver::kMaxFileBytes) {
      return node.error("secret file " + path + " is larger than 64 KiB");
    }
  }
  if (!value.empty() && value.back() == '\n') {
    value.pop_back();
    if (!value.empty() && value.back() == '\r') value.pop_back();
  }
  if (value.empty()) return node.error("secret file " + path + " is empty");
  return sdk::Secret(std::move(value));
}

}  // namespace

sdk::Result<void> check_secret_reference(const sdk::ConfigNode& node) {
  if (!node.is_scalar()) return node.error(kNotAReference);
  std::string_view text = node.text();
  if (starts_with(text, kEnvPrefix)) {
    if (!is_env_name(text.substr(kEnvPrefix.size()))) {
      return node.error("env: must be followed by an environment variable name");
    }
    return {};
  }
  if (starts_with(text, kFilePrefix)) {
    if (text.size() == kFilePrefix.size()) return node.error("file: must be followed by a path");
    return {};
  }
  return node.error(kNotAReference);
}

SecretResolver::SecretResolver(std::string base_directory)
    : base_directory_(std::move(base_directory)) {}

sdk::Result<sdk::Secret> SecretResolver::resolve(const sdk::ConfigNode& node) noexcept {
  try {
    if (auto form = check_secret_reference(node); !form) return form.error();
    std::string_view text = node.text();
    sdk::Result<sdk::Secret> secret =
        starts_with(text, kEnvPrefix)
            ? read_secret_env(node, std::string(text.substr(kEnvPrefix.size())))
            : read_secret_file(node, resolve_path(base_directory_,
                                                  std::string(text.substr(kFilePrefix.size()))));
    if (!secret) return secret.error();
    std::lock_guard lock(mutex_);
    resolved_.push_back(secret->reveal());
    return secret;
  } catch (const std::bad_alloc&) {
    return sdk::Error{sdk::ErrorCode::internal, "out of memory while resolving a secret"};
  } catch (const std::exception&) {
    return node.error("cannot resolve the secret");
  }
}

std::vector<std::string> SecretResolver::resolved_values() const {
  std::lock_guard lock(mutex_);
  return resolved_;
}

}  // namespace lmsgw::config
