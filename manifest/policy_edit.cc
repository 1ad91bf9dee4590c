#include "manifest/policy_edit.h"

#include <fmt/format.h>

#include <algorithm>
#include <iterator>

#include "manifest/policy.h"
#include "manifest/scalar_text.h"

namespace tagflow::manifest::internal {
namespace {

struct Addition {
  std::string key;
  std::string value;
};

std::unexpected<Error> Refuse(const YamlNode& at, std::string_view why) {
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("line {}, column {}: {}; the annotations cannot be edited in place",
                          at.line + 1, at.column + 1, why));
}

std::string KeyText(std::string_view key) {
  return IsPlainSafe(key) && !PlainScalarIsNonString(key) ? std::string(key) : DoubleQuote(key);
}

YamlNode ScalarNode(std::string value, bool quoted) {
  YamlNode node;
  node.kind = YamlNode::Kind::kScalar;
  node.value = std::move(value);
  node.tag = std::string(quoted ? "!" : "?");
  return node;
}

YamlNode MapNode(const std::vector<Addition>& additions, bool flow) {
  YamlNode map;
  map.kind = YamlNode::Kind::kMap;
  map.tag = std::string(1, '?');
  map.flow = flow;
  for (const Addition& a : additions) {
    map.children.push_back(ScalarNode(a.key, KeyText(a.key).front() == '"'));
    map.children.push_back(ScalarNode(a.value, true));
  }
  return map;
}

std::string BlockLines(const std::vector<Addition>& additions, std::size_t indent,
                       std::string_view nl) {
  std::string out;
  for (const Addition& a : additions) {
    out +=
        std::string(indent, ' ') + KeyText(a.key) + ": " + DoubleQuote(a.value) + std::string(nl);
  }
  return out;
}

std::string FlowEntries(const std::vector<Addition>& additions, bool leading_comma) {
  std::string out;
  for (const Addition& a : additions) {
    if (leading_comma || !out.empty()) out += ", ";
    out += KeyText(a.key) + ": " + DoubleQuote(a.value);
  }
  return out;
}

// Inserts whole lines at `at`. At the end of a file without a final line
// break, the break moves in front so the file still ends the way it did.
Splice InsertLines(std::string_view text, std::size_t at, std::string lines, std::string_view nl) {
  if (at == text.size() && !text.empty() && text.back() != '\n') {
    lines = std::string(nl) + lines.substr(0, lines.size() - nl.size());
  }
  return Splice{at, 0, std::move(lines)};
}

class Planner {
 public:
  Planner(std::string_view text, std::size_t bom, const YamlNode& meta_key,
          std::vector<Splice>& splices)
      : text_(text), bom_(bom), nl_(LineBreak(text)), splices_(splices), meta_key_(&meta_key) {}

