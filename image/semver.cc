#include "image/semver.h"

#include <fmt/format.h>

#include <array>
#include <limits>

#include "base/strings.h"

namespace tagflow::image {
namespace {

bool IsIdentChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool IsWildcard(std::string_view s) { return s == "x" || s == "X" || s == "*"; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A version as written, before any range meaning is given to it. `given`
// counts the numeric parts before the first wildcard or the end; parts not
// given are 0.
struct RawVersion {
  std::array<uint64_t, 3> nums{};
  int given = 0;
  int written = 0;
  std::string_view pre;
  std::string_view build;
};

// Parses a run of digits into `out`; returns a reason on failure.
const char* ParseNumber(std::string_view s, uint64_t* out) {
  if (s.empty()) return "empty version part";
  uint64_t n = 0;
  for (char c : s) {
    if (!IsDigit(c)) return "version part is not a number";
    auto d = static_cast<uint64_t>(c - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - d) / 10) return "version number too large";
    n = n * 10 + d;
  }
  *out = n;
  return nullptr;
}

// Checks dot-separated identifiers of [0-9A-Za-z-]; pre-release numeric
// identifiers must not have leading zeros.
const char* CheckIdentifiers(std::string_view s, bool prerelease) {
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view id = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (id.empty()) return prerelease ? "empty pre-release identifier" : "empty build identifier";
    bool numeric = true;
    for (char c : id) {
      if (!IsIdentChar(c)) {
        return prerelease ? "pre-release identifier has a character other than [0-9A-Za-z-]"
                          : "build identifier has a character other than [0-9A-Za-z-]";
      }
      numeric = numeric && IsDigit(c);
    }
    if (prerelease && numeric && id.size() > 1 && id.front() == '0') {
      return "numeric pre-release identifier has a leading zero";
    }
    if (dot == std::string_view::npos) return nullptr;
    start = dot + 1;
  }
}

// Parses `[vV]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`; with `wildcards`, a part
// may be x, X or * (and every part after it is ignored as a wildcard).
const char* ParseRaw(std::string_view text, bool wildcards, RawVersion* out) {
  std::string_view s = text;
  if (!s.empty() && (s.front() == 'v' || s.front() == 'V')) s.remove_prefix(1);
  if (s.empty()) return "empty version";
  if (size_t plus = s.find('+'); plus != std::string_view::npos) {
    out->build = s.substr(plus + 1);
    s = s.substr(0, plus);
    if (const char* why = CheckIdentifiers(out->build, false)) return why;
  }
  if (size_t dash = s.find('-'); dash != std::string_view::npos) {
    out->pre = s.substr(dash + 1);
    s = s.substr(0, dash);
    if (const char* why = CheckIdentifiers(out->pre, true)) return why;
  }
  bool wild = false;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    std::string_view part = s.substr(start, dot == std::string_view::npos ? s.npos : dot - start);
    if (out->written == 3) return "too many parts (at most MAJOR.MINOR.PATCH)";
    if (wildcards && IsWildcard(part)) {
      wild = true;
    } else {
      uint64_t n = 0;
      if (const char* why = ParseNumber(part, &n)) return why;
      if (!wild) out->nums[out->given++] = n;
    }
    ++out->written;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return nullptr;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

int CompareNumbers(uint64_t a, uint64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// semver 2.0.0 §11: identifiers compare one by one; numeric ones by value and
// below alphanumeric ones; a shorter list of equal prefix is lower.
int ComparePrerelease(std::string_view a, std::string_view b) {
  while (true) {
    size_t da = a.find('.');
    size_t db = b.find('.');
    std::string_view x = a.substr(0, da);
    std::string_view y = b.substr(0, db);
    bool nx = AllDigits(x);
    bool ny = AllDigits(y);
    int c = 0;
    if (nx && ny) {
      // No leading zeros (checked at parse time): longer means larger.
      c = x.size() != y.size() ? (x.size() < y.size() ? -1 : 1) : Sign(x.compare(y));
    } else if (nx != ny) {
      c = nx ? -1 : 1;
    } else {
      c = Sign(x.compare(y));
    }
    if (c != 0) return c;
    bool end_a = da == std::string_view::npos;
    bool end_b = db == std::string_view::npos;
    if (end_a || end_b) return end_a == end_b ? 0 : (end_a ? -1 : 1);
    a.remove_prefix(da + 1);
    b.remove_prefix(db + 1);
  }
}

}  // namespace

// Builds Versions from RawVersions; a friend of Version.
class VersionParser {
 public:
  static Version Make(const RawVersion& raw, uint64_t major, uint64_t minor, uint64_t patch) {
    Version v;
    v.major_ = major;
    v.minor_ = minor;
    v.patch_ = patch;
    v.parts_ = raw.written;
    v.prerelease_ = std::string(raw.pre);
    v.build_ = std::string(raw.build);
    return v;
  }
  static Version Make(const RawVersion& raw) {
    return Make(raw, raw.nums[0], raw.nums[1], raw.nums[2]);
  }
  // MAJOR.MINOR.PATCH only.
  static Version Release(uint64_t major, uint64_t minor, uint64_t patch) {
    return Make(RawVersion{}, major, minor, patch);
  }
};

std::optional<Version> Version::TryParse(std::string_view text) {
  RawVersion raw;
  if (ParseRaw(text, false, &raw) != nullptr) return std::nullopt;
  return VersionParser::Make(raw);
}

Result<Version> Version::Parse(std::string_view text) {
  RawVersion raw;
  if (const char* why = ParseRaw(text, false, &raw)) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("\"{}\" is not a semantic version: {}", text, why));
  }
  return VersionParser::Make(raw);
}

