// Internal to yaml_tree.cc: a fast parser for the plain subset of YAML that
// Kubernetes manifests are written in, with yaml-cpp as the fallback.
//
// yaml-cpp spends most of a scan matching its scanner regexes character by
// character. This parser reads block mappings and sequences, one-line plain
// and quoted scalars, flow collections (also over several lines), comments
// and `---` / `...` markers, and builds exactly the tree (values, tags, styles,
// byte offsets, lines, columns) yaml-cpp's events would. On anything else --
// tabs, anchors, aliases, tags, block scalars, multi-line plain scalars,
// directives, complex keys, unusual escapes, anything malformed -- it gives up
// and the caller parses the text with yaml-cpp, which also reports errors.
// Differential tests hold the two parsers to the same trees.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

#include "manifest/yaml_tree.h"

namespace tagflow::manifest::internal {

// The stream of valid UTF-8 `text` (a BOM of `bom` bytes first), or nullopt
// when the text is outside the subset described above.
std::optional<YamlStream> ParseYamlFast(std::string_view text, std::size_t bom);

// The same, handing each document to `sink` as soon as it is complete (index
// 0, 1, ...). False when the text is outside the subset; documents may have
// been delivered before that, which the caller must then drop.
bool ParseYamlFastEach(std::string_view text, std::size_t bom, const DocumentSink& sink);

}  // namespace tagflow::manifest::internal
