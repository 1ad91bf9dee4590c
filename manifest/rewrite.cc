#include "manifest/rewrite.h"

#include <fmt/format.h>

#include <algorithm>

#include "manifest/extract.h"
#include "manifest/policy_edit.h"
#include "manifest/text_edit.h"

namespace tagflow::manifest {
namespace {

using internal::Splice;

// The scalar starting at `offset` in `node`'s subtree, or nullptr.
YamlNode* FindScalarAt(YamlNode& node, std::size_t offset) {
  if (node.IsScalar() && node.offset == offset) return &node;
  for (YamlNode& child : node.children) {
    if (YamlNode* found = FindScalarAt(child, offset)) return found;
  }
  return nullptr;
}

// Mutable twin of WorkloadNode() for the model tree.
YamlNode* ModelObject(YamlStream& model, const Workload& w) {
  if (w.document >= model.documents.size()) return nullptr;
  YamlNode* node = &model.documents[w.document].root;
  if (w.item >= 0) {
    const YamlNode* items_key = node->KeyNode("items");
    if (node->kind == YamlNode::Kind::kAlias || items_key == nullptr) return nullptr;
    std::size_t index = static_cast<std::size_t>(items_key - node->children.data()) + 1;
    YamlNode& items = node->children[index];
    if (!items.IsSequence() || static_cast<std::size_t>(w.item) >= items.children.size())
      return nullptr;
    node = &items.children[static_cast<std::size_t>(w.item)];
  }
  return node->IsMap() ? node : nullptr;
}

class Rewriter {
 public:
  Rewriter(std::string_view file, std::string_view content, YamlStream parsed)
      : file_(file),
        content_(content),
        parsed_(std::move(parsed)),
        model_(parsed_),
        scan_(ExtractWorkloads(file, content, parsed_)) {}

  Result<const Workload*> Find(const std::string& id) const {
    const Workload* found = nullptr;
    for (const Workload& w : scan_.workloads) {
      if (w.id != id) continue;
      if (found != nullptr) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("{}: workload {} is defined more than once (lines {} and {})",
                                file_, id, found->line, w.line));
      }
      found = &w;
    }
    if (found == nullptr)
      return Fail(ErrorKind::kNotFound, fmt::format("{}: no workload {}", file_, id));
    return found;
  }

  Result<void> PlanImage(const ImageEdit& edit) {
    Result<const Workload*> w = Find(edit.workload);
    if (!w) return Fail(w.error());
    const Container* c = (*w)->FindContainer(edit.container);
    if (c == nullptr) {
      return Fail(ErrorKind::kNotFound, fmt::format("{}: workload {} has no container {}", file_,
                                                    edit.workload, edit.container));
    }
    std::string where = fmt::format("{}: {} container {}", file_, edit.workload, edit.container);
    const image::ImageRef& to = edit.image;
    if (to.CanonicalName() != c->image.CanonicalName()) {
      return Fail(ErrorKind::kInvalidInput, fmt::format("{}: {} is not the repository of {}", where,
                                                        to.String(), c->image_text));
    }
    if (to.tag().empty() && to.digest().empty())
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: {} has no tag or digest", where, to.String()));
    const ValueLocation* src = c->Source(ImageField::kTag);
    std::string value;
    if (src != nullptr) {
      if (!to.digest().empty() || to.tag().empty()) {
        return Fail(
            ErrorKind::kInvalidInput,
            fmt::format("{}: the tag is a separate field, which cannot hold the digest of {}",
                        where, to.String()));
      }
      value = to.tag();
    } else {
      src = c->Source(ImageField::kImage);
      if (src == nullptr)
        return Fail(ErrorKind::kInternal, fmt::format("{}: no image field", where));
      Result<image::ImageRef> written = image::ImageRef::Parse(src->value);
      if (!written) return Fail(written.error().Wrap(where));
      value = written->WithTag(to.tag(), to.digest()).String();
    }
    if (value == src->value) return {};
    if (!src->not_editable.empty())
      return Fail(ErrorKind::kInvalidInput, fmt::format("{}: {}", where, src->not_editable));
    std::string rendered = RenderScalar(value, src->style, src->value);
    YamlNode* node = nullptr;
    for (YamlDocument& doc : model_.documents) {
      if ((node = FindScalarAt(doc.root, src->offset)) != nullptr) break;
    }
    if (node == nullptr)
      return Fail(ErrorKind::kInternal, fmt::format("{}: image node not found", where));
    node->value = value;
    node->tag = std::string(rendered.front() == '"' || rendered.front() == '\'' ? "!" : "?");
    splices_.push_back(Splice{src->offset, src->length, std::move(rendered)});
    return {};
  }

