#include "csv_reader.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace lmsgw::plugins::oneroster {
namespace {

// Hands out `text` at most `step` bytes a read, so records straddle chunk boundaries.
class StringSource final : public ByteSource {
 public:
  StringSource(std::string text, std::size_t step) : text_(std::move(text)), step_(step) {}
  sdk::Result<std::size_t> read(char* buffer, std::size_t size) noexcept override {
    const std::size_t count = std::min({size, step_, text_.size() - position_});
    std::memcpy(buffer, text_.data() + position_, count);
    position_ += count;
    return count;
  }

 private:
  std::string text_;
  std::size_t step_;
  std::size_t position_ = 0;
};

class FailingSource final : public ByteSource {
 public:
  sdk::Result<std::size_t> read(char*, std::size_t) noexcept override {
    return sdk::Error{sdk::ErrorCode::upstream_unavailable, "disk gone"};
  }
};

struct Row {
  std::vector<std::string> fields;
  std::uint64_t line = 0;
  CsvFault fault = CsvFault::none;

  friend bool operator==(const Row&, const Row&) = default;
};

std::vector<Row> read_all(const std::string& text, std::size_t step = 1 << 20,
                          CsvLimits limits = {}, std::uint64_t offset = 0,
                          std::uint64_t line = 1) {
  CsvReader reader(std::make_unique<StringSource>(text.substr(offset), step), limits, offset,
                   line);
  std::vector<Row> rows;
  CsvRecord record;
  for (;;) {
    auto more = reader.next(record);
    EXPECT_TRUE(more.ok());
    if (!more.ok() || !*more) break;
    Row row{{}, record.line(), record.fault()};
    if (record.fault() == CsvFault::none) {
      for (std::size_t i = 0; i < record.size(); ++i) row.fields.emplace_back(record.field(i));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(CsvReaderTest, ReadsQuotedFieldsWithCommasQuotesAndLineBreaks) {
  const std::string text =
      "a,b,c\n"
      "1,\"x, y\",\"say \"\"hi\"\"\"\n"
      "2,\"two\nlines\",\n"
      "3,,\"\"\n";
  const std::vector<Row> expected = {
      {{"a", "b", "c"}, 1, CsvFault::none},
      {{"1", "x, y", "say \"hi\""}, 2, CsvFault::none},
      {{"2", "two\nlines", ""}, 3, CsvFault::none},
      {{"3", "", ""}, 5, CsvFault::none},
  };
  EXPECT_EQ(read_all(text), expected);
}

TEST(CsvReaderTest, SameRecordsWhateverTheChunkBoundaries) {
  const std::string text =
      "\xEF\xBB\xBFh1,h2\r\n\"q\"\"uo\r\nted\",plain\r\n\r\n\"\xC3\xA9t\xC3\xA9\",last";
  const std::vector<Row> whole = read_all(text);
  ASSERT_EQ(whole.size(), 3u);
  EXPECT_EQ(whole[0].fields, (std::vector<std::string>{"h1", "h2"}));
  EXPECT_EQ(whole[1].fields, (std::vector<std::string>{"q\"uo\r\nted", "plain"}));
  EXPECT_EQ(whole[2].fields, (std::vector<std::string>{"\xC3\xA9t\xC3\xA9", "last"}));
  EXPECT_EQ(whole[2].line, 5u);
  for (std::size_t step = 1; step <= 9; ++step) EXPECT_EQ(read_all(text, step), whole) << step;
}

TEST(CsvReaderTest, SkipsBlankLinesAndKeepsABareCarriageReturnAsData) {
  const auto rows = read_all("\n\na\rb,c\n\n\nd,e");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].fields, (std::vector<std::string>{"a\rb", "c"}));
  EXPECT_EQ(rows[0].line, 3u);
  EXPECT_EQ(rows[1].line, 6u);
}

TEST(CsvReaderTest, BadQuotingRejectsTheRecordAndReadingGoesOnAtTheNextLine) {
  const auto rows = read_all("ok,1\nO\"Brien,2\n\"closed\"junk,3\nok,4\n");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1].fault, CsvFault::bad_quoting);
  EXPECT_EQ(rows[1].line, 2u);
  EXPECT_EQ(rows[2].fault, CsvFault::bad_quoting);
  EXPECT_EQ(rows[3].fields, (std::vector<std::string>{"ok", "4"}));
  EXPECT_EQ(rows[3].line, 4u);
}

