// Scalars as bytes: where a parsed scalar sits in its source, how it is
// quoted, and how to write a new value in its place.
//
// The rewrite only edits what it can prove: the bytes at a node's position
// must spell the parsed value in one line (plain, 'single' or "double"
// quoted). A tag (`!!str`), an anchor or alias, a block scalar (`|`, `>`) or a
// value folded over several lines is refused with a message that says why.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest {

enum class QuoteStyle { kPlain, kSingle, kDouble };

// "plain", "single-quoted", "double-quoted".
std::string_view QuoteStyleName(QuoteStyle style);

// The bytes of one scalar token, quotes included: text.substr(offset, length).
struct ScalarSpan {
  std::size_t offset = 0;
  std::size_t length = 0;
  QuoteStyle style = QuoteStyle::kPlain;

  std::size_t end() const { return offset + length; }
};

// Finds the token of scalar `node` in `text` and checks that it decodes to
// `node.value`. kInvalidInput ("line L, column C: ...") when it cannot be
// edited in place: not a scalar, a tag, an anchor or alias, a block scalar,
// a multi-line value, or bytes that do not spell the value.
[[nodiscard]] Result<ScalarSpan> LocateScalar(std::string_view text, const YamlNode& node);

// Text to write in place of a scalar of `style` whose value was `old_value`,
// so that it parses back as `value`. Quoting is kept; a plain scalar is
// double-quoted only when `value` cannot be written plain or would change
// type (a string turning into a number, a bool, null). Quoted styles fall
// back to double quotes for characters they cannot carry.
std::string RenderScalar(std::string_view value, QuoteStyle style, std::string_view old_value);

// Like RenderScalar, but the style is the scalar's own or an error: a value
// that a plain scalar cannot hold (indicators, `: `, ` #`, flow characters)
// or that a single-quoted one cannot carry is kInvalidInput naming the style;
// a plain value double-quoted only to stay a string ("1.10") is allowed. For image references,
// whose quoting a rewrite never changes: a value that needs it is not an image reference.
[[nodiscard]] Result<std::string> RenderScalarInStyle(std::string_view value, QuoteStyle style,
                                                      std::string_view old_value);

// `value` as a double-quoted YAML scalar ("..." with \\ \" and control
// characters escaped; other UTF-8 kept as is).
std::string DoubleQuote(std::string_view value);

// True when `value` can be written as a plain scalar in block or flow
// context and read back as the same string.
bool IsPlainSafe(std::string_view value);

// Decodes the one-line quoted scalar that starts at text[start] (a ' or a
// "), setting `end` just past its closing quote; nullopt when it is not
// closed on its line or has a bad escape.
std::optional<std::string> DecodeQuotedLine(std::string_view text, std::size_t start,
                                            std::size_t& end);

// Offset just past the flow collection (`{...}` or `[...]`) that opens at
// `open`, skipping quoted scalars and comments; npos when unbalanced.
std::size_t FlowCollectionEnd(std::string_view text, std::size_t open);

// Offset just past `node` when it is a one-line scalar or a flow collection;
// an error otherwise (block collections have no cheap end).
[[nodiscard]] Result<std::size_t> NodeEnd(std::string_view text, const YamlNode& node);

}  // namespace tagflow::manifest
