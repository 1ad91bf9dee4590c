#include "manifest/rewrite.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "manifest/extraction.h"
#include "manifest/kustomize_edit.h"
#include "manifest/policy_edit.h"
#include "manifest/text_edit.h"

namespace tagflow::manifest {
namespace {

using internal::Splice;

// The scalar starting at `offset` below `root`. Children lie in source
// order, so this goes down through the last child starting at or before
// `offset` (a binary search per level); an odd tree falls back to a walk.
const YamlNode* ScalarAt(const YamlNode& root, std::size_t offset) {
  const YamlNode* node = &root;
  while (true) {
    if (node->IsScalar() && node->offset == offset) return node;
    const std::vector<YamlNode>& c = node->children;
    auto after =
        std::upper_bound(c.begin(), c.end(), offset,
                         [](std::size_t off, const YamlNode& n) { return off < n.offset; });
    if (after == c.begin()) break;
    node = &*std::prev(after);
  }
  std::vector<const YamlNode*> pending = {&root};
  while (!pending.empty()) {
    const YamlNode* n = pending.back();
    pending.pop_back();
    if (n->IsScalar() && n->offset == offset) return n;
    for (const YamlNode& child : n->children) pending.push_back(&child);
  }
  return nullptr;
}

// The mapping of `w` below its document `root` as written: an alias item of
// a List stays an alias.
const YamlNode* RawWorkloadNode(const YamlNode& root, const Workload& w) {
  if (w.item < 0) return &root;
  const YamlNode* items_key = root.KeyNode("items");
  if (items_key == nullptr) return nullptr;
  const YamlNode& items = *(items_key + 1);
  if (!items.IsSequence() || static_cast<std::size_t>(w.item) >= items.children.size())
    return nullptr;
  return &items.children[static_cast<std::size_t>(w.item)];
}

// The edits naming one workload, by index into the edits given.
struct Targets {
  std::vector<std::size_t> images;    // in order
  std::vector<std::size_t> policies;  // in order, planned together
};

// Where a workload id was defined in the file.
struct Seen {
  int count = 0;
  int first_line = 0;
  int second_line = 0;
};

// Plans and applies the edits of one file in one pass over its documents:
// while the parser holds a document's tree, its workloads are extracted,
// their edits planned as splices, and the document's expected shape after
// the edits is kept as an encoding (EncodeTree); then the tree goes. The
// spliced text is parsed once more, one document at a time, and each
// document must encode the same. So memory holds one tree, never the file's.
class Rewriter {
 public:
  Rewriter(std::string_view file, std::string_view content, std::span<const Edit> edits,
           std::vector<bool> skip)
      : file_(file),
        content_(content),
        edits_(edits),
        skip_(std::move(skip)),
        extractor_(file, content, scan_) {
    for (std::size_t i = 0; i < edits.size(); ++i) {
      if (skip_[i]) continue;
      if (const auto* image = std::get_if<ImageEdit>(&edits[i])) {
        targets_[image->workload].images.push_back(i);
      } else {
        targets_[std::get<PolicyEdit>(edits[i]).workload].policies.push_back(i);
      }
    }
  }

  // Plans every edit not skipped; refusals go to refused().
  Result<void> Plan() {
    Reset();
    Result<std::size_t> bom = ParseYamlEach(
        content_, [&](YamlDocument&& doc, std::size_t index) { Document(std::move(doc), index); });
    if (!bom) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: does not parse ({})", file_, bom.error().message));
    }
    for (const auto& [id, targets] : targets_) {
      const Seen& seen = seen_[id];
      if (seen.count == 1) {
        for (std::size_t i : targets.images) {
          if (marker_ids_.contains(id) && !found_.contains(i)) {
            Refuse(i, Error{ErrorKind::kNotFound,
                            fmt::format("{}: no $imagepolicy marker {} of {}", file_,
                                        std::get<ImageEdit>(edits_[i]).container, id)});
          }
        }
        continue;
      }
      Error error =
          seen.count == 0
              ? Error{ErrorKind::kNotFound, fmt::format("{}: no workload {}{}", file_, id, Why(id))}
              : Error{ErrorKind::kInvalidInput,
                      fmt::format("{}: workload {} is defined more than once (lines {} and {})",
                                  file_, id, seen.first_line, seen.second_line)};
      for (std::size_t i : targets.images) Refuse(i, error);
      for (std::size_t i : targets.policies) Refuse(i, error);
    }
    return {};
  }

