// Semantic versions (semver 2.0.0) and version constraints, with the lenient
// reading of image tags and the constraint language of Masterminds/semver v3
// (what Flux v1 used), written from its documented behaviour.
//
// Versions: an optional `v`/`V`, then `MAJOR[.MINOR[.PATCH]]` (missing parts
// are 0, leading zeros allowed in these three), then an optional
// `-PRERELEASE` and `+BUILD`, both dot-separated identifiers of
// [0-9A-Za-z-]; numeric pre-release identifiers must not have leading zeros.
// Precedence follows semver 2.0.0: build metadata is ignored.
//
// Constraints (`Constraint::Parse`):
//   `||` separates alternatives (OR); inside one, comparators separated by
//   spaces or one `,` must all hold (AND).
//   Operators: `=` (or none), `!=`, `>`, `<`, `>=` (`=>`), `<=` (`=<`),
//   `~` (`~>`), `^`. A version in a constraint may be partial (`1`, `1.2`) or
//   use a wildcard `x`, `X` or `*` for a part (`1.2.x`, `1.*`, `*`); every part
//   after a wildcard is a wildcard too. A partial or wildcard version `R`
//   stands for a range:  `*` = any, `1` = [1.0.0, 2.0.0), `1.2` = [1.2.0, 1.3.0).
//     `=R` in R          `!=R` outside R         `>=R` >= lower end of R
//     `<R` < lower end   `>R` above all of R     `<=R` not above R
//     (so `<=1.4` is `<1.5.0`, `>1.4` is `>=1.5.0`)
//   `~1.2.3` = [1.2.3, 1.3.0)  `~1.2` = [1.2.0, 1.3.0)  `~1` = [1.0.0, 2.0.0)
//   `^1.2.3` = [1.2.3, 2.0.0)  `^0.2.3` = [0.2.3, 0.3.0)  `^0.0.3` = [0.0.3, 0.0.4)
//   `^0.0` = [0.0.0, 0.1.0)    `^0` = [0.0.0, 1.0.0)      `^*`, `~*` = any
//   Hyphen range `A - B` (spaces required) = `>=A <=B`, so `1.2 - 1.4` is
//   `>=1.2.0 <1.5.0`.
// Pre-releases: a version with a pre-release satisfies an alternative only
// when some comparator of that alternative names a pre-release on the same
// MAJOR.MINOR.PATCH (`1.2.3-rc.1` fails `^1.2` but passes
// `>=1.2.3-rc.0 <1.2.4`); then every comparator is checked by precedence.
// Deliberate departures from Masterminds' quirks, for consistency: `>*` and
// `<*` match nothing, `<=*` and `^*` match everything, `!=*` matches nothing,
// `~0.0.0` is [0.0.0, 0.1.0) like any other `~X.Y.Z`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow::image {

class Version {
 public:
  Version() = default;

  // Parses a version (see above). Errors are kInvalidInput, quote `text` and
  // say what is wrong.
  [[nodiscard]] static Result<Version> Parse(std::string_view text);
  // Same as Parse without building an error message: for hot loops.
  static std::optional<Version> TryParse(std::string_view text);

  uint64_t major() const { return major_; }
  uint64_t minor() const { return minor_; }
  uint64_t patch() const { return patch_; }
  // How many of MAJOR.MINOR.PATCH were written: 1, 2 or 3.
  int parts() const { return parts_; }
  // The pre-release identifiers joined by '.', "" when none.
  const std::string& prerelease() const { return prerelease_; }
  // The build metadata, "" when none. Ignored by precedence.
  const std::string& build() const { return build_; }
  bool IsPrerelease() const { return !prerelease_.empty(); }

  // Normalised form "MAJOR.MINOR.PATCH[-PRE][+BUILD]" (no `v`, parts filled).
  std::string String() const;

 private:
  friend class VersionParser;

  uint64_t major_ = 0;
  uint64_t minor_ = 0;
  uint64_t patch_ = 0;
  int parts_ = 3;
  std::string prerelease_;
  std::string build_;
};

// semver 2.0.0 precedence: <0, 0 or >0. Build metadata is ignored, so
// "1.2.3+a" and "1.2.3+b" (and "1.2" and "1.2.0") compare equal.
int ComparePrecedence(const Version& a, const Version& b);

// One comparator after parsing, as a range of versions. Exposed for tests and
// for explaining a constraint; callers normally use Constraint::Check.
struct Comparator {
  std::optional<Version> lower;  // none: unbounded below
  bool lower_inclusive = true;
  std::optional<Version> upper;  // none: unbounded above
  bool upper_inclusive = false;
  bool negate = false;  // satisfied when the version is outside the range
  bool never = false;   // satisfied by no version (e.g. `>*`)
  // Set when the comparator's version names a pre-release: the
  // MAJOR.MINOR.PATCH whose pre-releases this alternative admits.
  std::optional<Version> prerelease_base;

  // Range test by precedence, without the pre-release admission rule.
  bool Contains(const Version& v) const;
};

class Constraint {
 public:
  // Parses a constraint (see above). Errors are kInvalidInput, quote `text`
  // and give the reason (unknown operator, bad version, empty alternative...).
  [[nodiscard]] static Result<Constraint> Parse(std::string_view text);

  // True when `v` satisfies at least one alternative.
  bool Check(const Version& v) const;

  // The constraint as given.
  const std::string& text() const { return text_; }
  // The alternatives (OR) of comparators (AND).
  const std::vector<std::vector<Comparator>>& alternatives() const { return alternatives_; }

 private:
  std::string text_;
  std::vector<std::vector<Comparator>> alternatives_;
};

}  // namespace tagflow::image
