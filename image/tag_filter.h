// Tag filters and orderings (DESIGN.md §3): which tags of an image repository
// a container's policy allows, and which of them is the newest.
//
//   spec                         matches (whole tag)                ordering
//   "" / "<glob>" / "glob:<glob>" glob: `*` any run (also empty,    image creation time
//                                across '.' and '/'), `?` one byte,
//                                all else literal; "" means `*`
//   "regex:<re>" / "regexp:<re>" RE2, unanchored (write ^...$)      image creation time
//   "semver:<constraint>"        tag is a semver (semver.h) and     semver precedence
//                                satisfies the constraint
//   "alphabetical:<glob>"        glob ("" means `*`)                byte order
//   "numerical:<glob>"           glob, and the tag is a decimal     numeric value
//                                number `-?[0-9]+(.[0-9]+)?`
//   "flux:<json>"                a Flux v2 ImagePolicy (below)       the policy's
//
// "flux:" carries what an ImagePolicy's spec says, as one JSON object:
//   {"pattern": RE2, "extract": "$name", "policy": "semver", "range": R}
//   {"pattern": RE2, "extract": "$name", "policy": "alphabetical"|"numerical",
//    "order": "asc"|"desc"}
// A tag takes part when `pattern` (unanchored; optional, default every tag)
// matches it; its value is then `extract` expanded as Go's Regexp.Expand
// does (`$name`, `${name}`, `$1`, `$$`; `(?P<name>...)` and `(?<name>...)`
// groups), or the tag itself when `extract` is empty. The policy orders the
// values: semver values must parse and satisfy `range`; numerical values
// must be numbers; "asc" (the default) makes the greatest value the newest,
// "desc" the smallest — exactly Flux's image-reflector-controller.
// The tag "latest" matches only the filter "latest" / "glob:latest".
//
// Ties are broken so that the order is total and deterministic: by the tag's
// natural order (natural_order.h), the larger wins. So for semver, "1.10.0"
// is newer than "1.10" (equal precedence, "1.10" is a prefix); for numerical,
// "10" is newer than "010" and "1.0" newer than "1"; for time, among equal
// times "0.0.3" is newer than "0.0.1"; a known time is newer than an unknown
// one. A tag that does not parse (not semver / not a number) is older than
// every tag that does.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/natural_order.h"
#include "image/semver.h"

namespace re2 {
class RE2;
}

namespace tagflow::image {

struct TagInfo {
  std::string tag;
  // Image creation time; empty when unknown (not fetched or not knowable).
  std::optional<std::chrono::system_clock::time_point> created;

  friend bool operator==(const TagInfo&, const TagInfo&) = default;
};

enum class TagOrder { kCreated, kSemver, kAlphabetical, kNumerical };

enum class FilterKind { kGlob, kRegex, kSemver, kAlphabetical, kNumerical };

// An immutable, parsed tag filter. Cheap to copy (the compiled regex is
// shared) and safe to use from several threads at once.
class TagFilter {
 public:
  // The default filter, the same as Parse(""): glob `*`, ordered by time.
  TagFilter() = default;

  // Parses "glob:<p>", a bare pattern (= glob), "" (= glob:*), "regex:<re>" /
  // "regexp:<re>" (RE2, unanchored), "semver:<constraint>",
  // "alphabetical:<glob>", "numerical:<glob>". A spec with a ':' must start
  // with one of these kinds. Errors are kInvalidInput; the message quotes the
  // filter and gives the reason (unknown kind, empty regex or constraint, the
  // RE2 or semver parse error). Never falls back to matching everything.
  [[nodiscard]] static Result<TagFilter> Parse(std::string_view spec);

  // The spec as given ("" stays ""), for display.
  const std::string& spec() const { return s().spec_; }
  FilterKind kind() const { return s().kind_; }
  TagOrder order() const;
  // True for glob and regex filters, whose ordering needs creation times.
  bool NeedsCreationTime() const { return order() == TagOrder::kCreated; }

  // True when the whole `tag` passes the filter (see the table above).
  bool Matches(std::string_view tag) const;

  // True when `a` is strictly newer than `b` under order(), ties broken as
  // described above. A strict total order on distinct tags.
  bool Newer(const TagInfo& a, const TagInfo& b) const;

  // The tags that match, newest first. For time-ordered filters a matching
  // tag whose `created` is empty is not a candidate: it is left out and, when
  // `unknown_time` is not null, appended to it (in input order). Parses each
  // tag once; O(n log n).
  std::vector<TagInfo> Select(std::span<const TagInfo> tags,
                              std::vector<std::string>* unknown_time = nullptr) const;

 private:
  struct Candidate;

  static Result<TagFilter> ParseFlux(std::string_view spec, std::string_view json);
  // The value the order sees: the tag, or what a "flux:" pattern extracts
  // from it (kept in `*storage`); nullopt when the pattern does not match.
  std::optional<std::string_view> ValueOf(std::string_view tag, std::string* storage) const;
  // Matches `tag`, filling the sort keys of `*out` on the way (`*out` keeps
  // views into `*storage`, which must outlive it).
  bool Evaluate(std::string_view tag, Candidate* out, std::string* storage) const;
  // Keys without matching, for Newer.
  Candidate Keys(const TagInfo& info, std::string* storage) const;
  bool NewerCandidate(const Candidate& a, const Candidate& b) const;

  // Everything parsed, shared by the copies: thousands of containers of a
  // big repository use a handful of filters (memory, issue 14).
  struct State {
    std::string spec_;
    FilterKind kind_ = FilterKind::kGlob;
    std::string pattern_ = "*";  // glob for kGlob, kAlphabetical, kNumerical
    std::shared_ptr<const re2::RE2> regex_;
    std::optional<Constraint> constraint_;
    // "flux:" only: the pre-filter and the value it extracts, and the order.
    std::shared_ptr<const re2::RE2> pattern_regex_;
    std::string extract_;
    bool descending_ = false;
  };
  explicit TagFilter(State state) : state_(std::make_shared<const State>(std::move(state))) {}
  const State& s() const;

  std::shared_ptr<const State> state_;  // null: the default filter
};

}  // namespace tagflow::image
