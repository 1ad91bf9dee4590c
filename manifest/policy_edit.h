// Internal to the rewrite: annotation edits on one workload object.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "manifest/text_edit.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest::internal {

// Desired policies: name -> value, or nullopt to remove; first-seen order.
using PolicyChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Plans `changes` on the annotations of workload mapping `object` (parsed
// from `text`) as splices appended to `splices`, and makes the same change
// to `model`, a structural copy of `object`, so the caller can verify the
// re-parsed result. kInvalidInput when the annotations or metadata are
// written in a way that cannot be edited in place.
[[nodiscard]] Result<void> PlanPolicyEdits(std::string_view text, std::size_t bom,
                                           const YamlNode& object, YamlNode& model,
                                           const PolicyChanges& changes,
                                           std::vector<Splice>& splices);

}  // namespace tagflow::manifest::internal
