// A YAML stream parsed into a small tree that remembers where every node
// starts in the source bytes.
//
// yaml-cpp's node API forgets positions and quoting; its event parser does
// not. This file turns the events into `YamlNode`s whose `offset` is a byte
// offset into the original text (a UTF-8 BOM included), so the rewrite can
// find a scalar and edit its bytes in place. Every document of the stream is
// kept, empty ones too.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow::manifest {

struct YamlNode {
  enum class Kind { kNull, kScalar, kSequence, kMap, kAlias };

  Kind kind = Kind::kNull;
  // Scalars: the decoded value.
  std::string value;
  // yaml-cpp's tag: "?" for a plain scalar or untagged collection, "!" for a
  // quoted or block scalar, otherwise the explicit tag ("tag:yaml.org,2002:str").
  std::string tag;
  bool anchored = false;      // carries an `&anchor`
  bool flow = false;          // collections written `{...}` / `[...]`
  std::size_t anchor_id = 0;  // kAlias: the anchor it refers to
  // Where the node starts: byte offset into the source, 0-based line/column.
  std::size_t offset = 0;
  int line = 0;
  int column = 0;
  // kSequence: the items. kMap: key, value, key, value, ...
  std::vector<YamlNode> children;
  // kAlias: the anchored node it refers to (shared, never copied).
  std::shared_ptr<const YamlNode> target;

  bool IsScalar() const { return kind == Kind::kScalar; }
  bool IsMap() const { return kind == Kind::kMap; }
  bool IsSequence() const { return kind == Kind::kSequence; }
  // The node an alias points to, or this node.
  const YamlNode& Resolved() const { return kind == Kind::kAlias && target ? *target : *this; }
  // Map lookup by scalar key (first match); nullptr when absent or not a map.
  // Aliases are resolved on both sides of the lookup.
  const YamlNode* Get(std::string_view key) const;
  // The key node of `key` in this map, or nullptr.
  const YamlNode* KeyNode(std::string_view key) const;
  // The scalar value of `key` when it is a scalar; nullptr otherwise.
  const std::string* GetString(std::string_view key) const;
};

struct YamlDocument {
  YamlNode root;           // kNull for an empty document
  std::size_t offset = 0;  // where the document's content starts
  int line = 0;
};

struct YamlStream {
  std::size_t bom = 0;  // bytes of a leading UTF-8 BOM (0 or 3)
  std::vector<YamlDocument> documents;
};

// Where and why a parse failed (1-based line and column).
struct ParseFailure {
  int line = 0;
  int column = 0;
  std::string what;
};

// Parses every document of `text`. A syntax error is kInvalidInput with the
// message "line L, column C: <what>" (1-based), also stored in `*failure`
// when given. Text that is not UTF-8 (a UTF-16/32 BOM, a NUL byte, a broken
// sequence) is refused the same way, because byte offsets would be
// meaningless.
[[nodiscard]] Result<YamlStream> ParseYaml(std::string_view text, ParseFailure* failure = nullptr);

// The same without the fast path: yaml-cpp only. For tests and benchmarks.
[[nodiscard]] Result<YamlStream> ParseYamlWithYamlCpp(std::string_view text,
                                                      ParseFailure* failure = nullptr);

// Structural equality: kinds, scalar values, tags, flow style, map order and
// alias targets (by anchor id); positions are ignored.
bool SameTree(const YamlNode& a, const YamlNode& b);

// True when a plain scalar with this text resolves to something other than a
// string under YAML 1.1/1.2 rules (null, bool, int, float): Kubernetes would
// not accept it where a string is expected.
bool PlainScalarIsNonString(std::string_view text);

}  // namespace tagflow::manifest