std::string Version::String() const {
  std::string s = fmt::format("{}.{}.{}", major_, minor_, patch_);
  if (!prerelease_.empty()) s += "-" + prerelease_;
  if (!build_.empty()) s += "+" + build_;
  return s;
}

int ComparePrecedence(const Version& a, const Version& b) {
  if (int c = CompareNumbers(a.major(), b.major()); c != 0) return c;
  if (int c = CompareNumbers(a.minor(), b.minor()); c != 0) return c;
  if (int c = CompareNumbers(a.patch(), b.patch()); c != 0) return c;
  if (a.IsPrerelease() != b.IsPrerelease()) return a.IsPrerelease() ? -1 : 1;
  if (!a.IsPrerelease()) return 0;
  return ComparePrerelease(a.prerelease(), b.prerelease());
}

bool Comparator::Contains(const Version& v) const {
  if (never) return false;
  bool in = true;
  if (lower) {
    int c = ComparePrecedence(v, *lower);
    in = lower_inclusive ? c >= 0 : c > 0;
  }
  if (in && upper) {
    int c = ComparePrecedence(v, *upper);
    in = upper_inclusive ? c <= 0 : c < 0;
  }
  return negate ? !in : in;
}

namespace {

// The first version above the range that `raw` (with `given` numeric parts)
// stands for: 1 -> 2.0.0, 1.2 -> 1.3.0. None when a part would overflow.
std::optional<Version> NextAfter(const RawVersion& raw, int given) {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  if (given == 1) {
    if (raw.nums[0] == kMax) return std::nullopt;
    return VersionParser::Release(raw.nums[0] + 1, 0, 0);
  }
  if (given == 2) {
    if (raw.nums[1] == kMax) return std::nullopt;
    return VersionParser::Release(raw.nums[0], raw.nums[1] + 1, 0);
  }
  if (raw.nums[2] == kMax) return std::nullopt;
  return VersionParser::Release(raw.nums[0], raw.nums[1], raw.nums[2] + 1);
}

// Gives operator `op` and version `raw` their range meaning (see semver.h).
// Returns false for an unknown operator.
bool MakeComparator(std::string_view op, const RawVersion& raw, Comparator* c) {
  const int n = raw.given;
  Version con = VersionParser::Make(raw);
  if (!raw.pre.empty()) {
    c->prerelease_base = VersionParser::Release(raw.nums[0], raw.nums[1], raw.nums[2]);
  }
  auto set_lower = [&](std::optional<Version> v, bool inclusive) {
    c->lower = std::move(v);
    c->lower_inclusive = inclusive;
  };
  auto set_upper = [&](std::optional<Version> v, bool inclusive) {
    c->upper = std::move(v);
    c->upper_inclusive = inclusive;
  };
  // The range a partial/wildcard version stands for; exact for n == 3.
  auto set_range = [&]() {
    if (n == 0) return;
    set_lower(con, true);
    if (n == 3) {
      set_upper(con, true);
    } else {
      set_upper(NextAfter(raw, n), false);
    }
  };
  if (op.empty() || op == "=") {
    set_range();
  } else if (op == "!=") {
    set_range();
    c->negate = true;
    c->never = n == 0;
  } else if (op == ">") {
    if (n == 3) {
      set_lower(con, false);
    } else if (n == 0) {
      c->never = true;
    } else {
      std::optional<Version> next = NextAfter(raw, n);
      c->never = !next;
      set_lower(std::move(next), true);
    }
  } else if (op == ">=" || op == "=>") {
    if (n > 0) set_lower(con, true);
  } else if (op == "<") {
    c->never = n == 0;
    set_upper(con, false);
  } else if (op == "<=" || op == "=<") {
    if (n == 3) {
      set_upper(con, true);
    } else if (n > 0) {
      set_upper(NextAfter(raw, n), false);
    }
  } else if (op == "~" || op == "~>") {
    if (n > 0) {
      set_lower(con, true);
      set_upper(NextAfter(raw, n == 1 ? 1 : 2), false);
    }
  } else if (op == "^") {
    if (n > 0) {
      set_lower(con, true);
      int keep = (raw.nums[0] > 0 || n == 1) ? 1 : ((raw.nums[1] > 0 || n == 2) ? 2 : 3);
      set_upper(NextAfter(raw, keep), false);
    }
  } else {
    return false;
  }
  return true;
}

bool IsOpChar(char c) {
  return c == '=' || c == '!' || c == '<' || c == '>' || c == '~' || c == '^';
}

// Reads one alternative (no `||`) into comparators; returns a reason on error.
class AlternativeParser {
 public:
  explicit AlternativeParser(std::string_view s) : s_(s) {}

