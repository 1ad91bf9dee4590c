#include "image/tag_filter.h"

#include <fmt/format.h>
#include <re2/re2.h>

#include <algorithm>
#include <utility>
#include <variant>

#include "base/glob.h"
#include "base/json.h"
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

bool IsNameByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}

// One `$name`, `${name}`, `$1` or `$$` at the start of `t` (which starts with
// '$'), as Go's Regexp.Expand reads it: {name, length}; the name "$" stands
// for a literal '$'; nullopt when malformed (then the '$' is literal text).
std::optional<std::pair<std::string_view, std::size_t>> TemplateName(std::string_view t) {
  if (t.size() < 2) return std::nullopt;
  if (t[1] == '$') return std::pair{t.substr(0, 1), std::size_t{2}};
  bool braced = t[1] == '{';
  std::size_t start = braced ? 2 : 1;
  std::size_t end = start;
  while (end < t.size() && IsNameByte(t[end])) ++end;
  if (end == start) return std::nullopt;
  if (braced) {
    if (end >= t.size() || t[end] != '}') return std::nullopt;
    return std::pair{t.substr(start, end - start), end + 1};
  }
  return std::pair{t.substr(start, end - start), end};
}

// The group a template name stands for, or -1 when there is none.
int GroupIndex(const RE2& re, std::string_view name) {
  if (std::all_of(name.begin(), name.end(), IsDigit)) {
    if (name.size() > 8) return -1;
    int n = 0;
    for (char c : name) n = n * 10 + (c - '0');
    return n <= re.NumberOfCapturingGroups() ? n : -1;
  }
  const auto& named = re.NamedCapturingGroups();
  auto it = named.find(std::string(name));
  return it == named.end() ? -1 : it->second;
}

// Go's Regexp.Expand of `tmpl` with the groups of one match.
std::string Expand(std::string_view tmpl, const RE2& re, const re2::StringPiece* groups) {
  std::string out;
  while (!tmpl.empty()) {
    std::size_t dollar = tmpl.find('$');
    out.append(tmpl.substr(0, dollar));
    if (dollar == std::string_view::npos) break;
    tmpl.remove_prefix(dollar);
    auto name = TemplateName(tmpl);
    if (!name) {
      out.push_back('$');
      tmpl.remove_prefix(1);
      continue;
    }
    if (name->first == "$") {
      out.push_back('$');
    } else if (int g = GroupIndex(re, name->first); g >= 0 && groups[g].data() != nullptr) {
      out.append(groups[g].data(), groups[g].size());
    }
    tmpl.remove_prefix(name->second);
  }
  return out;
}

// Go (1.22+) also spells a named group `(?<name>...)`; RE2 wants `(?P<name>`.
std::string GoGroupsToRe2(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    out.push_back(pattern[i]);
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out.push_back(pattern[++i]);
    } else if (pattern.substr(i, 3) == "(?<" && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
               pattern[i + 3] != '!') {
      out.append("?P<");
      i += 2;
    }
  }
  return out;
}

std::shared_ptr<const RE2> CompileRegex(std::string_view pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  return std::make_shared<const RE2>(re2::StringPiece(pattern.data(), pattern.size()), options);
}

}  // namespace

struct TagFilter::Candidate {
  const TagInfo* info = nullptr;
  // What the order compares: the tag, or the value a "flux:" pattern
  // extracted from it.
  std::string_view value;
  // The parsed tag: a Version for kSemver, a NumberKey for kNumerical; empty
  // for other kinds and for tags that do not parse.
  std::variant<std::monostate, Version, NumberKey> key;
};

const TagFilter::State& TagFilter::s() const {
  static const State kDefault;
  return state_ ? *state_ : kDefault;
}

Result<TagFilter> TagFilter::Parse(std::string_view spec) {
  State f;
  f.spec_ = std::string(spec);
  size_t colon = spec.find(':');
  std::string_view kind = colon == std::string_view::npos ? "glob" : spec.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? spec : spec.substr(colon + 1);
  if (kind == "glob" || kind == "alphabetical" || kind == "numerical") {
    f.kind_ = kind == "glob"           ? FilterKind::kGlob
              : kind == "alphabetical" ? FilterKind::kAlphabetical
                                       : FilterKind::kNumerical;
    f.pattern_ = rest.empty() ? "*" : std::string(rest);
  } else if (kind == "flux") {
    return ParseFlux(spec, rest);
  } else if (kind == "regex" || kind == "regexp") {
    if (rest.empty()) return Invalid(spec, "empty regular expression (use glob:* for every tag)");
    auto re = CompileRegex(rest);
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
                                     "alphabetical, numerical or flux)",
                                     kind));
  }
  return TagFilter(std::move(f));
}

