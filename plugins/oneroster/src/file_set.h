// A OneRoster file set: a folder or a zip of CSV files, read entry by entry without extracting.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.h"
#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::oneroster {

class FileSet {
 public:
  // `path` names a folder, or a file ending in ".zip". Errors: upstream_unavailable when it
  // cannot be read, upstream_malformed when a zip is not a zip.
  static sdk::Result<std::unique_ptr<FileSet>> open(const std::string& path);

  virtual ~FileSet() = default;

  // The names of the regular files at the root of the set, sorted.
  const std::vector<std::string>& names() const noexcept { return names_; }
  bool contains(std::string_view name) const noexcept;

  // The entry's bytes from `offset` on.
  virtual sdk::Result<std::unique_ptr<ByteSource>> read(std::string_view name,
                                                        std::uint64_t offset) = 0;

  // Changes whenever an entry is added, removed or rewritten (names, sizes and modification
  // times or CRCs): a cursor taken on one file set is never applied to another.
  const std::string& fingerprint() const noexcept { return fingerprint_; }

 protected:
  std::vector<std::string> names_;
  std::string fingerprint_;
};

}  // namespace lmsgw::plugins::oneroster
