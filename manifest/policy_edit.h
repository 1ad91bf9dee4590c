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

// The metadata of a workload after planned policy edits.
struct PlannedMetadata {
  const YamlNode* node = nullptr;  // `object`'s metadata mapping, in the parsed tree
  YamlNode model;                  // what it must parse back to after the splices
};

// Plans `changes` on the annotations of workload mapping `object` (parsed
// from `text`) as splices appended to `splices`, and returns the metadata
// mapping as it must look afterwards, so the caller can verify the re-parsed
// result. kInvalidInput when the annotations or metadata are written in a
// way that cannot be edited in place; then `splices` is left as it was.
// Costs the size of the metadata mapping.
[[nodiscard]] Result<PlannedMetadata> PlanPolicyEdits(std::string_view text, std::size_t bom,
                                                      const YamlNode& object,
                                                      const PolicyChanges& changes,
                                                      std::vector<Splice>& splices);

}  // namespace tagflow::manifest::internal