  // Plans on `model_meta`, a copy of the workload's metadata `meta`.
  Result<void> Run(const YamlNode& meta, YamlNode& model_meta, const PolicyChanges& changes) {
    for (const auto& [policy, value] : changes) {
      auto it = std::find_if(desired_.begin(), desired_.end(),
                             [&](const auto& d) { return d.first == policy; });
      if (it == desired_.end()) {
        desired_.emplace_back(policy, value);
      } else {
        it->second = value;
      }
    }
    const YamlNode* ann_key = meta.KeyNode("annotations");
    if (ann_key == nullptr) return Create(meta, model_meta, Additions({}));
    std::size_t ann_index = static_cast<std::size_t>(ann_key - meta.children.data());
    const YamlNode& ann = *(ann_key + 1);
    YamlNode& model_ann = model_meta.children[ann_index + 1];
    if (ann.kind == YamlNode::Kind::kAlias || ann.anchored ||
        (ann.kind != YamlNode::Kind::kNull && ann.tag != "?"))
      return Refuse(ann, "metadata.annotations is an alias, anchored or tagged");
    if (ann.kind == YamlNode::Kind::kNull) return FillNull(meta, *ann_key, model_ann);
    if (!ann.IsMap()) return Refuse(ann, "metadata.annotations is not a mapping");

    std::size_t n = ann.children.size() / 2;
    std::vector<bool> deleted(n, false);
    std::vector<std::string> present;
    for (std::size_t i = 0; i < n; ++i) {
      const YamlNode& k = ann.children[2 * i];
      const YamlNode& v = ann.children[2 * i + 1];
      std::optional<std::string> policy = k.IsScalar() ? PolicyOfAnnotation(k.value) : std::nullopt;
      if (!policy) continue;
      auto want = std::find_if(desired_.begin(), desired_.end(),
                               [&](const auto& d) { return d.first == *policy; });
      if (want == desired_.end()) continue;
      present.push_back(*policy);
      if (!want->second) {
        deleted[i] = true;
      } else if (!(v.IsScalar() && v.value == *want->second)) {
        Result<ScalarSpan> span = LocateScalar(text_, v);
        if (!span) return Fail(span.error().Wrap(fmt::format("annotation {}", k.value)));
        std::string rendered = RenderScalar(*want->second, span->style, v.value);
        bool quoted = rendered.front() == '"' || rendered.front() == '\'';
        splices_.push_back(Splice{span->offset, span->length, std::move(rendered)});
        model_ann.children[2 * i + 1] = ScalarNode(*want->second, quoted);
      }
    }
    std::vector<Addition> additions = Additions(present);
    std::size_t kept = static_cast<std::size_t>(std::count(deleted.begin(), deleted.end(), false));
    if (kept == n && additions.empty()) return {};

    if (!ann.flow && kept == 0 && additions.empty()) {
      // The last annotation goes: so does `annotations:`.
      Result<std::size_t> column = BlockKeyColumn(text_, *ann_key, bom_);
      if (!column) return Fail(column.error());
      std::size_t start = LineStart(text_, ann_key->offset, bom_);
      splices_.push_back(
          Splice{start, BlockEntryEnd(text_, *ann_key, *column, ann, bom_) - start, ""});
      model_meta.children.erase(
          model_meta.children.begin() + static_cast<std::ptrdiff_t>(ann_index),
          model_meta.children.begin() + static_cast<std::ptrdiff_t>(ann_index + 2));
      return {};
    }
    Result<void> planned =
        ann.flow ? FlowMap(ann, deleted, additions) : BlockMap(ann, deleted, additions);
    if (!planned) return planned;
    for (std::size_t i = n; i-- > 0;) {
      if (deleted[i]) {
        auto at = model_ann.children.begin() + static_cast<std::ptrdiff_t>(2 * i);
        model_ann.children.erase(at, at + 2);
      }
    }
    YamlNode added = MapNode(additions, false);
    for (YamlNode& child : added.children) model_ann.children.push_back(std::move(child));
    return {};
  }

 private:
  // New annotations: desired values whose policy is not spelled yet.
  std::vector<Addition> Additions(const std::vector<std::string>& present) const {
    std::vector<Addition> out;
    for (const auto& [policy, value] : desired_) {
      if (value && std::find(present.begin(), present.end(), policy) == present.end())
        out.push_back({std::string(kPolicyPrefix) + policy, *value});
    }
    return out;
  }

  std::size_t RawColumn(const YamlNode& node) const {
    return node.offset - LineStart(text_, node.offset, bom_);
  }

  // The file's indentation step, as metadata's keys sit under `metadata:`.
  std::size_t Step(const YamlNode& meta) const {
    std::size_t child = RawColumn(meta.children.front());
    std::size_t parent = RawColumn(*meta_key_);
    return child > parent ? child - parent : 2;
  }

  Result<void> Create(const YamlNode& meta, YamlNode& model_meta, std::vector<Addition> additions) {
    if (additions.empty()) return {};
    if (meta.flow) {
      Result<std::size_t> end = NodeEnd(text_, meta.children.back());
      if (!end) return Fail(end.error());
      splices_.push_back(Splice{*end, 0, ", annotations: {" + FlowEntries(additions, false) + "}"});
    } else {
      Result<std::size_t> column = BlockKeyColumn(text_, meta.children.front(), bom_);
      if (!column) return Fail(column.error());
      const YamlNode& last_key = meta.children[meta.children.size() - 2];
      std::size_t at = BlockEntryEnd(text_, last_key, *column, meta.children.back(), bom_);
      std::string lines = std::string(*column, ' ') + "annotations:" + std::string(nl_) +
                          BlockLines(additions, *column + Step(meta), nl_);
      splices_.push_back(InsertLines(text_, at, std::move(lines), nl_));
    }
    model_meta.children.push_back(ScalarNode("annotations", false));
    model_meta.children.push_back(MapNode(additions, meta.flow));
    return {};
  }

