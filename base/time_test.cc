#include "base/time.h"

#include <gtest/gtest.h>

namespace tagflow {
namespace {

int64_t Seconds(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

TEST(TimestampTest, ParsesRfc3339Forms) {
  EXPECT_EQ(Seconds(*ParseTimestamp("2024-05-01T12:00:00Z")), 1714564800);
  EXPECT_EQ(Seconds(*ParseTimestamp("2024-05-01T14:00:00+02:00")), 1714564800);
  EXPECT_EQ(Seconds(*ParseTimestamp("2024-05-01T07:30:00-04:30")), 1714564800);
  EXPECT_EQ(Seconds(*ParseTimestamp("2024-05-01 12:00:00")), 1714564800);
  EXPECT_EQ(Seconds(*ParseTimestamp("2024-05-01")), 1714521600);
  auto fractional = ParseTimestamp("2024-05-01T12:00:00.123456789Z");
  ASSERT_TRUE(fractional);
  EXPECT_EQ(
      std::chrono::duration_cast<std::chrono::nanoseconds>(fractional->time_since_epoch()).count(),
      1714564800123456789);
}

TEST(TimestampTest, RejectsOtherText) {
  for (const char* bad : {"", "yesterday", "2024-13-01", "2024-05-01T12:00", "2024-05-01T12:00:00Q",
                          "2024-05-01T12:00:00Zjunk", "1714564800", "2024-05-01T12:00:00."}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

TEST(TimestampTest, ZeroTimesReadAsTheEpoch) {
  auto go_zero = ParseTimestamp("0001-01-01T00:00:00Z");
  ASSERT_TRUE(go_zero);
  EXPECT_TRUE(IsZeroTime(*go_zero));
  EXPECT_TRUE(IsZeroTime(*ParseTimestamp("1970-01-01T00:00:00Z")));
  EXPECT_FALSE(IsZeroTime(*ParseTimestamp("1970-01-01T00:00:01Z")));
}

TEST(TimestampTest, FormatsRfc3339) {
  EXPECT_EQ(FormatRfc3339(*ParseTimestamp("2024-05-01T14:00:00+02:00")), "2024-05-01T12:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseTimestamp("2024-02-29T23:59:59.5Z")), "2024-02-29T23:59:59.5Z");
  EXPECT_EQ(FormatRfc3339(TimePoint{}), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(*ParseTimestamp("1969-12-31T23:59:59Z")), "1969-12-31T23:59:59Z");
}

}  // namespace
}  // namespace tagflow