  Result<void> PlanPolicies(const std::string& id, const internal::PolicyChanges& changes) {
    Result<const Workload*> w = Find(id);
    if (!w) return Fail(w.error());
    const YamlNode* object = WorkloadNode(parsed_, **w);
    YamlNode* model_object = ModelObject(model_, **w);
    if (object == nullptr || model_object == nullptr ||
        model_object->kind == YamlNode::Kind::kAlias) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: {} is defined through an alias; it cannot be edited in place",
                              file_, id));
    }
    Result<void> planned =
        internal::PlanPolicyEdits(content_, parsed_.bom, *object, *model_object, changes, splices_);
    if (!planned) return Fail(planned.error().Wrap(fmt::format("{}: {}", file_, id)));
    return {};
  }

  Result<std::string> Finish() {
    Result<std::string> text = internal::ApplySplices(content_, std::move(splices_));
    if (!text) return Fail(text.error().Wrap(std::string(file_)));
    if (*text == content_) return text;
    ParseFailure failure;
    Result<YamlStream> reparsed = ParseYaml(*text, &failure);
    if (!reparsed) {
      return Fail(ErrorKind::kInternal,
                  fmt::format("{}: refusing the edit: the result would not parse ({})", file_,
                              reparsed.error().message));
    }
    if (reparsed->documents.size() != model_.documents.size()) {
      return Fail(
          ErrorKind::kInternal,
          fmt::format("{}: refusing the edit: it would change the number of documents", file_));
    }
    for (std::size_t i = 0; i < model_.documents.size(); ++i) {
      if (!SameTree(model_.documents[i].root, reparsed->documents[i].root)) {
        return Fail(ErrorKind::kInternal,
                    fmt::format("{}: refusing the edit: document {} would change in more than the "
                                "intended values",
                                file_, i + 1));
      }
    }
    return text;
  }

 private:
  std::string_view file_;
  std::string_view content_;
  YamlStream parsed_;
  YamlStream model_;
  FileScan scan_;
  std::vector<Splice> splices_;
};

}  // namespace

Result<std::string> RewriteManifest(std::string_view file, std::string_view content,
                                    std::span<const Edit> edits) {
  if (edits.empty()) return std::string(content);
  Result<YamlStream> parsed = ParseYaml(content);
  if (!parsed) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{}: does not parse ({})", file, parsed.error().message));
  }
  Rewriter rewriter(file, content, std::move(*parsed));
  std::vector<std::pair<std::string, internal::PolicyChanges>> policies;
  for (const Edit& edit : edits) {
    if (const auto* image = std::get_if<ImageEdit>(&edit)) {
      Result<void> planned = rewriter.PlanImage(*image);
      if (!planned) return Fail(planned.error());
      continue;
    }
    const auto& policy = std::get<PolicyEdit>(edit);
    auto group = std::find_if(policies.begin(), policies.end(),
                              [&](const auto& g) { return g.first == policy.workload; });
    if (group == policies.end()) group = policies.insert(policies.end(), {policy.workload, {}});
    group->second.emplace_back(policy.policy, policy.value);
  }
  for (const auto& [id, changes] : policies) {
    Result<void> planned = rewriter.PlanPolicies(id, changes);
    if (!planned) return Fail(planned.error());
  }
  return rewriter.Finish();
}

}  // namespace tagflow::manifest
