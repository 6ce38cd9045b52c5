// A streaming RFC 4180 reader: records come out one at a time from a byte source read in fixed
// chunks, so memory depends on the limits below and never on the size of the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lmsgw/sdk/result.h"

namespace lmsgw::plugins::oneroster {

// Where the bytes of one CSV file come from (a file on disk, a zip entry).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Up to `size` bytes into `buffer`; 0 at the end. Errors are I/O failures.
  virtual sdk::Result<std::size_t> read(char* buffer, std::size_t size) noexcept = 0;
};

// Bounds on one record, so that a hostile or broken file cannot make the reader grow.
struct CsvLimits {
  std::size_t max_field_bytes = 64 * 1024;
  std::size_t max_record_bytes = 1024 * 1024;
  std::size_t max_fields = 512;
};

// Why a record could not be read. The reader skips to the next line and carries on.
enum class CsvFault : std::uint8_t {
  none,
  bad_quoting,        // a quote inside an unquoted field, or text after a closing quote
  unterminated_quote,  // the file ended inside a quoted field
  field_too_long,
  record_too_long,
  too_many_fields,
  invalid_utf8,
};

std::string_view describe(CsvFault fault) noexcept;

// One record. Fields are views into the record's own buffer, valid until the next read.
class CsvRecord {
 public:
  std::size_t size() const noexcept { return ends_.size(); }
  std::string_view field(std::size_t index) const noexcept {
    const std::size_t begin = index == 0 ? 0 : ends_[index - 1];
    return std::string_view(data_).substr(begin, ends_[index] - begin);
  }
  // The physical line (1-based) the record starts on, for "users.csv:42".
  std::uint64_t line() const noexcept { return line_; }
  CsvFault fault() const noexcept { return fault_; }

 private:
  friend class CsvReader;
  std::string data_;
  std::vector<std::size_t> ends_;
  std::uint64_t line_ = 0;
  CsvFault fault_ = CsvFault::none;
};

class CsvReader {
 public:
  static constexpr std::size_t kChunkBytes = 256 * 1024;

  // `source` is positioned at byte `offset` of the file, which starts physical line `line`
  // (1 and 0 for a file read from its start). A UTF-8 byte order mark at offset 0 is skipped.
  CsvReader(std::unique_ptr<ByteSource> source, CsvLimits limits, std::uint64_t offset = 0,
            std::uint64_t line = 1);

  // The next record into `record`: true when there was one (possibly with a fault), false at
  // the end of the file. Blank lines are skipped. Errors are I/O failures.
  sdk::Result<bool> next(CsvRecord& record);

  // The byte offset just past the last record returned and the line the next one starts on:
  // a reader made with these yields exactly the records that follow.
  std::uint64_t offset() const noexcept { return offset_; }
  std::uint64_t line() const noexcept { return line_; }

 private:
  sdk::Result<bool> fill();

  std::unique_ptr<ByteSource> source_;
  CsvLimits limits_;
  std::vector<char> buffer_;
  std::size_t position_ = 0;
  std::size_t end_ = 0;
  bool eof_ = false;
  bool at_file_start_;
  std::uint64_t offset_;
  std::uint64_t line_;
};

// Whether `text` is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

}  // namespace lmsgw::plugins::oneroster
