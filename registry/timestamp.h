// Image timestamps: reading the forms registries and build tools write, and
// writing RFC 3339.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace tagflow::registry {

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

// "2024-05-01T12:00:00Z", with fractional seconds only when non-zero
// (".5", ".123456789" trimmed of trailing zeros).
std::string FormatRfc3339(TimePoint t);

}  // namespace tagflow::registry