Result<TagFilter> TagFilter::ParseFlux(std::string_view spec, std::string_view json) {
  std::optional<nlohmann::json> doc = ParseJson(json);
  if (!doc || !doc->is_object()) return Invalid(spec, "flux: wants a JSON object");
  for (const auto& [key, value] : doc->items()) {
    if (key != "pattern" && key != "extract" && key != "policy" && key != "range" &&
        key != "order") {
      return Invalid(spec, fmt::format("unknown field \"{}\"", key));
    }
    if (!value.is_string()) return Invalid(spec, fmt::format("\"{}\" must be a string", key));
  }
  State f;
  f.spec_ = std::string(spec);
  std::string pattern = JsonString(*doc, "pattern");
  f.extract_ = JsonString(*doc, "extract");
  if (!pattern.empty()) {
    auto re = CompileRegex(GoGroupsToRe2(pattern));
    if (!re->ok()) return Invalid(spec, fmt::format("invalid pattern: {}", re->error()));
    f.pattern_regex_ = std::move(re);
  } else if (!f.extract_.empty()) {
    return Invalid(spec, "extract needs a pattern");
  }
  // A name the pattern does not define would extract "" from every tag.
  for (std::string_view t = f.extract_; !t.empty();) {
    std::size_t dollar = t.find('$');
    if (dollar == std::string_view::npos) break;
    t.remove_prefix(dollar);
    auto name = TemplateName(t);
    if (name && name->first != "$" && GroupIndex(*f.pattern_regex_, name->first) < 0) {
      return Invalid(spec, fmt::format("extract refers to ${}, which the pattern does not define",
                                       name->first));
    }
    t.remove_prefix(name ? name->second : 1);
  }
  std::string policy = JsonString(*doc, "policy");
  std::string order = JsonString(*doc, "order", "asc");
  if (order != "asc" && order != "desc")
    return Invalid(spec, fmt::format("order \"{}\" is not asc or desc", order));
  f.descending_ = order == "desc";
  if (policy == "semver") {
    if (doc->contains("order")) return Invalid(spec, "a semver policy has no order");
    Result<Constraint> c = Constraint::Parse(JsonString(*doc, "range"));
    if (!c) return Invalid(spec, c.error().message);
    f.kind_ = FilterKind::kSemver;
    f.constraint_ = std::move(*c);
  } else if (policy == "alphabetical" || policy == "numerical") {
    if (doc->contains("range"))
      return Invalid(spec, fmt::format("a {} policy has no range", policy));
    f.kind_ = policy == "alphabetical" ? FilterKind::kAlphabetical : FilterKind::kNumerical;
  } else {
    return Invalid(spec,
                   fmt::format("policy \"{}\" is not semver, alphabetical or numerical", policy));
  }
  return TagFilter(std::move(f));
}

std::optional<std::string_view> TagFilter::ValueOf(std::string_view tag,
                                                   std::string* storage) const {
  if (s().pattern_regex_ == nullptr) return tag;
  const RE2& re = *s().pattern_regex_;
  constexpr int kMaxGroups = 16;
  int groups = std::min(re.NumberOfCapturingGroups() + 1, kMaxGroups + 1);
  re2::StringPiece match[kMaxGroups + 1];
  if (!re.Match(re2::StringPiece(tag.data(), tag.size()), 0, tag.size(), RE2::UNANCHORED, match,
                groups)) {
    return std::nullopt;
  }
  if (s().extract_.empty()) return tag;
  *storage = Expand(s().extract_, re, match);
  return std::string_view(*storage);
}

TagOrder TagFilter::order() const {
  switch (s().kind_) {
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

bool TagFilter::Evaluate(std::string_view tag, Candidate* out, std::string* storage) const {
  if (tag == kLatest && !(s().kind_ == FilterKind::kGlob && s().pattern_ == kLatest)) return false;
  std::optional<std::string_view> value = ValueOf(tag, storage);
  if (!value) return false;
  out->value = *value;
  switch (s().kind_) {
    case FilterKind::kGlob:
    case FilterKind::kAlphabetical:
      return GlobMatch(s().pattern_, out->value);
    case FilterKind::kRegex:
      return RE2::PartialMatch(re2::StringPiece(tag.data(), tag.size()), *s().regex_);
    case FilterKind::kSemver:
      if (std::optional<Version> v = Version::TryParse(out->value);
          v && s().constraint_->Check(*v)) {
        out->key = std::move(*v);
        return true;
      }
      return false;
    case FilterKind::kNumerical:
      if (!GlobMatch(s().pattern_, out->value)) return false;
      if (std::optional<NumberKey> n = ParseNumber(out->value)) {
        out->key = *n;
        return true;
      }
      return false;
  }
  return false;
}

bool TagFilter::Matches(std::string_view tag) const {
  Candidate unused;
  std::string storage;
  return Evaluate(tag, &unused, &storage);
}

TagFilter::Candidate TagFilter::Keys(const TagInfo& info, std::string* storage) const {
  Candidate c;
  c.info = &info;
  c.value = ValueOf(info.tag, storage).value_or(info.tag);
  if (s().kind_ == FilterKind::kSemver) {
    if (std::optional<Version> v = Version::TryParse(c.value)) c.key = std::move(*v);
  } else if (s().kind_ == FilterKind::kNumerical) {
    if (std::optional<NumberKey> n = ParseNumber(c.value)) c.key = *n;
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
      if (s().descending_ && std::holds_alternative<NumberKey>(a.key) &&
          std::holds_alternative<NumberKey>(b.key))
        c = -c;
      break;
    case TagOrder::kAlphabetical:
      c = Sign(a.value.compare(b.value));
      if (c == 0) return a.info->tag > b.info->tag;
      return s().descending_ ? c < 0 : c > 0;
  }
  if (c != 0) return c > 0;
  return NaturalCompare(a.info->tag, b.info->tag) > 0;
}

bool TagFilter::Newer(const TagInfo& a, const TagInfo& b) const {
  std::string x;
  std::string y;
  return NewerCandidate(Keys(a, &x), Keys(b, &y));
}

std::vector<TagInfo> TagFilter::Select(std::span<const TagInfo> tags,
                                       std::vector<std::string>* unknown_time) const {
  const bool timed = NeedsCreationTime();
  std::vector<Candidate> candidates;
  candidates.reserve(tags.size());
  // Extracted values, one slot per tag so that the candidates' views stay put.
  std::vector<std::string> values(s().pattern_regex_ != nullptr ? tags.size() : 0);
  for (std::size_t i = 0; i < tags.size(); ++i) {
    const TagInfo& info = tags[i];
    Candidate c;
    c.info = &info;
    if (!Evaluate(info.tag, &c, values.empty() ? nullptr : &values[i])) continue;
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