  std::optional<std::string> Parse(std::vector<Comparator>* out) {
    bool comma = false;
    while (true) {
      SkipSpace();
      if (pos_ == s_.size()) break;
      if (s_[pos_] == ',') {
        if (out->empty() || comma) return "misplaced ','";
        comma = true;
        ++pos_;
        continue;
      }
      std::string_view op = Take(IsOpChar);
      SkipSpace();
      std::string_view version = TakeVersion();
      if (version.empty()) {
        if (op.empty()) return fmt::format("unexpected '{}'", s_[pos_]);
        return fmt::format("operator \"{}\" has no version", op);
      }
      if (AtHyphen()) {
        if (auto why = ParseHyphenRange(op, version, out)) return why;
      } else if (auto why = Add(op, version, out)) {
        return why;
      }
      if (pos_ < s_.size() && !IsSpace(s_[pos_]) && s_[pos_] != ',') {
        return fmt::format("expected a space or ',' before \"{}\"", s_.substr(pos_));
      }
      comma = false;
    }
    if (comma) return "trailing ','";
    if (out->empty()) return "empty alternative";
    return std::nullopt;
  }

 private:
  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }
  template <class Pred>
  std::string_view Take(Pred pred) {
    size_t start = pos_;
    while (pos_ < s_.size() && pred(s_[pos_])) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  std::string_view TakeVersion() {
    return Take([](char c) { return !IsSpace(c) && c != ',' && !IsOpChar(c); });
  }
  // True (and consumes it) at " - " (spaces around a lone '-').
  bool AtHyphen() {
    size_t p = pos_;
    if (p == s_.size() || !IsSpace(s_[p])) return false;
    while (p < s_.size() && IsSpace(s_[p])) ++p;
    if (p == s_.size() || s_[p] != '-') return false;
    if (p + 1 < s_.size() && !IsSpace(s_[p + 1])) return false;
    pos_ = p + 1;
    return true;
  }
  std::optional<std::string> ParseHyphenRange(std::string_view op, std::string_view low,
                                              std::vector<Comparator>* out) {
    if (!op.empty()) {
      return fmt::format("hyphen range \"{} - ...\" takes no operator", low);
    }
    SkipSpace();
    if (pos_ < s_.size() && IsOpChar(s_[pos_])) {
      return fmt::format("hyphen range \"{} - ...\" takes no operator", low);
    }
    std::string_view high = TakeVersion();
    if (high.empty()) return fmt::format("hyphen range \"{} -\" has no upper version", low);
    if (auto why = Add(">=", low, out)) return why;
    return Add("<=", high, out);
  }
  static std::optional<std::string> Add(std::string_view op, std::string_view version,
                                        std::vector<Comparator>* out) {
    RawVersion raw;
    if (const char* why = ParseRaw(version, true, &raw)) {
      return fmt::format("invalid version \"{}\": {}", version, why);
    }
    Comparator c;
    if (!MakeComparator(op, raw, &c)) return fmt::format("unknown operator \"{}\"", op);
    out->push_back(std::move(c));
    return std::nullopt;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

Result<Constraint> Constraint::Parse(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("invalid semver constraint \"{}\": {}", text, why));
  };
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return invalid("empty constraint");
  }
  Constraint out;
  out.text_ = std::string(text);
  size_t start = 0;
  while (true) {
    size_t bar = text.find("||", start);
    std::string_view part =
        text.substr(start, bar == std::string_view::npos ? text.npos : bar - start);
    if (part.find('|') != std::string_view::npos) return invalid("single '|' (use '||' for or)");
    std::vector<Comparator> alternative;
    if (auto why = AlternativeParser(part).Parse(&alternative)) return invalid(*why);
    out.alternatives_.push_back(std::move(alternative));
    if (bar == std::string_view::npos) break;
    start = bar + 2;
  }
  return out;
}

bool Constraint::Check(const Version& v) const {
  for (const std::vector<Comparator>& alternative : alternatives_) {
    if (v.IsPrerelease()) {
      bool admitted = false;
      for (const Comparator& c : alternative) {
        const std::optional<Version>& base = c.prerelease_base;
        if (base && base->major() == v.major() && base->minor() == v.minor() &&
            base->patch() == v.patch()) {
          admitted = true;
          break;
        }
      }
      if (!admitted) continue;
    }
    bool all = true;
    for (const Comparator& c : alternative) {
      if (!c.Contains(v)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace tagflow::image
