#include "file_set.h"

#include <zip.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <system_error>
#include <utility>

#include "digest.h"

namespace lmsgw::plugins::oneroster {
namespace {

namespace fs = std::filesystem;

sdk::Error unavailable(std::string detail) {
  return sdk::Error{sdk::ErrorCode::upstream_unavailable, std::move(detail)};
}

class FileSource final : public ByteSource {
 public:
  explicit FileSource(std::FILE* file) : file_(file) {}
  ~FileSource() override { std::fclose(file_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  sdk::Result<std::size_t> read(char* buffer, std::size_t size) noexcept override {
    const std::size_t got = std::fread(buffer, 1, size, file_);
    if (got == 0 && std::ferror(file_) != 0) return unavailable("reading a roster file failed");
    return got;
  }

 private:
  std::FILE* file_;
};

class FolderSet final : public FileSet {
 public:
  explicit FolderSet(fs::path root) : root_(std::move(root)) {}

  sdk::Result<void> scan() {
    std::error_code ec;
    std::string listing;
    for (fs::directory_iterator it(root_, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      names_.push_back(it->path().filename().string());
    }
    if (ec) return unavailable("the roster folder cannot be listed");
    std::sort(names_.begin(), names_.end());
    for (const std::string& name : names_) {
      const fs::path file = root_ / name;
      const auto size = fs::file_size(file, ec);
      const auto modified = fs::last_write_time(file, ec);
      if (ec) return unavailable("a roster file cannot be examined");
      listing += name + '\0' + std::to_string(size) + '\0' +
                 std::to_string(modified.time_since_epoch().count()) + '\0';
    }
    fingerprint_ = to_hex(digest128(listing));
    return {};
  }

  sdk::Result<std::unique_ptr<ByteSource>> read(std::string_view name,
                                                std::uint64_t offset) override {
    std::FILE* file = std::fopen((root_ / std::string(name)).c_str(), "rb");
    if (file == nullptr) return unavailable("a roster file cannot be opened");
    auto source = std::make_unique<FileSource>(file);
    if (offset > 0 && fseeko(file, static_cast<off_t>(offset), SEEK_SET) != 0) {
      return unavailable("a roster file cannot be positioned");
    }
    return std::unique_ptr<ByteSource>(std::move(source));
  }

 private:
  fs::path root_;
};

struct ArchiveCloser {
  void operator()(zip_t* archive) const noexcept { zip_discard(archive); }
};
using Archive = std::shared_ptr<zip_t>;

class ZipEntrySource final : public ByteSource {
 public:
  ZipEntrySource(Archive archive, zip_file_t* file) : archive_(std::move(archive)), file_(file) {}
  ~ZipEntrySource() override { zip_fclose(file_); }
  ZipEntrySource(const ZipEntrySource&) = delete;
  ZipEntrySource& operator=(const ZipEntrySource&) = delete;

  sdk::Result<std::size_t> read(char* buffer, std::size_t size) noexcept override {
    const zip_int64_t got = zip_fread(file_, buffer, size);
    if (got < 0) {
      return sdk::Error{sdk::ErrorCode::upstream_malformed, "a zip entry cannot be inflated"};
    }
    return static_cast<std::size_t>(got);
  }

 private:
  Archive archive_;  // kept open for as long as one of its entries is read
  zip_file_t* file_;
};

class ZipSet final : public FileSet {
 public:
  sdk::Result<void> open(const std::string& path) {
    int error = 0;
    zip_t* archive = zip_open(path.c_str(), ZIP_RDONLY | ZIP_CHECKCONS, &error);
    if (archive == nullptr) {
      if (error == ZIP_ER_OPEN || error == ZIP_ER_NOENT || error == ZIP_ER_READ) {
        return unavailable("the roster zip cannot be opened");
      }
      return sdk::Error{sdk::ErrorCode::upstream_malformed, "the roster zip is not a valid zip"};
    }
    archive_ = Archive(archive, ArchiveCloser{});
    std::string listing;
    const zip_int64_t count = zip_get_num_entries(archive, 0);
    for (zip_int64_t i = 0; i < count; ++i) {
      zip_stat_t stat;
      zip_stat_init(&stat);
      if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0) continue;
      const std::string name = stat.name == nullptr ? "" : stat.name;
      // Only files at the root are part of a OneRoster set; folders and nested entries are not.
      if (name.empty() || name.find('/') != std::string::npos) continue;
      names_.push_back(name);
      listing += name + '\0' + std::to_string(stat.size) + '\0' + std::to_string(stat.crc) + '\0';
    }
    std::sort(names_.begin(), names_.end());
    fingerprint_ = to_hex(digest128(listing));
    return {};
  }

  sdk::Result<std::unique_ptr<ByteSource>> read(std::string_view name,
                                                std::uint64_t offset) override {
    zip_file_t* file = zip_fopen(archive_.get(), std::string(name).c_str(), 0);
    if (file == nullptr) {
      return sdk::Error{sdk::ErrorCode::upstream_malformed, "a zip entry cannot be opened"};
    }
    auto source = std::make_unique<ZipEntrySource>(archive_, file);
    // Compressed entries cannot be positioned: inflate and drop the bytes before `offset`.
    std::vector<char> scratch(64 * 1024);
    for (std::uint64_t left = offset; left > 0;) {
      auto got = source->read(scratch.data(), std::min<std::uint64_t>(left, scratch.size()));
      if (!got) return got.error();
      if (*got == 0) {
        return sdk::Error{sdk::ErrorCode::upstream_malformed, "a zip entry ended before the cursor"};
      }
      left -= *got;
    }
    return std::unique_ptr<ByteSource>(std::move(source));
  }

 private:
  Archive archive_;
};

}  // namespace

bool FileSet::contains(std::string_view name) const noexcept {
  return std::binary_search(names_.begin(), names_.end(), name);
}

sdk::Result<std::unique_ptr<FileSet>> FileSet::open(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    auto set = std::make_unique<FolderSet>(path);
    if (auto scanned = set->scan(); !scanned) return scanned.error();
    return std::unique_ptr<FileSet>(std::move(set));
  }
  if (!fs::is_regular_file(path, ec)) return unavailable("the roster path does not exist");
  auto set = std::make_unique<ZipSet>();
  if (auto opened = set->open(path); !opened) return opened.error();
  return std::unique_ptr<FileSet>(std::move(set));
}

}  // namespace lmsgw::plugins::oneroster
