#include "session/key_directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/crypto.h"
#include "common/time.h"

namespace lmsgw::session {
namespace {

constexpr const char* kManifest = "keys.json";
constexpr const char* kLockFile = "keys.lock";

sdk::Error failure(std::string detail) {
  return sdk::Error{sdk::ErrorCode::internal, std::move(detail)};
}

sdk::Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return failure("cannot read " + path.string());
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

// Writes `content` to `path` through a temporary file and a rename, so a reader sees the old
// file or the new one, never half of one. Owner-only: key files are secrets.
sdk::Result<void> replace_file(const std::filesystem::path& path, std::string_view content) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return failure("cannot write " + temporary.string());
  bool ok = true;
  for (std::size_t written = 0; ok && written < content.size();) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    ok = n > 0;
    if (ok) written += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    return failure("cannot write " + path.string());
  }
  return {};
}

std::int64_t seconds(TimePoint at) { return time::to_unix_seconds(at); }

std::string serialize(const std::vector<KeyRecord>& records) {
  boost::json::array keys;
  for (const KeyRecord& record : records) {
    boost::json::object entry{{"kid", record.kid},
                              {"algorithm", jose::to_string(record.algorithm)},
                              {"file", record.file},
                              {"created", seconds(record.created)}};
    if (record.retired) entry["retired"] = seconds(*record.retired);
    keys.push_back(std::move(entry));
  }
  return boost::json::serialize(boost::json::object{{"keys", std::move(keys)}}) + "\n";
}

// A kid that sorts by creation and says nothing secret: k-<unix time>-<random>.
std::string new_kid(TimePoint now) {
  return "k-" + std::to_string(seconds(now)) + "-" + crypto::random_token(6);
}

// Holds an exclusive flock on the directory's lock file for its lifetime.
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::filesystem::path& directory)
      : fd_(::open((directory / kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600)) {
    if (fd_ >= 0 && ::flock(fd_, LOCK_EX) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  bool held() const noexcept { return fd_ >= 0; }

 private:
  int fd_;
};

}  // namespace

KeyDirectory::KeyDirectory(std::filesystem::path path) : path_(std::move(path)) {}

std::optional<std::filesystem::file_time_type> KeyDirectory::stamp() const {
  std::error_code ec;
  auto when = std::filesystem::last_write_time(path_ / kManifest, ec);
  if (ec) return std::nullopt;
  return when;
}

sdk::Result<std::vector<KeyRecord>> KeyDirectory::read() const {
  std::vector<KeyRecord> records;
  if (!std::filesystem::exists(path_ / kManifest)) return records;
  auto text = read_file(path_ / kManifest);
  if (!text) return text.error();
  boost::system::error_code ec;
  const boost::json::value parsed = boost::json::parse(*text, ec);
  const boost::json::object* root = ec ? nullptr : parsed.if_object();
  const boost::json::value* keys = root != nullptr ? root->if_contains("keys") : nullptr;
  if (keys == nullptr || !keys->is_array()) {
    return failure((path_ / kManifest).string() + ": not a key list");
  }
  for (const boost::json::value& item : keys->get_array()) {
    const boost::json::object* entry = item.if_object();
    auto text_of = [&](const char* name) -> const boost::json::string* {
      const boost::json::value* value = entry != nullptr ? entry->if_contains(name) : nullptr;
      return value != nullptr ? value->if_string() : nullptr;
    };
    const boost::json::string* kid = text_of("kid");
    const boost::json::string* algorithm_name = text_of("algorithm");
    const boost::json::string* file = text_of("file");
    const boost::json::value* created = entry != nullptr ? entry->if_contains("created") : nullptr;
    const boost::json::value* retired = entry != nullptr ? entry->if_contains("retired") : nullptr;
    auto algorithm =
        algorithm_name != nullptr ? jose::algorithm_from_string(*algorithm_name) : std::nullopt;
    if (kid == nullptr || file == nullptr || !algorithm || created == nullptr ||
        !created->is_int64() || (retired != nullptr && !retired->is_int64()) ||
        file->find('/') != boost::json::string::npos) {
      return failure((path_ / kManifest).string() + ": malformed key entry");
    }
    KeyRecord record{std::string(*kid), *algorithm, std::string(*file),
                     time::from_unix_seconds(created->get_int64()), std::nullopt};
    if (retired != nullptr) record.retired = time::from_unix_seconds(retired->get_int64());
    records.push_back(std::move(record));
  }
  return records;
}

sdk::Result<KeyRecord> KeyDirectory::rotate(jose::Algorithm algorithm, TimePoint now,
                                            std::chrono::seconds token_lifetime) {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec) return failure("cannot create " + path_.string());
  ::chmod(path_.c_str(), 0700);
  DirectoryLock lock(path_);
  if (!lock.held()) return failure("cannot lock " + (path_ / kLockFile).string());

  auto records = read();
  if (!records) return records.error();
  KeyRecord fresh{new_kid(now), algorithm, "", now, std::nullopt};
  fresh.file = fresh.kid + ".pem";
  auto key = jose::SigningKey::generate(algorithm, fresh.kid);
  if (!key) return key.error();
  auto pem = key->to_pem();
  if (!pem) return pem.error();
  if (auto written = replace_file(path_ / fresh.file, *pem); !written) return written.error();

  std::vector<KeyRecord> kept;
  for (KeyRecord& record : *records) {
    if (!record.retired) record.retired = now;
    if (published_at(record, now, token_lifetime)) {
      kept.push_back(std::move(record));
    } else {
      std::filesystem::remove(path_ / record.file, ec);
    }
  }
  kept.push_back(fresh);
  if (auto written = replace_file(path_ / kManifest, serialize(kept)); !written) {
    return written.error();
  }
  return fresh;
}

sdk::Result<jose::SigningKey> KeyDirectory::load(const KeyRecord& record) const {
  auto pem = read_file(path_ / record.file);
  if (!pem) return pem.error();
  auto key = jose::SigningKey::from_pem(*pem, record.kid);
  if (!key) return failure((path_ / record.file).string() + ": " + key.error().detail);
  if (key->algorithm() != record.algorithm) {
    return failure((path_ / record.file).string() + ": not a " +
                   std::string(jose::to_string(record.algorithm)) + " key");
  }
  return key;
}

const KeyRecord* signer_of(const std::vector<KeyRecord>& records) noexcept {
  for (auto it = records.rbegin(); it != records.rend(); ++it) {
    if (!it->retired) return &*it;
  }
  return nullptr;
}

bool published_at(const KeyRecord& record, TimePoint now, std::chrono::seconds token_lifetime) {
  return !record.retired || *record.retired + token_lifetime + kVerificationLeeway > now;
}

}  // namespace lmsgw::session
