#include "common/time.h"

#include <gtest/gtest.h>

namespace lmsgw::time {
namespace {

TEST(CivilDate, ConvertsUnixTimeToUtcDate) {
  EXPECT_EQ(civil_date_utc(from_unix_seconds(0)), (sdk::CivilDate{1970, 1, 1}));
  // 2024-02-29T23:59:59Z
  EXPECT_EQ(civil_date_utc(from_unix_seconds(1709251199)), (sdk::CivilDate{2024, 2, 29}));
  EXPECT_EQ(civil_date_utc(from_unix_seconds(1709251200)), (sdk::CivilDate{2024, 3, 1}));
}

TEST(CivilDate, EarliestDateIsTheDateAtUtcMinus12) {
  // 2026-06-10T00:30Z is still 9 June in New York and on Baker Island.
  EXPECT_EQ(earliest_civil_date(from_unix_seconds(1781051400)), (sdk::CivilDate{2026, 6, 9}));
  // 2026-06-10T12:00Z is 10 June everywhere.
  EXPECT_EQ(earliest_civil_date(from_unix_seconds(1781092800)), (sdk::CivilDate{2026, 6, 10}));
}

TEST(IsoDate, RoundTripsAndRejectsInvalidDates) {
  EXPECT_EQ(to_iso_date({2015, 3, 4}), "2015-03-04");
  EXPECT_EQ(parse_iso_date("2015-03-04"), (sdk::CivilDate{2015, 3, 4}));
  EXPECT_EQ(parse_iso_date("2024-02-29"), (sdk::CivilDate{2024, 2, 29}));
  EXPECT_FALSE(parse_iso_date("2023-02-29").has_value());
  EXPECT_FALSE(parse_iso_date("2015-13-01").has_value());
  EXPECT_FALSE(parse_iso_date("2015-3-4").has_value());
  EXPECT_FALSE(parse_iso_date("2015-03-04T00").has_value());
  EXPECT_FALSE(parse_iso_date("20x5-03-04").has_value());
}

TEST(UtcTime, ParsesDatesAndRfc3339UtcTimes) {
  // 2024-02-29T00:00:00Z and 2024-02-29T23:59:59Z
  EXPECT_EQ(parse_utc_time("2024-02-29"), from_unix_seconds(1709164800));
  EXPECT_EQ(parse_utc_time("2024-02-29T23:59:59Z"), from_unix_seconds(1709251199));
  EXPECT_EQ(parse_utc_time("2024-02-29T00:00:00Z"), parse_utc_time("2024-02-29"));
  for (const char* text : {"2023-02-29", "2024-02-29T24:00:00Z", "2024-02-29T23:60:00Z",
                           "2024-02-29T23:59:59", "2024-02-29T23:59:59+01:00",
                           "2024-02-29 23:59:59Z", "2024-02-29T2:59:59Z", "2999-01-01", "1800-01-01T00:00:00Z",
                           "yesterday", ""}) {
    EXPECT_FALSE(parse_utc_time(text).has_value()) << text;
  }
}

}  // namespace
}  // namespace lmsgw::time
