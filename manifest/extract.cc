#include "manifest/extract.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>

#include "manifest/extraction.h"

namespace tagflow::manifest {
namespace {

constexpr std::array<std::string_view, 5> kTemplateKinds = {"Deployment", "DaemonSet",
                                                            "StatefulSet", "ReplicaSet", "Job"};

// Kinds of other API groups whose pod template sits at spec.template (the
// Deployment shape); the group decides, since `Service` is also core's.
struct GroupKind {
  std::string_view group;  // apiVersion up to and including the '/'
  std::string_view kind;
};
constexpr std::array<GroupKind, 3> kGroupTemplateKinds = {{
    {"argoproj.io/", "Rollout"},                 // spec.workloadRef has no template
    {"serving.knative.dev/", "Service"},         // spec.template.spec.containers
    {"apps.openshift.io/", "DeploymentConfig"},  // spec.template
}};

bool IsWorkloadKind(std::string_view kind, const std::string* api_version) {
  if (kind == "Pod" || kind == "CronJob" || kind == "HelmRelease" ||
      std::find(kTemplateKinds.begin(), kTemplateKinds.end(), kind) != kTemplateKinds.end())
    return true;
  if (api_version == nullptr) return false;
  return std::any_of(
      kGroupTemplateKinds.begin(), kGroupTemplateKinds.end(),
      [&](const GroupKind& g) { return g.kind == kind && api_version->starts_with(g.group); });
}

// The pod spec of an object of `kind`, or nullptr; `get` looks a key up.
template <class Get>
const YamlNode* PodSpec(const YamlNode& object, std::string_view kind, Get get) {
  const YamlNode* spec = get(object, "spec");
  if (spec == nullptr) return nullptr;
  if (kind == "Pod") return spec;
  if (kind == "CronJob") {
    const YamlNode* job = get(*spec, "jobTemplate");
    spec = job != nullptr ? get(*job, "spec") : nullptr;
    if (spec == nullptr) return nullptr;
  }
  const YamlNode* tmpl = get(*spec, "template");
  return tmpl != nullptr ? get(*tmpl, "spec") : nullptr;
}

// True when an object of an unsupported kind looks like it runs containers.
// Only decides a warning, so it reads the first of duplicate keys.
bool HasPodSpecShape(const YamlNode& object) {
  auto get = [](const YamlNode& m, std::string_view key) { return m.Get(key); };
  for (std::string_view shape : {"Pod", "Deployment", "CronJob"}) {
    const YamlNode* spec = PodSpec(object, shape, get);
    if (spec != nullptr && spec->Get("containers") != nullptr) return true;
  }
  return false;
}

}  // namespace

namespace internal {

void DocumentExtractor::Reset() {
  ex_.out = FileScan{};
  merged_.clear();
  matched_.clear();
}

void DocumentExtractor::Document(const YamlDocument& doc, std::size_t index) {
  std::size_t workloads = ex_.out.workloads.size();
  ex_.problems.clear();
  ex_.duplicate.reset();
  subject_.clear();
  Read(doc, index);
  if (ex_.duplicate) {
    ex_.out.workloads.erase(ex_.out.workloads.begin() + static_cast<std::ptrdiff_t>(workloads),
                            ex_.out.workloads.end());
    ex_.problems.clear();
    const DuplicateKey& d = *ex_.duplicate;
    ex_.Report(Severity::kError, *d.second,
               fmt::format("{}duplicate key \"{}\" at lines {} and {}: tools disagree on which "
                           "one counts, so document {} is skipped",
                           subject_.empty() ? "" : subject_ + ": ", d.key, d.first->line + 1,
                           d.second->line + 1, index + 1));
  }
  for (Problem& p : ex_.problems) Merge(std::move(p));
  ex_.problems.clear();
}

void DocumentExtractor::Read(const YamlDocument& doc, std::size_t index) {
  const YamlNode& root = doc.root.Resolved();
  if (root.kind == YamlNode::Kind::kNull) {
    ex_.Report(Severity::kNotice, doc.line + 1, 0, "empty document");
    return;
  }
  Markers(doc.root, index);
  if (!root.IsMap()) {
    ex_.Report(Severity::kNotice, root, "document is not a mapping (a patch list?); ignored");
    return;
  }
  Object(root, index, -1);
}

void DocumentExtractor::Merge(Problem p) {
  std::string key = fmt::format("{}\n{}", static_cast<int>(p.severity), p.message);
  auto [it, added] = merged_.try_emplace(std::move(key), ex_.out.problems.size());
  if (added) {
    ex_.out.problems.push_back(std::move(p));
  } else {
    ex_.out.problems[it->second].count += p.count;
  }
}

void DocumentExtractor::Object(const YamlNode& object, std::size_t document, int item) {
  if (item < 0 && IsKustomizationFile(ex_.file) && IsKustomization(ex_, object)) {
    std::optional<Workload> w = Header(object, "Kustomization", KustomizationDirectory(ex_.file));
    if (!w) return;
    w->document = document;
    ex_.StartWorkload();
    KustomizationImages(ex_, object, *w);
    ex_.out.workloads.push_back(std::move(*w));
    return;
  }
  const std::string* kind = ex_.GetString(object, "kind");
  if (kind == nullptr) return;
  if (kind->ends_with("List") && item < 0) {
    const YamlNode* items = ex_.Get(object, "items");
    if (items == nullptr || !items->IsSequence()) return;
    for (std::size_t i = 0; i < items->children.size() && !ex_.duplicate; ++i) {
      const YamlNode& entry = items->children[i].Resolved();
      if (entry.IsMap()) Object(entry, document, static_cast<int>(i));
    }
    return;
  }
  if (const std::string* api = ex_.GetString(object, "apiVersion");
      api != nullptr && api->starts_with(kFluxImageGroup) &&
      (*kind == "ImageRepository" || *kind == "ImagePolicy")) {
    FluxObject(object, *kind);
    return;
  }
  if (!IsWorkloadKind(*kind, ex_.GetString(object, "apiVersion"))) {
    if (HasPodSpecShape(object)) {
      ex_.Report(
          Severity::kWarning, object,
          fmt::format("kind {} is not a supported workload kind; its containers are not scanned",
                      *kind));
    }
    return;
  }
  std::optional<Workload> w = Header(object, *kind);
  if (!w) return;
  w->document = document;
  w->item = item;
  ex_.StartWorkload();
  auto checked = [this](const YamlNode& m, std::string_view key) { return ex_.Get(m, key); };
  if (*kind == "HelmRelease") {
    HelmReleaseContainers(ex_, object, *w);
  } else if (const YamlNode* spec = PodSpec(object, *kind, checked); spec != nullptr) {
    PodContainers(*spec, *w);
  }
  ex_.out.workloads.push_back(std::move(*w));
}

std::optional<Workload> DocumentExtractor::Header(const YamlNode& object, const std::string& kind,
                                                  const std::string& fallback_name) {
  const YamlNode* metadata = ex_.Get(object, "metadata");
  if (metadata != nullptr && !metadata->IsMap()) metadata = nullptr;
  const std::string* name = metadata != nullptr ? ex_.GetString(*metadata, "name") : nullptr;
  if ((name == nullptr || name->empty()) && !fallback_name.empty()) name = &fallback_name;
  if (name == nullptr || name->empty()) {
    ex_.Report(Severity::kWarning, object, fmt::format("{} without metadata.name; skipped", kind));
    return std::nullopt;
  }
  Workload w;
  w.kind = kind;
  w.name = *name;
  const std::string* ns = metadata != nullptr ? ex_.GetString(*metadata, "namespace") : nullptr;
  w.ns = ns != nullptr && !ns->empty() ? *ns : "default";
  w.id = MakeWorkloadId(w.ns, w.kind, w.name);
  subject_ = w.id;
  w.file = std::string(ex_.file);
  w.line = object.line + 1;
  const YamlNode* annotations = metadata != nullptr ? ex_.Get(*metadata, "annotations") : nullptr;
  if (annotations != nullptr && annotations->IsMap()) {
    std::unordered_map<std::string_view, const YamlNode*> seen;
    for (std::size_t i = 0; i + 1 < annotations->children.size(); i += 2) {
      const YamlNode& key = annotations->children[i].Resolved();
      const YamlNode& value = annotations->children[i + 1].Resolved();
      if (!key.IsScalar()) continue;
      auto [first, added] = seen.try_emplace(key.value, &annotations->children[i]);
      if (!added) {
        ex_.Duplicate(*first->second, annotations->children[i]);
        return std::nullopt;
      }
      if (value.IsScalar()) {
        w.annotations.emplace_back(key.value, value.value);
      } else if (PolicyOfAnnotation(key.value)) {
        ex_.Report(Severity::kWarning, value,
                   fmt::format("{}: annotation {} is not a string; ignored", w.id, key.value));
      }
    }
  }
  w.policies = Policies::FromAnnotations(w.annotations);
  return w;
}

void DocumentExtractor::PodContainers(const YamlNode& spec, Workload& w) {
  for (std::string_view list : {"initContainers", "containers"}) {
    const YamlNode* items = ex_.Get(spec, list);
    if (items == nullptr || items->kind == YamlNode::Kind::kNull) continue;
    if (!items->IsSequence()) {
      ex_.Report(Severity::kWarning, *items,
                 fmt::format("{}: {} is not a list; ignored", w.id, list));
      continue;
    }
    for (const YamlNode& raw : items->children) {
      const YamlNode& c = raw.Resolved();
      const std::string* name = c.IsMap() ? ex_.GetString(c, "name") : nullptr;
      if (name == nullptr || name->empty()) {
        ex_.Report(Severity::kWarning, c,
                   fmt::format("{}: container without a name; skipped", w.id));
        continue;
      }
      const YamlNode* image = ex_.KeyNode(c, "image");
      if (image == nullptr) {
        ex_.Report(Severity::kWarning, c,
                   fmt::format("{}: container {} has no image; skipped", w.id, *name));
        continue;
      }
      std::optional<ValueLocation> loc =
          ex_.ImageScalar(*(image + 1), ImageField::kImage, w.id, *name);
      if (!loc) continue;
      std::string text = loc->value;
      ex_.AddContainer(w, *name, text, {std::move(*loc)}, c);
    }
  }
}

}  // namespace internal

FileScan ExtractWorkloads(std::string_view file, std::string_view content,
                          const YamlStream& stream) {
  FileScan out;
  internal::DocumentExtractor extractor(file, content, out);
  for (std::size_t i = 0; i < stream.documents.size(); ++i)
    extractor.Document(stream.documents[i], i);
  return out;
}

FileScan ScanText(std::string_view file, std::string_view content) {
  FileScan out;
  internal::DocumentExtractor extractor(file, content, out);
  ParseFailure failure;
  Result<std::size_t> parsed = ParseYamlEach(
      content,
      [&](YamlDocument&& doc, std::size_t index) {
        if (index == 0) extractor.Reset();
        extractor.Document(doc, index);
      },
      &failure);
  if (parsed) extractor.Finish();
  if (!parsed) {
    out = FileScan{};
    std::string why = failure.limit ? fmt::format("is refused: {}", failure.what)
                                    : fmt::format("does not parse ({})", failure.what);
    out.problems.push_back(Problem{std::string(file), failure.line, failure.column,
                                   Severity::kError, fmt::format("{}; file skipped", why)});
  }
  return out;
}

const YamlNode* WorkloadNode(const YamlStream& stream, const Workload& w) {
  if (w.document >= stream.documents.size()) return nullptr;
  const YamlNode* node = &stream.documents[w.document].root.Resolved();
  if (w.item >= 0) {
    const YamlNode* items = node->Get("items");
    if (items == nullptr || !items->IsSequence() ||
        static_cast<std::size_t>(w.item) >= items->children.size())
      return nullptr;
    node = &items->children[static_cast<std::size_t>(w.item)].Resolved();
  }
  return node->IsMap() ? node : nullptr;
}

}  // namespace tagflow::manifest