  // `annotations:` with nothing after it.
  Result<void> FillNull(const YamlNode& meta, const YamlNode& ann_key, YamlNode& model_ann) {
    std::vector<Addition> additions = Additions({});
    if (additions.empty()) return {};
    Result<ScalarSpan> key = LocateScalar(text_, ann_key);
    if (!key) return Fail(key.error());
    if (meta.flow || key->end() >= text_.size() || text_[key->end()] != ':' ||
        !RestOfLineIsBlank(text_, key->end() + 1))
      return Refuse(ann_key, "metadata.annotations is null");
    std::size_t indent = RawColumn(ann_key) + Step(meta);
    splices_.push_back(InsertLines(text_, NextLine(text_, ann_key.offset),
                                   BlockLines(additions, indent, nl_), nl_));
    model_ann = MapNode(additions, false);
    return {};
  }

  Result<void> BlockMap(const YamlNode& ann, const std::vector<bool>& deleted,
                        const std::vector<Addition>& additions) {
    std::size_t n = deleted.size();
    if (n == 0) return Refuse(ann, "empty block mapping");
    Result<std::size_t> column = BlockKeyColumn(text_, ann.children[0], bom_);
    if (!column) return Fail(column.error());
    for (std::size_t i = 0; i < n; ++i) {
      if (!deleted[i]) continue;
      const YamlNode& k = ann.children[2 * i];
      Result<std::size_t> c = BlockKeyColumn(text_, k, bom_);
      if (!c) return Fail(c.error());
      std::size_t start = LineStart(text_, k.offset, bom_);
      splices_.push_back(
          Splice{start, BlockEntryEnd(text_, k, *c, ann.children[2 * i + 1], bom_) - start, ""});
    }
    if (!additions.empty()) {
      std::size_t at =
          BlockEntryEnd(text_, ann.children[2 * n - 2], *column, ann.children[2 * n - 1], bom_);
      splices_.push_back(InsertLines(text_, at, BlockLines(additions, *column, nl_), nl_));
    }
    return {};
  }

  Result<void> FlowMap(const YamlNode& ann, const std::vector<bool>& deleted,
                       const std::vector<Addition>& additions) {
    std::size_t n = deleted.size();
    if (n == 0) {
      splices_.push_back(Splice{ann.offset + 1, 0, FlowEntries(additions, false)});
      return {};
    }
    std::vector<std::size_t> ends(n);
    for (std::size_t i = 0; i < n; ++i) {
      Result<std::size_t> end = NodeEnd(text_, ann.children[2 * i + 1]);
      if (!end) return Fail(end.error());
      ends[i] = *end;
    }
    auto last_kept = std::find(deleted.rbegin(), deleted.rend(), false);
    if (last_kept == deleted.rend()) {
      splices_.push_back(Splice{ann.children[0].offset, ends[n - 1] - ann.children[0].offset, ""});
    } else {
      std::size_t j = static_cast<std::size_t>(deleted.rend() - last_kept) - 1;
      for (std::size_t i = 0; i < j; ++i) {
        if (deleted[i]) {
          std::size_t start = ann.children[2 * i].offset;
          splices_.push_back(Splice{start, ann.children[2 * i + 2].offset - start, ""});
        }
      }
      if (j + 1 < n) splices_.push_back(Splice{ends[j], ends[n - 1] - ends[j], ""});
    }
    if (!additions.empty()) {
      splices_.push_back(
          Splice{ends[n - 1], 0, FlowEntries(additions, last_kept != deleted.rend())});
    }
    return {};
  }

  std::string_view text_;
  std::size_t bom_;
  std::string_view nl_;
  std::vector<Splice>& splices_;
  const YamlNode* meta_key_;
  PolicyChanges desired_;
};

}  // namespace

Result<PlannedMetadata> PlanPolicyEdits(std::string_view text, std::size_t bom,
                                        const YamlNode& object, const PolicyChanges& changes,
                                        std::vector<Splice>& splices) {
  const YamlNode* meta_key = object.KeyNode("metadata");
  if (meta_key == nullptr) return Refuse(object, "the object has no metadata");
  const YamlNode& meta = *(meta_key + 1);
  if (!meta.IsMap() || meta.anchored || meta.tag != "?" || meta.children.empty())
    return Refuse(meta, "metadata is not a plain mapping");
  PlannedMetadata planned{&meta, meta};
  std::vector<Splice> planned_splices;
  Planner planner(text, bom, *meta_key, planned_splices);
  Result<void> ran = planner.Run(meta, planned.model, changes);
  if (!ran) return Fail(ran.error());
  std::move(planned_splices.begin(), planned_splices.end(), std::back_inserter(splices));
  return planned;
}

}  // namespace tagflow::manifest::internal
