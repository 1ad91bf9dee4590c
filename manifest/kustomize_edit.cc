#include "manifest/kustomize_edit.h"

#include <fmt/format.h>

#include <array>
#include <map>
#include <optional>

#include "manifest/scalar_text.h"

namespace tagflow::manifest::internal {
namespace {

// The keys of an entry in kustomize's order.
constexpr std::array<std::string_view, 4> kOrder = {"name", "newName", "newTag", "digest"};

// Index in `entry.children` of the key `key`, or nullopt.
std::optional<std::size_t> KeyIndex(const YamlNode& entry, std::string_view key) {
  for (std::size_t i = 0; i + 1 < entry.children.size(); i += 2) {
    const YamlNode& k = entry.children[i];
    if (k.IsScalar() && k.value == key) return i;
  }
  return std::nullopt;
}

YamlNode Scalar(std::string value, bool quoted) {
  YamlNode n;
  n.kind = YamlNode::Kind::kScalar;
  n.value = std::move(value);
  n.tag = quoted ? "!" : "?";
  return n;
}

// A new value as written: plain when it reads back as the same string.
std::string RenderNew(std::string_view value) {
  return IsPlainSafe(value) && !PlainScalarIsNonString(value) ? std::string(value)
                                                              : DoubleQuote(value);
}

}  // namespace

Result<YamlNode> PlanImagesEntry(std::string_view text, std::size_t bom, const YamlNode& entry,
                                 std::string_view tag, std::string_view digest,
                                 std::vector<Splice>& splices) {
  if (!entry.IsMap() || !KeyIndex(entry, "name")) {
    return Fail(ErrorKind::kInvalidInput, "the images entry is not a mapping with a name");
  }
  if (KeyIndex(entry, "digest") && digest.empty()) {
    return Fail(ErrorKind::kInvalidInput,
                "the images entry pins a digest, which a tag alone would not replace; turn on "
                "digest tracking (tagflow.io/digest) for it");
  }
  YamlNode model = entry;
  std::vector<Splice> planned;
  // Keys to add, by the index of the key they follow.
  std::map<std::size_t, std::vector<std::pair<std::string_view, std::string_view>>> added;
  for (auto [key, value] : {std::pair{kOrder[2], tag}, std::pair{kOrder[3], digest}}) {
    if (value.empty()) continue;
    if (std::optional<std::size_t> i = KeyIndex(entry, key)) {
      const YamlNode& node = entry.children[*i + 1];
      Result<ScalarSpan> span = LocateScalar(text, node);
      if (!span) return Fail(span.error().Wrap(fmt::format("{} of the images entry", key)));
      if (node.value == value) continue;
      Result<std::string> rendered = RenderScalarInStyle(value, span->style, node.value);
      if (!rendered) return Fail(rendered.error().Wrap(fmt::format("{}", key)));
      bool quoted = rendered->front() == '"' || rendered->front() == '\'';
      model.children[*i + 1] = Scalar(std::string(value), quoted);
      planned.push_back(Splice{span->offset, span->length, std::move(*rendered)});
      continue;
    }
    // After the last key present (or being added) before it in kustomize's order.
    std::size_t anchor = *KeyIndex(entry, "name");
    for (std::string_view before : kOrder) {
      if (before == key) break;
      if (std::optional<std::size_t> i = KeyIndex(entry, before)) anchor = std::max(anchor, *i);
    }
    added[anchor].emplace_back(key, value);
  }
  for (const auto& [anchor, keys] : added) {
    const YamlNode& after = entry.children[anchor + 1];
    Result<std::size_t> end = NodeEnd(text, after);
    if (!end) return Fail(end.error().Wrap("the images entry"));
    std::string add;
    std::size_t at = *end;
    if (entry.flow) {
      for (const auto& [key, value] : keys) add += fmt::format(", {}: {}", key, RenderNew(value));
    } else {
      if (!RestOfLineIsBlank(text, *end)) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("line {}: more than a comment after {}; cannot add {} below it",
                                after.line + 1, entry.children[anchor].value, keys.front().first));
      }
      std::size_t next = NextLine(text, *end);
      std::string_view eol = LineBreak(text);
      at = text.size();
      if (next > 0 && text[next - 1] == '\n') {
        at = next - 1;
        if (at > *end && text[at - 1] == '\r') --at;
        eol = text.substr(at, next - at);
      }
      const YamlNode& key_node = entry.children[anchor];
      std::string indent(key_node.offset - LineStart(text, key_node.offset, bom), ' ');
      for (const auto& [key, value] : keys)
        add += fmt::format("{}{}{}: {}", eol, indent, key, RenderNew(value));
    }
    planned.push_back(Splice{at, 0, std::move(add)});
  }
  // The model gets the added keys where the text gets them.
  if (!added.empty()) {
    std::vector<YamlNode> children;
    for (std::size_t i = 0; i + 1 < model.children.size(); i += 2) {
      children.push_back(std::move(model.children[i]));
      children.push_back(std::move(model.children[i + 1]));
      auto keys = added.find(i);
      if (keys == added.end()) continue;
      for (const auto& [key, value] : keys->second) {
        std::string rendered = RenderNew(value);
        children.push_back(Scalar(std::string(key), false));
        children.push_back(Scalar(std::string(value), rendered.front() == '"'));
      }
    }
    model.children = std::move(children);
  }
  for (Splice& s : planned) splices.push_back(std::move(s));
  return model;
}

}  // namespace tagflow::manifest::internal
