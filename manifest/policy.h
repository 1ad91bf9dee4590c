// Flux v1 policies: the workload annotations that drive automation.
//
// `fluxcd.io/<policy>` and the legacy `flux.weave.works/<policy>` read the
// same; `filter.fluxcd.io/<container>` is another spelling of
// `fluxcd.io/tag.<container>`. When a workload spells one policy several
// ways, `fluxcd.io/` wins over `flux.weave.works/`, which wins over
// `filter.fluxcd.io/`. Only the exact string "true" turns a flag on.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace tagflow::manifest {

inline constexpr std::string_view kPolicyPrefix = "fluxcd.io/";
inline constexpr std::string_view kLegacyPolicyPrefix = "flux.weave.works/";
inline constexpr std::string_view kFilterPrefix = "filter.fluxcd.io/";

inline constexpr std::string_view kAutomated = "automated";
inline constexpr std::string_view kLocked = "locked";
inline constexpr std::string_view kLockedMsg = "locked_msg";
inline constexpr std::string_view kLockedUser = "locked_user";
inline constexpr std::string_view kIgnore = "ignore";
inline constexpr std::string_view kTagPrefix = "tag.";

// tagflow's own annotations (DESIGN.md §2): `tagflow.io/<name>.<container>`
// wins over the workload-wide `tagflow.io/<name>`.
inline constexpr std::string_view kTagflowPrefix = "tagflow.io/";
inline constexpr std::string_view kDigest = "digest";   // "true": track the tag's digest
inline constexpr std::string_view kMinAge = "min-age";  // a duration: "30m"
inline constexpr std::string_view kVerify = "verify";   // "cosign"

// Annotations as written on a workload, in document order.
using Annotations = std::vector<std::pair<std::string, std::string>>;

// What a container's release is held to (DESIGN.md §2, tagflow.io/digest,
// min-age, verify). The default holds nothing.
struct ReleasePolicy {
  bool track_digest = false;  // write `repo:tag@sha256:...`, follow re-pushes
  std::optional<std::chrono::milliseconds> min_age;  // a younger tag is no candidate
  bool verify_cosign = false;                        // only tags with a valid cosign signature

  bool Gated() const { return min_age.has_value() || verify_cosign; }
  friend bool operator==(const ReleasePolicy&, const ReleasePolicy&) = default;
};

// "tag.<container>", the policy holding a container's tag filter.
std::string TagPolicy(std::string_view container);

// The policy an annotation key sets ("automated", "tag.app"), or nullopt for
// keys outside the three prefixes.
std::optional<std::string> PolicyOfAnnotation(std::string_view key);

// Every annotation key that spells `policy`, preferred spelling first:
// "fluxcd.io/<p>", "flux.weave.works/<p>", and for "tag.<c>" also
// "filter.fluxcd.io/<c>".
std::vector<std::string> PolicyAnnotationKeys(std::string_view policy);

class Policies {
 public:
  Policies() = default;
  // Reads the policies of a workload from its annotations.
  static Policies FromAnnotations(const Annotations& annotations);

  // Policy name -> value as written ("automated" -> "true",
  // "tag.app" -> "semver:~1.2"), sorted by name.
  const std::map<std::string, std::string>& values() const { return values_; }
  // The value of `policy`, or nullopt when unset.
  std::optional<std::string> Get(std::string_view policy) const;

  bool automated() const { return IsTrue(kAutomated); }
  bool locked() const { return IsTrue(kLocked); }
  bool ignored() const { return IsTrue(kIgnore); }
  // The tag filter of `container` as written, or nullopt (meaning glob:*).
  std::optional<std::string> TagFilter(std::string_view container) const {
    return Get(TagPolicy(container));
  }
  // The value of `tagflow.io/<name>.<container>`, else of
  // `tagflow.io/<name>`, else nullopt.
  std::optional<std::string> TagflowValue(std::string_view name, std::string_view container) const;
  // The release policy of `container` from its tagflow.io annotations.
  // kInvalidInput naming the annotation and the value when `digest` is not
  // "true"/"false", `min-age` is not a positive duration ("30m", "1h"), or
  // `verify` is not "cosign".
  [[nodiscard]] Result<ReleasePolicy> Release(std::string_view container) const;

 private:
  bool IsTrue(std::string_view policy) const;

  std::map<std::string, std::string> values_;
  // tagflow.io/ keys without the prefix ("digest", "min-age.app") -> value.
  std::map<std::string, std::string> tagflow_;
};

}  // namespace tagflow::manifest
