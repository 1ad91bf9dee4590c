#include "image/tag_filter.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "base/glob.h"
#include "base/strings.h"

namespace tagflow::image {
namespace {

constexpr std::string_view kLatest = "latest";

// A decimal number `-?[0-9]+(.[0-9]+)?`, kept as digits so that any length
// compares exactly.
struct NumberKey {
  bool negative = false;
  std::string_view whole;     // leading zeros removed ("" for zero)
  std::string_view fraction;  // trailing zeros removed
};

std::optional<NumberKey> ParseNumber(std::string_view s) {
  NumberKey key;
  if (!s.empty() && s.front() == '-') {
    key.negative = true;
    s.remove_prefix(1);
  }
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  if (whole.empty() || !std::all_of(whole.begin(), whole.end(), IsDigit)) return std::nullopt;
  if (dot != std::string_view::npos &&
      (fraction.empty() || !std::all_of(fraction.begin(), fraction.end(), IsDigit))) {
    return std::nullopt;
  }
  while (!whole.empty() && whole.front() == '0') whole.remove_prefix(1);
  while (!fraction.empty() && fraction.back() == '0') fraction.remove_suffix(1);
  key.whole = whole;
  key.fraction = fraction;
  if (whole.empty() && fraction.empty()) key.negative = false;  // -0 == 0
  return key;
}

int Sign(int c) { return c < 0 ? -1 : (c > 0 ? 1 : 0); }

int CompareNumbers(const NumberKey& a, const NumberKey& b) {
  if (a.negative != b.negative) return a.negative ? -1 : 1;
  int magnitude = 0;
  if (a.whole.size() != b.whole.size()) {
    magnitude = a.whole.size() < b.whole.size() ? -1 : 1;
  } else if (int c = a.whole.compare(b.whole); c != 0) {
    magnitude = Sign(c);
  } else {
    magnitude = Sign(a.fraction.compare(b.fraction));
  }
  return a.negative ? -magnitude : magnitude;
}

std::unexpected<Error> Invalid(std::string_view spec, std::string_view why) {
  return Fail(ErrorKind::kInvalidInput, fmt::format("invalid tag filter \"{}\": {}", spec, why));
}

}  // namespace

struct TagFilter::Candidate {
  const TagInfo* info = nullptr;
  // The parsed tag: a Version for kSemver, a NumberKey for kNumerical; empty
  // for other kinds and for tags that do not parse.
  std::variant<std::monostate, Version, NumberKey> key;
};

Result<TagFilter> TagFilter::Parse(std::string_view spec) {
  TagFilter f;
  f.spec_ = std::string(spec);
  size_t colon = spec.find(':');
  std::string_view kind = colon == std::string_view::npos ? "glob" : spec.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? spec : spec.substr(colon + 1);
  if (kind == "glob" || kind == "alphabetical" || kind == "numerical") {
    f.kind_ = kind == "glob"           ? FilterKind::kGlob
              : kind == "alphabetical" ? FilterKind::kAlphabetical
                                       : FilterKind::kNumerical;
    f.pattern_ = rest.empty() ? "*" : std::string(rest);
  } else if (kind == "regex" || kind == "regexp") {
    if (rest.empty()) return Invalid(spec, "empty regular expression (use glob:* for every tag)");
    RE2::Options options;
    options.set_log_errors(false);
    auto re = std::make_shared<const RE2>(re2::StringPiece(rest.data(), rest.size()), options);
    if (!re->ok()) return Invalid(spec, fmt::format("invalid regular expression: {}", re->error()));
    f.kind_ = FilterKind::kRegex;
    f.regex_ = std::move(re);
  } else if (kind == "semver") {
    Result<Constraint> c = Constraint::Parse(rest);
    if (!c) return Invalid(spec, c.error().message);
    f.kind_ = FilterKind::kSemver;
    f.constraint_ = std::move(*c);
  } else {
    return Invalid(spec, fmt::format("unknown kind \"{}\" (want glob, regex, regexp, semver, "
                                     "alphabetical or numerical)",
                                     kind));
  }
  return f;
}

TagOrder TagFilter::order() const {
  switch (kind_) {
    case FilterKind::kGlob:
    case FilterKind::kRegex:
      return TagOrder::kCreated;
    case FilterKind::kSemver:
      return TagOrder::kSemver;
    case FilterKind::kAlphabetical:
      return TagOrder::kAlphabetical;
    case FilterKind::kNumerical:
      return TagOrder::kNumerical;
  }
  return TagOrder::kCreated;
}

bool TagFilter::Evaluate(std::string_view tag, Candidate* out) const {
  if (tag == kLatest && !(kind_ == FilterKind::kGlob && pattern_ == kLatest)) return false;
  switch (kind_) {
    case FilterKind::kGlob:
    case FilterKind::kAlphabetical:
      return GlobMatch(pattern_, tag);
    case FilterKind::kRegex:
      return RE2::PartialMatch(re2::StringPiece(tag.data(), tag.size()), *regex_);
    case FilterKind::kSemver:
      if (std::optional<Version> v = Version::TryParse(tag); v && constraint_->Check(*v)) {
        out->key = std::move(*v);
        return true;
      }
      return false;
    case FilterKind::kNumerical:
      if (!GlobMatch(pattern_, tag)) return false;
      if (std::optional<NumberKey> n = ParseNumber(tag)) {
        out->key = *n;
        return true;
      }
      return false;
  }
  return false;
}

bool TagFilter::Matches(std::string_view tag) const {
  Candidate unused;
  return Evaluate(tag, &unused);
}

TagFilter::Candidate TagFilter::Keys(const TagInfo& info) const {
  Candidate c;
  c.info = &info;
  if (kind_ == FilterKind::kSemver) {
    if (std::optional<Version> v = Version::TryParse(info.tag)) c.key = std::move(*v);
  } else if (kind_ == FilterKind::kNumerical) {
    if (std::optional<NumberKey> n = ParseNumber(info.tag)) c.key = *n;
  }
  return c;
}

namespace {

// Compares two parsed tags held as `K`; a tag that parsed beats one that did
// not, and two that did not tie.
template <class K, class Compare>
int CompareKeys(const auto& a, const auto& b, Compare compare) {
  const K* x = std::get_if<K>(&a);
  const K* y = std::get_if<K>(&b);
  if ((x != nullptr) != (y != nullptr)) return x != nullptr ? 1 : -1;
  return x != nullptr ? compare(*x, *y) : 0;
}

}  // namespace

bool TagFilter::NewerCandidate(const Candidate& a, const Candidate& b) const {
  int c = 0;
  switch (order()) {
    case TagOrder::kCreated: {
      const auto& x = a.info->created;
      const auto& y = b.info->created;
      if (x.has_value() != y.has_value()) return x.has_value();
      if (x && *x != *y) return *x > *y;
      break;
    }
    case TagOrder::kSemver:
      c = CompareKeys<Version>(a.key, b.key, ComparePrecedence);
      break;
    case TagOrder::kNumerical:
      c = CompareKeys<NumberKey>(a.key, b.key, CompareNumbers);
      break;
    case TagOrder::kAlphabetical:
      return a.info->tag > b.info->tag;
  }
  if (c != 0) return c > 0;
  return NaturalCompare(a.info->tag, b.info->tag) > 0;
}

bool TagFilter::Newer(const TagInfo& a, const TagInfo& b) const {
  return NewerCandidate(Keys(a), Keys(b));
}

std::vector<TagInfo> TagFilter::Select(std::span<const TagInfo> tags,
                                       std::vector<std::string>* unknown_time) const {
  const bool timed = NeedsCreationTime();
  std::vector<Candidate> candidates;
  candidates.reserve(tags.size());
  for (const TagInfo& info : tags) {
    Candidate c;
    c.info = &info;
    if (!Evaluate(info.tag, &c)) continue;
    if (timed && !info.created) {
      if (unknown_time != nullptr) unknown_time->push_back(info.tag);
      continue;
    }
    candidates.push_back(std::move(c));
  }
  // Sort pointers: a Candidate with its parsed Version is too big to move around.
  std::vector<const Candidate*> order;
  order.reserve(candidates.size());
  for (const Candidate& c : candidates) order.push_back(&c);
  std::sort(order.begin(), order.end(),
            [this](const Candidate* a, const Candidate* b) { return NewerCandidate(*a, *b); });
  std::vector<TagInfo> out;
  out.reserve(order.size());
  for (const Candidate* c : order) out.push_back(*c->info);
  return out;
}

}  // namespace tagflow::image
