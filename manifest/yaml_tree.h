// A YAML stream parsed into a small tree that remembers where every node
// starts in the source bytes.
//
// yaml-cpp's node API forgets positions and quoting; its event parser does
// not. This file turns the events into `YamlNode`s whose `offset` is a byte
// offset into the original text (a UTF-8 BOM included), so the rewrite can
// find a scalar and edit its bytes in place. Every document of the stream is
// kept, empty ones too.
//
// Bounded: one file must never crash or exhaust the daemon. A document that
// nests collections deeper than kMaxNesting (also counting through aliases),
// holds more than kMaxAliases aliases, or whose aliases would expand it by
// more than kMaxAliasNodes nodes is refused like a syntax error, naming the
// limit. So every tree here is at most kMaxNesting + 1 nodes deep and the
// recursive walks over it (SameTree, copies, destruction) stay shallow.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"

namespace tagflow::manifest {

// Collections nested in one another (block or flow, aliases expanded).
// Kubernetes manifests need about 20.
inline constexpr int kMaxNesting = 64;
// Aliases (`*name`) in one document.
inline constexpr int kMaxAliases = 500;
// Nodes that the aliases of one document stand for, added up.
inline constexpr std::size_t kMaxAliasNodes = 1'000'000;

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
  // kAlias: the anchored node it refers to, elsewhere in the same document;
  // nullptr when the alias sits inside its own anchor. It points into the
  // tree it was parsed into (moving the stream keeps it valid; a copy of a
  // tree still points into the original).
  const YamlNode* target = nullptr;

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
  bool limit = false;  // the text is over one of the limits above, not malformed
};

// Parses every document of `text`. A syntax error is kInvalidInput with the
// message "line L, column C: <what>" (1-based), also stored in `*failure`
// when given. Text that is not UTF-8 (a UTF-16/32 BOM, a NUL byte, a broken
// sequence) is refused the same way, because byte offsets would be
// meaningless, and so is text over a limit (the message names it).
[[nodiscard]] Result<YamlStream> ParseYaml(std::string_view text, ParseFailure* failure = nullptr);

// Receives the documents of a stream one at a time (see ParseYamlEach).
using DocumentSink = std::function<void(YamlDocument&& document, std::size_t index)>;

// ParseYaml without holding the stream: each document goes to `sink` as soon
// as it is complete, so memory holds one document's tree at a time. The
// documents arrive in order; when the fast path gives up part-way, yaml-cpp
// parses the text again from the start and `sink` sees index 0 a second
// time: it must forget what it received before. After an error, what was
// delivered belongs to a text that does not parse. Returns the BOM size.
[[nodiscard]] Result<std::size_t> ParseYamlEach(std::string_view text, const DocumentSink& sink,
                                                ParseFailure* failure = nullptr);

// The same without the fast path: yaml-cpp only. For tests and benchmarks.
[[nodiscard]] Result<YamlStream> ParseYamlWithYamlCpp(std::string_view text,
                                                      ParseFailure* failure = nullptr);

// Structural equality: kinds, scalar values, tags, flow style, map order and
// alias targets (by anchor id); positions are ignored.
bool SameTree(const YamlNode& a, const YamlNode& b);

// Nodes of a tree (by address) and what each should be instead.
using NodeReplacements = std::unordered_map<const YamlNode*, YamlNode>;

// Appends to `out` a compact encoding of what SameTree compares: two trees
// are SameTree exactly when their encodings are equal. A node found in
// `replaced` is encoded as its replacement. About the size of the text the
// tree came from, so a caller can keep it instead of the tree.
void EncodeTree(const YamlNode& node, const NodeReplacements& replaced, std::string& out);

// True when a plain scalar with this text resolves to something other than a
// string under YAML 1.1/1.2 rules (null, bool, int, float): Kubernetes would
// not accept it where a string is expected.
bool PlainScalarIsNonString(std::string_view text);

}  // namespace tagflow::manifest
