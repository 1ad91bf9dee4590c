// Internal to the rewrite: `kustomize edit set image` on one entry of a
// Kustomization's `images:` list, as byte splices.
//
// `newTag` (and `digest`) are edited in place when present, quoting kept. A
// missing one is added in the entry's own style, where kustomize orders it
// (name, newName, newTag, digest): a flow entry `{name: a}` gets
// `, newTag: v` after the value before it; a block entry gets a new line
// after that value's line, at its key's column, with the line's own break.
// A new value is plain unless it would read as something other than a string
// ("1.10"), then double-quoted. Nothing else changes.
#pragma once

#include <string_view>
#include <vector>

#include "base/error.h"
#include "manifest/text_edit.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest::internal {

// Plans setting `tag` (when not empty) and `digest` (when not empty) on the
// images entry `entry` (a mapping of the parsed `text`, not an alias); `bom`
// is the text's BOM size. Appends the splices to `splices` and returns the
// entry as it must parse afterwards. kInvalidInput, with nothing appended,
// when a value cannot be edited in place (see scalar_text.h), when the entry
// has a `digest` and `digest` is empty (kustomize would keep using the old
// digest), or when a line to add after holds more than a comment.
[[nodiscard]] Result<YamlNode> PlanImagesEntry(std::string_view text, std::size_t bom,
                                               const YamlNode& entry, std::string_view tag,
                                               std::string_view digest,
                                               std::vector<Splice>& splices);

}  // namespace tagflow::manifest::internal
