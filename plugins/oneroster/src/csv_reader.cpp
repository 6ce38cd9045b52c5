#include "csv_reader.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace lmsgw::plugins::oneroster {
namespace {

enum class State : std::uint8_t { field_start, unquoted, quoted, after_quote, skip_line };

bool is_special(char c) noexcept { return c == ',' || c == '\n' || c == '\r' || c == '"'; }

}  // namespace

std::string_view describe(CsvFault fault) noexcept {
  switch (fault) {
    case CsvFault::none:
      return "no fault";
    case CsvFault::bad_quoting:
      return "bad quoting";
    case CsvFault::unterminated_quote:
      return "quoted field not closed before the end of the file";
    case CsvFault::field_too_long:
      return "field longer than the limit";
    case CsvFault::record_too_long:
      return "record longer than the limit";
    case CsvFault::too_many_fields:
      return "more fields than the limit";
    case CsvFault::invalid_utf8:
      return "invalid UTF-8";
  }
  return "unknown fault";
}

bool is_valid_utf8(std::string_view text) noexcept {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t size = text.size();
  std::size_t i = 0;
  while (i < size) {
    const unsigned char lead = bytes[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    char32_t value = 0;
    char32_t minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, value = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, value = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, value = lead & 0x07, minimum = 0x10000;
    } else {
      return false;
    }
    if (i + length > size) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const unsigned char next = bytes[i + k];
      if ((next & 0xC0) != 0x80) return false;
      value = (value << 6) | (next & 0x3F);
    }
    if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

CsvReader::CsvReader(std::unique_ptr<ByteSource> source, CsvLimits limits, std::uint64_t offset,
                     std::uint64_t line)
    : source_(std::move(source)),
      limits_(limits),
      buffer_(kChunkBytes),
      at_file_start_(offset == 0),
      offset_(offset),
      line_(line) {}

sdk::Result<bool> CsvReader::fill() {
  if (eof_) return false;
  if (position_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + position_, end_ - position_);
    end_ -= position_;
    position_ = 0;
  }
  auto got = source_->read(buffer_.data() + end_, buffer_.size() - end_);
  if (!got) return got.error();
  if (*got == 0) {
    eof_ = true;
    return false;
  }
  end_ += *got;
  return true;
}

sdk::Result<bool> CsvReader::next(CsvRecord& record) {
  if (at_file_start_) {
    at_file_start_ = false;
    while (end_ - position_ < 3) {
      auto more = fill();
      if (!more) return more.error();
      if (!*more) break;
    }
    if (end_ - position_ >= 3 && std::memcmp(buffer_.data() + position_, "\xEF\xBB\xBF", 3) == 0) {
      position_ += 3;
      offset_ += 3;
    }
  }

  for (;;) {
    record.data_.clear();
    record.ends_.clear();
    record.fault_ = CsvFault::none;
    record.line_ = line_;
    State state = State::field_start;
    std::size_t field_begin = 0;
    bool content = false;     // a byte other than the line terminator was consumed
    bool pending_cr = false;  // a CR that ends the record if an LF follows
    bool ended = false;

    const auto fault = [&](CsvFault why) {
      if (record.fault_ == CsvFault::none) record.fault_ = why;
      state = State::skip_line;
    };
    const auto end_field = [&]() {
      if (record.ends_.size() >= limits_.max_fields) {
        fault(CsvFault::too_many_fields);
        return;
      }
      record.ends_.push_back(record.data_.size());
      field_begin = record.data_.size();
    };
    // Appends a run of bytes to the current field, within the limits.
    const auto append = [&](const char* bytes, std::size_t count) {
      if (record.data_.size() - field_begin + count > limits_.max_field_bytes) {
        fault(CsvFault::field_too_long);
        return;
      }
      if (record.data_.size() + count > limits_.max_record_bytes) {
        fault(CsvFault::record_too_long);
        return;
      }
      record.data_.append(bytes, count);
    };

    while (!ended) {
      if (position_ == end_) {
        auto more = fill();
        if (!more) return more.error();
        if (!*more) break;
      }
      const char c = buffer_[position_];

      if (pending_cr) {
        pending_cr = false;
        if (c == '\n') {
          ++position_, ++offset_, ++line_;
          if (state != State::skip_line) end_field();
          ended = true;
          continue;
        }
        content = true;
        if (state == State::after_quote) {
          fault(CsvFault::bad_quoting);
        } else {
          append("\r", 1);
          if (state == State::field_start) state = State::unquoted;
        }
        continue;  // `c` is examined again in the new state
      }

      if (state == State::unquoted || state == State::quoted) {
        // Fast path: copy the run of ordinary bytes at once.
        std::size_t run = position_;
        if (state == State::unquoted) {
          while (run < end_ && !is_special(buffer_[run])) ++run;
        } else {
          while (run < end_ && buffer_[run] != '"') ++run;
        }
        if (run > position_) {
          const std::size_t count = run - position_;
          for (std::size_t i = position_; i < run; ++i) line_ += buffer_[i] == '\n' ? 1 : 0;
          content = true;
          append(buffer_.data() + position_, count);
          position_ = run, offset_ += count;
          continue;
        }
      }

      ++position_, ++offset_;
      if (c == '\n') ++line_;
      switch (state) {
        case State::skip_line:
          content = content || c != '\n';
          if (c == '\n') ended = true;
          break;
        case State::field_start:
          if (c == '"') {
            content = true;
            state = State::quoted;
          } else if (c == ',') {
            content = true;
            end_field();
          } else if (c == '\n') {
            end_field();
            ended = true;
          } else if (c == '\r') {
            pending_cr = true;
          } else {
            content = true;
            append(&c, 1);
            if (state == State::field_start) state = State::unquoted;
          }
          break;
        case State::unquoted:
          if (c == ',') {
            end_field();
            if (state != State::skip_line) state = State::field_start;
          } else if (c == '\n') {
            end_field();
            ended = true;
          } else if (c == '\r') {
            pending_cr = true;
          } else {
            fault(CsvFault::bad_quoting);  // a quote inside an unquoted field
          }
          break;
        case State::quoted:  // only a quote reaches here
          state = State::after_quote;
          break;
        case State::after_quote:
          if (c == '"') {
            append("\"", 1);
            if (state != State::skip_line) state = State::quoted;
          } else if (c == ',') {
            end_field();
            if (state != State::skip_line) state = State::field_start;
          } else if (c == '\n') {
            end_field();
            ended = true;
          } else if (c == '\r') {
            pending_cr = true;
          } else {
            fault(CsvFault::bad_quoting);
          }
          break;
      }
    }

    if (!ended) {  // end of file
      if (!content && !pending_cr && record.ends_.empty()) return false;
      if (state == State::quoted) {
        fault(CsvFault::unterminated_quote);
      } else if (state != State::skip_line) {
        end_field();
      }
    }
    if (!content) continue;  // a blank line

    if (record.fault_ == CsvFault::none) {
      for (std::size_t i = 0; i < record.size(); ++i) {
        if (!is_valid_utf8(record.field(i))) {
          record.fault_ = CsvFault::invalid_utf8;
          break;
        }
      }
    }
    return true;
  }
}

}  // namespace lmsgw::plugins::oneroster
