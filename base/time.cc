#include "base/time.h"
#include "base/strings.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace tagflow {
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
      while (i < text.size() && IsDigit(text[i])) {
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

std::string FormatRfc3339(TimePoint t, TimePrecision precision) {
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
  if (precision == TimePrecision::kMillis) {
    out += fmt::format(".{:03}", nanos / 1'000'000);
  } else if (precision == TimePrecision::kTrimmed && nanos > 0) {
    std::string frac = fmt::format("{:09}", nanos);
    while (frac.back() == '0') frac.pop_back();
    out += "." + frac;
  }
  return out + "Z";
}

Result<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format(
            "invalid duration \"{}\": use a number with a unit, e.g. 500ms, 30s, 5m, 1h, 1h30m",
            text));
  };
  if (text.empty()) return bad();
  std::chrono::milliseconds total{0};
  size_t i = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && IsDigit(text[i])) ++i;
    if (start == i) return bad();
    long long n = 0;
    for (size_t k = start; k < i; ++k) {
      n = n * 10 + (text[k] - '0');
      if (n > 1'000'000'000LL) return bad();
    }
    size_t unit_start = i;
    while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i]))) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      if (any || i != text.size()) return bad();
      unit = "s";  // a bare number is seconds
    }
    if (unit == "ms") {
      total += std::chrono::milliseconds(n);
    } else if (unit == "s") {
      total += std::chrono::seconds(n);
    } else if (unit == "m") {
      total += std::chrono::minutes(n);
    } else if (unit == "h") {
      total += std::chrono::hours(n);
    } else {
      return bad();
    }
    any = true;
  }
  return total;
}

std::string FormatDuration(std::chrono::milliseconds d) {
  if (d.count() == 0) return "0s";
  std::string out;
  auto ms = d.count();
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  long long s = ms / 1000;
  if (s >= 3600) out += fmt::format("{}h", s / 3600), s %= 3600;
  if (s >= 60) out += fmt::format("{}m", s / 60), s %= 60;
  if (s > 0) out += fmt::format("{}s", s);
  return out;
}

std::optional<std::chrono::system_clock::duration> ParseRetryAfter(std::string_view value,
                                                                   TimePoint now) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::nullopt;
    return std::chrono::seconds(std::stol(std::string(value)));
  }
  std::tm tm{};
  std::string text(value);
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
  return std::max<std::chrono::system_clock::duration>(std::chrono::system_clock::duration::zero(),
                                                       at - now);
}

}  // namespace tagflow
