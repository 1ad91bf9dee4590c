// Internal to the rewrite: byte splices and the line arithmetic of block
// YAML (where an entry ends, how deep a line is indented).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest::internal {

// Replace text[offset, offset + length) with `text`; length 0 inserts.
struct Splice {
  std::size_t offset = 0;
  std::size_t length = 0;
  std::string text;
};

// Applies non-overlapping splices (any order) to `text`. kInternal when two
// overlap.
[[nodiscard]] Result<std::string> ApplySplices(std::string_view text, std::vector<Splice> splices);

// Offset where the line holding `pos` starts (after a BOM on the first line).
std::size_t LineStart(std::string_view text, std::size_t pos, std::size_t bom);
// Offset just past the '\n' ending the line holding `pos` (text.size() at
// the end of a last line without one).
std::size_t NextLine(std::string_view text, std::size_t pos);
// "\r\n" when the file's first line break is CRLF, else "\n".
std::string_view LineBreak(std::string_view text);
// True when text[from, to) holds only spaces.
bool OnlySpaces(std::string_view text, std::size_t from, std::size_t to);
// True when the rest of the line from `pos` is blank or a comment.
bool RestOfLineIsBlank(std::string_view text, std::size_t pos);

// The byte column of block-mapping key `key`, checked to be preceded only by
// spaces on its line (kInvalidInput otherwise).
[[nodiscard]] Result<std::size_t> BlockKeyColumn(std::string_view text, const YamlNode& key,
                                                 std::size_t bom);

// For the block-mapping entry whose key starts at `key` (column `column`)
// and whose value is `value`: the offset just past the last line of the
// entry (continuation lines are deeper, or `- ` items at the key's column
// for a sequence value; trailing blank and shallower comment lines are not
// part of it).
std::size_t BlockEntryEnd(std::string_view text, const YamlNode& key, std::size_t column,
                          const YamlNode& value, std::size_t bom);

}  // namespace tagflow::manifest::internal