  // Edits planned in a document, then found to name a workload defined
  // again later in the file: the plan must be made again without them.
  bool PlannedTwice() const {
    for (const std::string& id : planned_ids_) {
      auto seen = seen_.find(id);
      if (seen != seen_.end() && seen->second.count > 1) return true;
    }
    return false;
  }

  std::vector<std::optional<Error>>& refused() { return refused_; }

  // The spliced text, parsed again and checked against the plan.
  Result<std::string> Finish() {
    Result<std::string> text = internal::ApplySplices(content_, std::move(splices_));
    if (!text) return Fail(text.error().Wrap(std::string(file_)));
    if (*text == content_) return text;
    std::size_t count = 0;
    std::optional<std::size_t> differs;
    std::string encoding;
    Result<std::size_t> reparsed = ParseYamlEach(*text, [&](YamlDocument&& doc, std::size_t i) {
      if (i == 0) differs.reset();
      count = i + 1;
      if (differs || i >= expected_.size()) return;
      encoding.clear();
      EncodeTree(doc.root, {}, encoding);
      if (encoding != expected_[i]) differs = i;
    });
    if (!reparsed) {
      return Fail(ErrorKind::kInternal,
                  fmt::format("{}: refusing the edit: the result would not parse ({})", file_,
                              reparsed.error().message));
    }
    if (count != expected_.size()) {
      return Fail(
          ErrorKind::kInternal,
          fmt::format("{}: refusing the edit: it would change the number of documents", file_));
    }
    if (differs) {
      return Fail(ErrorKind::kInternal,
                  fmt::format("{}: refusing the edit: document {} would change in more than the "
                              "intended values",
                              file_, *differs + 1));
    }
    return text;
  }

 private:
  void Reset() {
    extractor_.Reset();
    refused_.assign(edits_.size(), std::nullopt);
    seen_.clear();
    planned_ids_.clear();
    found_.clear();
    marker_ids_.clear();
    planned_.clear();
    splices_.clear();
    expected_.clear();
    bom_ = content_.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  }

  void Refuse(std::size_t i, Error error) {
    if (!refused_[i]) refused_[i] = std::move(error);
  }

  // Why workload `id` is not there, when the file says (a document of it
  // refused for a duplicate key).
  std::string Why(std::string_view id) const {
    std::string why;
    std::string prefix = fmt::format("{}: ", id);
    for (const Problem& p : scan_.problems) {
      if (p.severity == Severity::kError && p.message.starts_with(prefix))
        why += fmt::format(" ({})", p.ToString());
    }
    return why;
  }

  void Document(YamlDocument&& doc, std::size_t index) {
    if (index == 0) Reset();
    std::size_t from = scan_.workloads.size();
    extractor_.Document(doc, index);
    for (std::size_t k = from; k < scan_.workloads.size(); ++k) {
      const Workload& w = scan_.workloads[k];
      Seen& seen = seen_[w.id];
      // A policy's markers are one workload over documents and files; each
      // document holds a part (flux_v2.h).
      if (w.kind == kImagePolicyKind) {
        marker_ids_.insert(w.id);
        seen.count = 1;
        seen.first_line = w.line;
        auto targets = targets_.find(w.id);
        if (targets != targets_.end()) PlanWorkload(w, doc.root, targets->second, true);
        continue;
      }
      if (++seen.count == 1) {
        seen.first_line = w.line;
      } else if (seen.count == 2) {
        seen.second_line = w.line;
      }
      auto targets = targets_.find(w.id);
      if (seen.count > 1 || targets == targets_.end()) continue;
      planned_ids_.insert(w.id);
      PlanWorkload(w, doc.root, targets->second);
    }
    expected_.emplace_back();
    EncodeTree(doc.root, replaced_, expected_.back());
    replaced_.clear();
    // The workloads are done with: keep memory to one document's worth.
    scan_.workloads.erase(scan_.workloads.begin() + static_cast<std::ptrdiff_t>(from),
                          scan_.workloads.end());
  }