TEST(CsvReaderTest, AQuoteLeftOpenAtTheEndOfTheFileIsAFault) {
  const auto rows = read_all("a,b\n1,\"never closed\n2,3\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].fault, CsvFault::unterminated_quote);
  EXPECT_EQ(rows[1].line, 2u);
}

TEST(CsvReaderTest, EnforcesFieldRecordAndFieldCountLimits) {
  const CsvLimits limits{.max_field_bytes = 8, .max_record_bytes = 20, .max_fields = 3};
  const auto rows = read_all(
      "123456789,a\n"
      "\"12345678\",b\n"
      "1234567,1234567,1234567\n"
      "a,b,c,d\n"
      "fine,row\n",
      3, limits);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].fault, CsvFault::field_too_long);
  EXPECT_EQ(rows[1].fault, CsvFault::none);
  EXPECT_EQ(rows[2].fault, CsvFault::record_too_long);
  EXPECT_EQ(rows[3].fault, CsvFault::too_many_fields);
  EXPECT_EQ(rows[4].fields, (std::vector<std::string>{"fine", "row"}));
  EXPECT_EQ(rows[4].line, 5u);
}

TEST(CsvReaderTest, RejectsInvalidUtf8) {
  const auto rows = read_all("ok,\xC3\xA9\nbad,\xC3\nlong,\xC0\xAF\nsurrogate,\xED\xA0\x80\nok,2\n");
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].fault, CsvFault::none);
  EXPECT_EQ(rows[1].fault, CsvFault::invalid_utf8);
  EXPECT_EQ(rows[2].fault, CsvFault::invalid_utf8);
  EXPECT_EQ(rows[3].fault, CsvFault::invalid_utf8);
  EXPECT_EQ(rows[4].fault, CsvFault::none);
  // Two halves of a sequence in two fields are not a character.
  EXPECT_EQ(read_all("\xC3,\xA9\n")[0].fault, CsvFault::invalid_utf8);
}

TEST(CsvReaderTest, OffsetAndLineResumeExactlyAfterAnyRecord) {
  const std::string text =
      "\xEF\xBB\xBFh,v\n1,\"a\nb\"\n\n2,x\r\n3,\"c,\"\"d\"\"\"\n4,y";
  const std::vector<Row> all = read_all(text);
  ASSERT_EQ(all.size(), 5u);
  CsvReader reader(std::make_unique<StringSource>(text, 2), CsvLimits{});
  CsvRecord record;
  for (std::size_t done = 1; done <= all.size(); ++done) {
    ASSERT_TRUE(*reader.next(record));
    const std::vector<Row> rest = read_all(text, 3, {}, reader.offset(), reader.line());
    EXPECT_EQ(rest, std::vector<Row>(all.begin() + static_cast<std::ptrdiff_t>(done), all.end()))
        << "after record " << done;
  }
  EXPECT_FALSE(*reader.next(record));
  EXPECT_EQ(reader.offset(), text.size());
}

TEST(CsvReaderTest, ReportsReadFailures) {
  CsvReader reader(std::make_unique<FailingSource>(), CsvLimits{});
  CsvRecord record;
  auto got = reader.next(record);
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, sdk::ErrorCode::upstream_unavailable);
}

TEST(CsvReaderTest, EmptyFileHasNoRecords) { EXPECT_TRUE(read_all("").empty()); }

}  // namespace
}  // namespace lmsgw::plugins::oneroster
