#include "registry/timestamp.h"

#include <fmt/format.h>

#include <cctype>

namespace tagflow::registry {
namespace {

constexpr int kMinYear = 1900;
constexpr int kMaxYear = 2200;

// Reads exactly `n` digits at text[*i].
std::optional<int> Digits(std::string_view text, size_t* i, size_t n) {
  if (*i + n > text.size()) return std::nullopt;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = text[*i + k];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  *i += n;
  return v;
}

bool Expect(std::string_view text, size_t* i, char c) {
  if (*i >= text.size() || text[*i] != c) return false;
  ++*i;
  return true;
}

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

std::optional<TimePoint> ParseTimestamp(std::string_view text) {
  size_t i = 0;
  auto year = Digits(text, &i, 4);
  if (!year || !Expect(text, &i, '-')) return std::nullopt;
  auto month = Digits(text, &i, 2);
  if (!month || !Expect(text, &i, '-')) return std::nullopt;
  auto day = Digits(text, &i, 2);
  if (!day || *month < 1 || *month > 12 || *day < 1 || *day > 31) return std::nullopt;
  if (*year > kMaxYear) return std::nullopt;
  int hour = 0, minute = 0, second = 0;
  int64_t nanos = 0, offset_seconds = 0;
  if (i < text.size()) {
    if (text[i] != 'T' && text[i] != 't' && text[i] != ' ') return std::nullopt;
    ++i;
    auto h = Digits(text, &i, 2);
    if (!h || !Expect(text, &i, ':')) return std::nullopt;
    auto m = Digits(text, &i, 2);
    if (!m || !Expect(text, &i, ':')) return std::nullopt;
    auto s = Digits(text, &i, 2);
    if (!s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
    hour = *h;
    minute = *m;
    second = *s;
    if (i < text.size() && text[i] == '.') {
      ++i;
      int64_t scale = 100'000'000;
      size_t start = i;
      while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
        nanos += (text[i] - '0') * scale;
        scale /= 10;
        ++i;
      }
      if (i == start) return std::nullopt;
    }
    if (i < text.size()) {
      char z = text[i++];
      if (z == 'Z' || z == 'z') {
        // UTC
      } else if (z == '+' || z == '-') {
        auto oh = Digits(text, &i, 2);
        if (!oh) return std::nullopt;
        Expect(text, &i, ':');
        auto om = Digits(text, &i, 2);
        if (!om) return std::nullopt;
        offset_seconds = (*oh * 3600 + *om * 60) * (z == '+' ? 1 : -1);
      } else {
        return std::nullopt;
      }
    }
    if (i != text.size()) return std::nullopt;
  }
  // Go's zero time (year 1) and its kin do not fit a nanosecond time_point:
  // they all read as the zero time, the epoch.
  if (*year < kMinYear) return TimePoint{};
  int64_t seconds = DaysFromCivil(*year, *month, *day) * 86400 + hour * 3600 + minute * 60 +
                    second - offset_seconds;
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(
      std::chrono::seconds(seconds) + std::chrono::nanoseconds(nanos)));
}

bool IsZeroTime(TimePoint t) { return t == TimePoint{}; }

std::string FormatRfc3339(TimePoint t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  int64_t nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  int64_t s = secs.count();
  int64_t days = s >= 0 ? s / 86400 : (s - 86399) / 86400;
  int64_t rem = s - days * 86400;
  // Civil date from days (Howard Hinnant's algorithm).
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, rem / 3600,
                                rem / 60 % 60, rem % 60);
  if (nanos > 0) {
    std::string frac = fmt::format("{:09}", nanos);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

}  // namespace tagflow::registry