  // Images first: their nodes are never inside the metadata policies edit.
  // With `partial` (a part of a marker workload), an edit of a container
  // not in this part is left for another document: Plan() refuses those no
  // part had.
  void PlanWorkload(const Workload& w, const YamlNode& root, const Targets& targets,
                    bool partial = false) {
    std::unordered_map<std::string_view, const Container*> containers;
    for (const Container& c : w.containers) containers.try_emplace(c.name, &c);
    std::unordered_map<std::string_view, std::size_t> last;  // container -> its last edit
    for (std::size_t i : targets.images) last[std::get<ImageEdit>(edits_[i]).container] = i;
    for (std::size_t i : targets.images) {
      const auto& edit = std::get<ImageEdit>(edits_[i]);
      auto c = containers.find(edit.container);
      if (partial) {
        if (c == containers.end()) continue;
        found_.insert(i);
      }
      // An images entry is planned once, from its last edit (the one that counts).
      if (c != containers.end() && c->second->Source(ImageField::kName) != nullptr &&
          last[edit.container] != i)
        continue;
      Result<void> planned =
          c == containers.end()
              ? Fail(ErrorKind::kNotFound, fmt::format("{}: workload {} has no container {}", file_,
                                                       edit.workload, edit.container))
              : PlanImage(root, *c->second, edit);
      if (!planned) Refuse(i, planned.error());
    }
    if (targets.policies.empty()) return;
    const YamlNode* object = RawWorkloadNode(root, w);
    Result<void> planned = PlanPolicies(object, w.id, targets.policies, true);
    if (planned) return;
    if (targets.policies.size() == 1) {
      Refuse(targets.policies.front(), planned.error());
      return;
    }
    // Leave out the edits that fail on their own; plan the rest together.
    std::vector<std::size_t> good;
    for (std::size_t i : targets.policies) {
      Result<void> alone = PlanPolicies(object, w.id, std::span(&i, 1), false);
      if (alone) {
        good.push_back(i);
      } else {
        Refuse(i, alone.error());
      }
    }
    if (good.empty()) return;
    Result<void> rest = PlanPolicies(object, w.id, good, true);
    if (!rest) {
      for (std::size_t i : good) Refuse(i, rest.error());
    }
  }

