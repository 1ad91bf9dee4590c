// Time as text: the timestamps registries and build tools write, RFC 3339
// for every output (API, logs, notifications), the durations flags take, and
// HTTP's Retry-After. One implementation of each.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow {

using TimePoint = std::chrono::system_clock::time_point;

// Parses RFC 3339 ("2024-05-01T12:00:00Z", fractional seconds and numeric
// offsets allowed), the same with a space for the `T` or without a zone (UTC),
// and a bare date ("2024-05-01", midnight UTC). Years before 1900 (Go's
// zero time "0001-01-01T00:00:00Z") read as the epoch; years after 2200 and
// anything else are nullopt.
std::optional<TimePoint> ParseTimestamp(std::string_view text);

// True for the time that means "unknown": the epoch, which is what Go's zero
// time reads as and what reproducible builds (SOURCE_DATE_EPOCH=0) write.
bool IsZeroTime(TimePoint t);

enum class TimePrecision {
  kTrimmed,  // fractional seconds only when non-zero, trailing zeros trimmed
  kSeconds,  // "2024-05-01T12:00:00Z" (truncated)
  kMillis,   // "2024-05-01T12:00:00.123Z" (always three digits; logs)
};

// RFC 3339 in UTC: "2024-05-01T12:00:00Z"; with kTrimmed (the default)
// ".5", ".123456789" follow the seconds when non-zero.
std::string FormatRfc3339(TimePoint t, TimePrecision precision = TimePrecision::kTrimmed);

// Parses "500ms", "30s", "5m", "1h", "1h30m", "0" into a duration; a bare
// number is seconds. Errors name the text and the accepted units.
[[nodiscard]] Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

// Formats a duration the way ParseDuration reads it ("5m", "1h30m", "250ms").
std::string FormatDuration(std::chrono::milliseconds d);

// The wait a Retry-After header asks for (delta seconds or an HTTP date),
// relative to `now`; nullopt when absent or unreadable.
std::optional<std::chrono::system_clock::duration> ParseRetryAfter(std::string_view value,
                                                                   TimePoint now);

}  // namespace tagflow
