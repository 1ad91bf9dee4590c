// Flux v2 documents and markers during extraction (flux_v2.h): the
// DocumentExtractor's part, one document at a time.
#include <fmt/format.h>

#include <unordered_map>

#include "manifest/extraction.h"

namespace tagflow::manifest::internal {
namespace {

// A marked value and the mapping that holds it.
struct MarkedValue {
  const YamlNode* node = nullptr;
  const YamlNode* parent = nullptr;
};

// The value scalars (of a mapping, in block or flow context) below `node`
// whose line is in `markers`, the last one on each line before the '#'.
void MarkedValues(const YamlNode& node, const std::map<int, Result<Marker>>& markers,
                  std::map<int, MarkedValue>& out) {
  for (std::size_t i = 0; i < node.children.size(); ++i) {
    const YamlNode& child = node.children[i];
    bool value = node.IsMap() && i % 2 == 1;
    auto marker = markers.find(child.line);
    if (value && child.kind != YamlNode::Kind::kMap && child.kind != YamlNode::Kind::kSequence &&
        marker != markers.end() && marker->second &&
        static_cast<std::size_t>(child.column) < marker->second->column) {
      MarkedValue& best = out[child.line];
      if (best.node == nullptr || best.node->column < child.column) best = {&child, &node};
    }
    MarkedValues(child, markers, out);
  }
}

bool Locked(const YamlNode& root) {
  const YamlNode* metadata = root.Get("metadata");
  const YamlNode* annotations = metadata != nullptr ? metadata->Get("annotations") : nullptr;
  if (annotations == nullptr) return false;
  for (std::string_view key :
       {"tagflow.io/locked", "fluxcd.io/locked", "flux.weave.works/locked"}) {
    const std::string* value = annotations->GetString(key);
    if (value != nullptr && *value == "true") return true;
  }
  return false;
}

}  // namespace

void DocumentExtractor::FluxObject(const YamlNode& object, const std::string& kind) {
  const YamlNode* metadata = ex_.Get(object, "metadata");
  const std::string* name =
      metadata != nullptr && metadata->IsMap() ? ex_.GetString(*metadata, "name") : nullptr;
  if (name == nullptr || name->empty()) {
    ex_.Report(Severity::kWarning, object, fmt::format("{} without metadata.name; skipped", kind));
    return;
  }
  const std::string* ns_value = ex_.GetString(*metadata, "namespace");
  std::string ns = ns_value != nullptr && !ns_value->empty() ? *ns_value : "default";
  const YamlNode* spec = ex_.Get(object, "spec");
  if (kind == "ImageRepository") {
    const std::string* image = spec != nullptr ? ex_.GetString(*spec, "image") : nullptr;
    if (image == nullptr || image->empty()) {
      ex_.Report(Severity::kWarning, object,
                 fmt::format("ImageRepository {}/{} has no spec.image; skipped", ns, *name));
      return;
    }
    ex_.out.flux.repositories.push_back(
        FluxImageRepository{ns, *name, *image, std::string(ex_.file), object.line + 1});
    return;
  }
  FluxImagePolicy p{ns, *name, ns, "", "", "", std::string(ex_.file), object.line + 1};
  if (const YamlNode* annotations = ex_.Get(*metadata, "annotations");
      annotations != nullptr && annotations->IsMap()) {
    for (std::size_t i = 0; i + 1 < annotations->children.size(); i += 2) {
      const YamlNode& key = annotations->children[i].Resolved();
      const YamlNode& value = annotations->children[i + 1].Resolved();
      if (key.IsScalar() && value.IsScalar() && key.value.starts_with(kTagflowPrefix)) {
        p.tagflow_annotations.emplace_back(key.value, value.value);
      }
    }
  }
  const YamlNode* ref = spec != nullptr ? ex_.Get(*spec, "imageRepositoryRef") : nullptr;
  const std::string* repo = ref != nullptr ? ex_.GetString(*ref, "name") : nullptr;
  const std::string* repo_ns = ref != nullptr ? ex_.GetString(*ref, "namespace") : nullptr;
  if (repo_ns != nullptr && !repo_ns->empty()) p.repository_ns = *repo_ns;
  Result<std::string> filter =
      spec != nullptr ? FluxPolicyFilter(*spec) : Fail(ErrorKind::kInvalidInput, "no spec");
  if (repo == nullptr || repo->empty()) {
    p.error = fmt::format("ImagePolicy {}/{} ({}:{}) has no spec.imageRepositoryRef.name", ns,
                          *name, p.file, p.line);
  } else if (!filter) {
    p.error = fmt::format("ImagePolicy {}/{} ({}:{}): {}", ns, *name, p.file, p.line,
                          filter.error().message);
  } else {
    p.repository = *repo;
    p.filter = std::move(*filter);
  }
  ex_.out.flux.policies.push_back(std::move(p));
}

void DocumentExtractor::Markers(const YamlNode& root, std::size_t index) {
  if (!markers_read_) {
    markers_read_ = true;
    if (ex_.content.find("$imagepolicy") != std::string_view::npos) {
      std::string_view rest = ex_.content;
      for (int line = 0; !rest.empty(); ++line) {
        std::size_t nl = rest.find('\n');
        std::string_view text = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
        if (text.find("$imagepolicy") == std::string_view::npos) continue;
        Result<std::optional<Marker>> m = ParseMarkerLine(text);
        if (!m) {
          markers_.emplace(line, Fail(m.error()));
        } else if (*m) {
          markers_.emplace(line, std::move(**m));
        }
      }
    }
  }
  if (markers_.empty()) return;
  std::map<int, MarkedValue> values;
  MarkedValues(root, markers_, values);
  bool locked = Locked(root.Resolved());
  std::unordered_map<std::string, std::size_t> targets;  // id -> index in out.workloads
  // The `:tag`/`:name` markers of one policy in one mapping set one image
  // (a Helm values `image:` block): (id, mapping) -> its container's index.
  std::map<std::pair<std::string, const YamlNode*>, std::size_t> groups;
  for (const auto& [line, marked] : values) {
    matched_.insert(line);
    const Marker& m = *markers_.at(line);
    const YamlNode* node = marked.node;
    std::string id = MakeWorkloadId(m.ns, kImagePolicyKind, m.name);
    auto [at, added] = targets.try_emplace(id, ex_.out.workloads.size());
    if (added) {
      Workload w;
      w.id = id;
      w.kind = std::string(kImagePolicyKind);
      w.ns = m.ns;
      w.name = m.name;
      w.file = std::string(ex_.file);
      w.line = line + 1;
      w.document = index;
      ex_.out.workloads.push_back(std::move(w));
    }
    Workload& w = ex_.out.workloads[at->second];
    std::string name = fmt::format("{}:{}", ex_.file, line + 1);
    ImageField field = m.field == MarkerField::kWhole    ? ImageField::kImage
                       : m.field == MarkerField::kTag    ? ImageField::kTag
                       : m.field == MarkerField::kDigest ? ImageField::kDigest
                                                         : ImageField::kRepository;
    std::optional<ValueLocation> loc = ex_.ImageScalar(*node, field, id, name);
    if (!loc) continue;
    if (field != ImageField::kImage) {
      auto [group, fresh] = groups.try_emplace({id, marked.parent}, w.containers.size());
      if (!fresh && w.containers[group->second].Source(field) == nullptr) {
        w.containers[group->second].sources.push_back(std::move(*loc));
        continue;
      }
      if (!fresh) group->second = w.containers.size();  // a second image in that mapping
    }
    Container c;
    c.name = std::move(name);
    c.file = std::string(ex_.file);
    c.locked = locked;
    c.image_text = loc->value;
    if (field == ImageField::kImage) {
      Result<image::ImageRef> ref = image::ImageRef::Parse(loc->value);
      if (!ref) {
        ex_.Report(Severity::kWarning, *node,
                   fmt::format("{}: container {}: {}; container skipped", id, c.name,
                               ref.error().message));
        continue;
      }
      c.image = std::move(*ref);
    }
    c.sources.push_back(std::move(*loc));
    w.containers.push_back(std::move(c));
  }
  // `:name` and `:digest` markers set the name and digest of the image whose
  // `:tag` marker is beside them.
  for (Workload& w : ex_.out.workloads) {
    if (w.kind != kImagePolicyKind) continue;
    std::erase_if(w.containers, [&](const Container& c) {
      if (c.Source(ImageField::kImage) != nullptr || c.Source(ImageField::kTag) != nullptr)
        return false;
      const ValueLocation& at = c.sources.front();
      ex_.out.problems.push_back(Problem{
          std::string(ex_.file), at.line, at.column, Severity::kWarning,
          fmt::format("$imagepolicy marker {}:{}:{} has no :tag marker of the same policy in "
                      "its mapping; not updated",
                      w.ns, w.name,
                      c.sources.front().field == ImageField::kDigest ? "digest" : "name")});
      return true;
    });
  }
  std::erase_if(ex_.out.workloads, [](const Workload& w) {
    return w.kind == kImagePolicyKind && w.containers.empty();
  });
}

void DocumentExtractor::Finish() {
  for (const auto& [line, marker] : markers_) {
    if (!marker) {
      ex_.out.problems.push_back(
          Problem{std::string(ex_.file), line + 1, 0, Severity::kWarning, marker.error().message});
    } else if (!matched_.contains(line)) {
      ex_.out.problems.push_back(Problem{
          std::string(ex_.file), line + 1, static_cast<int>(marker->column) + 1, Severity::kWarning,
          fmt::format("$imagepolicy marker {}:{} is not on the line of a value; ignored",
                      marker->ns, marker->name)});
    }
  }
}

}  // namespace tagflow::manifest::internal