  Result<void> PlanImage(const YamlNode& root, const Container& c, const ImageEdit& edit) {
    std::string where = fmt::format("{}: {} container {}", file_, edit.workload, edit.container);
    const image::ImageRef& to = edit.image;
    // A `:tag` marker's repository is in another file (its ImageRepository).
    bool tag_marker = !c.file.empty() && c.Source(ImageField::kTag) != nullptr;
    if (!tag_marker && to.CanonicalName() != c.image.CanonicalName()) {
      return Fail(ErrorKind::kInvalidInput, fmt::format("{}: {} is not the repository of {}", where,
                                                        to.String(), c.image_text));
    }
    if (to.tag().empty() && to.digest().empty())
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: {} has no tag or digest", where, to.String()));
    if (const ValueLocation* name = c.Source(ImageField::kName); name != nullptr)
      return PlanImagesEntry(root, *name, to, where);
    const ValueLocation* src = c.Source(ImageField::kTag);
    std::string value;
    // A Flux `:digest` marker beside the `:tag` one holds the digest.
    const ValueLocation* digest = tag_marker ? c.Source(ImageField::kDigest) : nullptr;
    if (src != nullptr && digest != nullptr) {
      if (to.tag().empty() || to.digest().empty()) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("{}: {} needs both a tag and a digest for its :tag and :digest "
                                "markers",
                                where, to.String()));
      }
      value = to.tag();
    } else if (src != nullptr) {
      if (!to.digest().empty() || to.tag().empty()) {
        return Fail(
            ErrorKind::kInvalidInput,
            fmt::format("{}: the tag is a separate field, which cannot hold the digest of {}",
                        where, to.String()));
      }
      value = to.tag();
    } else {
      src = c.Source(ImageField::kImage);
      if (src == nullptr)
        return Fail(ErrorKind::kInternal, fmt::format("{}: no image field", where));
      Result<image::ImageRef> written = image::ImageRef::Parse(src->value);
      if (!written) return Fail(written.error().Wrap(where));
      value = written->WithTag(to.tag(), to.digest()).String();
    }
    std::string owner = fmt::format("{} container {}", edit.workload, edit.container);
    // A Flux `:name` marker beside the `:tag` one gets the policy's name.
    if (const ValueLocation* name = c.Source(ImageField::kRepository); tag_marker && name) {
      Result<void> named = PlanScalar(root, *name, to.Name(), owner, where);
      if (!named) return named;
    }
    if (const ValueLocation* digest = tag_marker ? c.Source(ImageField::kDigest) : nullptr) {
      Result<void> pinned = PlanScalar(root, *digest, to.digest(), owner, where);
      if (!pinned) return pinned;
    }
    return PlanScalar(root, *src, value, owner, where);
  }

  // Plans writing `value` into the scalar at `src` for `owner`.
  Result<void> PlanScalar(const YamlNode& root, const ValueLocation& loc, const std::string& value,
                          std::string owner, const std::string& where) {
    const ValueLocation* src = &loc;
    // An earlier edit of the same scalar: the same container's is replaced
    // (the last one counts), another container's must agree.
    auto planned = planned_.find(src->offset);
    if (planned != planned_.end() && planned->second.owner != owner &&
        planned->second.value != value) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: the value at line {} is also the image of {}, which gets {}",
                              where, src->line, planned->second.owner, planned->second.value));
    }
    if (value == src->value && planned == planned_.end()) return {};
    if (!src->not_editable.empty())
      return Fail(ErrorKind::kInvalidInput, fmt::format("{}: {}", where, src->not_editable));
    const YamlNode* node = ScalarAt(root, src->offset);
    if (node == nullptr)
      return Fail(ErrorKind::kInternal, fmt::format("{}: image node not found", where));
    // An image reference never needs its quoting changed; a value that would
    // is not one (a registry's hostile tag), and is refused.
    Result<std::string> styled = RenderScalarInStyle(value, src->style, src->value);
    if (!styled) return Fail(styled.error().Wrap(where));
    std::string rendered = std::move(*styled);
    YamlNode model = *node;
    model.value = value;
    model.tag = std::string(rendered.front() == '"' || rendered.front() == '\'' ? "!" : "?");
    replaced_[node] = std::move(model);
    Splice splice{src->offset, src->length, std::move(rendered)};
    if (planned != planned_.end()) {
      splices_[planned->second.splice] = std::move(splice);
      planned->second = {std::move(owner), value, planned->second.splice};
    } else {
      planned_[src->offset] = {std::move(owner), value, splices_.size()};
      splices_.push_back(std::move(splice));
    }
    return {};
  }

  // `kustomize edit set image` on the kustomization images entry whose
  // `name` scalar starts at `name.offset` (kustomize_edit.h).
  Result<void> PlanImagesEntry(const YamlNode& root, const ValueLocation& name,
                               const image::ImageRef& to, const std::string& where) {
    const YamlNode* images = root.KeyNode("images");
    const YamlNode* entry = nullptr;
    if (images != nullptr && (images + 1)->IsSequence()) {
      for (const YamlNode& raw : (images + 1)->children) {
        const YamlNode* key = raw.Resolved().IsMap() ? raw.Resolved().KeyNode("name") : nullptr;
        if (key != nullptr && (key + 1)->offset == name.offset) {
          entry = &raw;
          break;
        }
      }
    }
    if (entry == nullptr)
      return Fail(ErrorKind::kInternal, fmt::format("{}: images entry not found", where));
    if (entry->kind == YamlNode::Kind::kAlias) {
      return Fail(
          ErrorKind::kInvalidInput,
          fmt::format("{}: the images entry is an alias; it cannot be edited in place", where));
    }
    Result<YamlNode> model =
        internal::PlanImagesEntry(content_, bom_, *entry, to.tag(), to.digest(), splices_);
    if (!model) return Fail(model.error().Wrap(where));
    replaced_[entry] = std::move(*model);
    return {};
  }

  // Plans the policy edits `which` on workload mapping `object`; with
  // `commit` false, only checks that they could be planned.
  Result<void> PlanPolicies(const YamlNode* object, const std::string& id,
                            std::span<const std::size_t> which, bool commit) {
    if (object == nullptr || object->kind == YamlNode::Kind::kAlias || !object->IsMap()) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{}: {} is defined through an alias; it cannot be edited in place",
                              file_, id));
    }
    internal::PolicyChanges changes;
    for (std::size_t i : which) {
      const auto& policy = std::get<PolicyEdit>(edits_[i]);
      changes.emplace_back(policy.policy, policy.value);
    }
    std::vector<Splice> scratch;
    Result<internal::PlannedMetadata> planned =
        internal::PlanPolicyEdits(content_, bom_, *object, changes, commit ? splices_ : scratch);
    if (!planned) return Fail(planned.error().Wrap(fmt::format("{}: {}", file_, id)));
    if (commit) replaced_[planned->node] = std::move(planned->model);
    return {};
  }

  // An image scalar already edited.
  struct Planned {
    std::string owner;  // "<workload> container <name>"
    std::string value;
    std::size_t splice;  // index in splices_
  };

  std::string_view file_;
  std::string_view content_;
  std::span<const Edit> edits_;
  std::vector<bool> skip_;
  std::unordered_map<std::string, Targets> targets_;  // by workload id
  FileScan scan_;  // the problems of the file; workloads only while planned
  internal::DocumentExtractor extractor_;
  std::size_t bom_ = 0;
  std::vector<std::optional<Error>> refused_;
  std::unordered_map<std::string, Seen> seen_;
  std::unordered_set<std::string> planned_ids_;
  std::unordered_set<std::string> marker_ids_;        // marker workloads met (flux_v2.h)
  std::unordered_set<std::size_t> found_;             // edits of marker containers met in a part
  std::unordered_map<std::size_t, Planned> planned_;  // by source offset
  NodeReplacements replaced_;                         // in the current document
  std::vector<Splice> splices_;
  std::vector<std::string> expected_;  // per document: EncodeTree after the edits
};

