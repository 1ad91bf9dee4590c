// Flux v1 policies: the workload annotations that drive automation.
//
// `fluxcd.io/<policy>` and the legacy `flux.weave.works/<policy>` read the
// same; `filter.fluxcd.io/<container>` is another spelling of
// `fluxcd.io/tag.<container>`. When a workload spells one policy several
// ways, `fluxcd.io/` wins over `flux.weave.works/`, which wins over
// `filter.fluxcd.io/`. Only the exact string "true" turns a flag on.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

// Annotations as written on a workload, in document order.
using Annotations = std::vector<std::pair<std::string, std::string>>;

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

 private:
  bool IsTrue(std::string_view policy) const;

  std::map<std::string, std::string> values_;
};

}  // namespace tagflow::manifest