// The rewrite; `strict` returns the first refusal (images first, then
// policies, each in the order given) as the error.
Result<RewriteOutcome> Rewrite(std::string_view file, std::string_view content,
                               std::span<const Edit> edits, bool strict) {
  RewriteOutcome out;
  out.refused.resize(edits.size());
  if (edits.empty()) {
    out.text = std::string(content);
    return out;
  }
  std::vector<bool> skip(edits.size(), false);
  auto rewriter = std::make_unique<Rewriter>(file, content, edits, skip);
  Result<void> planned = rewriter->Plan();
  if (!planned) return Fail(planned.error());
  out.refused = rewriter->refused();
  if (rewriter->PlannedTwice()) {
    // A workload defined twice had its edits planned at its first place:
    // plan again without the refused edits (rare: a second pass).
    for (std::size_t i = 0; i < edits.size(); ++i) skip[i] = out.refused[i].has_value();
    rewriter = std::make_unique<Rewriter>(file, content, edits, skip);
    planned = rewriter->Plan();
    if (!planned) return Fail(planned.error());
    for (std::size_t i = 0; i < edits.size(); ++i) {
      if (!skip[i]) out.refused[i] = std::move(rewriter->refused()[i]);
    }
  }
  if (strict) {
    for (bool images : {true, false}) {
      for (std::size_t i = 0; i < edits.size(); ++i) {
        if (out.refused[i] && std::holds_alternative<ImageEdit>(edits[i]) == images)
          return Fail(*out.refused[i]);
      }
    }
  }
  Result<std::string> text = rewriter->Finish();
  if (!text) return Fail(text.error());
  out.text = std::move(*text);
  return out;
}

}  // namespace

Result<std::string> RewriteManifest(std::string_view file, std::string_view content,
                                    std::span<const Edit> edits) {
  Result<RewriteOutcome> out = Rewrite(file, content, edits, true);
  if (!out) return Fail(out.error());
  return std::move(out->text);
}

Result<RewriteOutcome> RewriteEachEdit(std::string_view file, std::string_view content,
                                       std::span<const Edit> edits) {
  return Rewrite(file, content, edits, false);
}

}  // namespace tagflow::manifest
