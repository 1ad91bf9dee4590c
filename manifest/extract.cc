#include "manifest/extract.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>

#include "manifest/extraction.h"

namespace tagflow::manifest {
namespace {

using internal::Extraction;

constexpr std::array<std::string_view, 5> kTemplateKinds = {"Deployment", "DaemonSet",
                                                            "StatefulSet", "ReplicaSet", "Job"};

// The pod spec of an object of `kind`, or nullptr.
const YamlNode* PodSpec(const YamlNode& object, std::string_view kind) {
  const YamlNode* spec = object.Get("spec");
  if (spec == nullptr) return nullptr;
  if (kind == "Pod") return spec;
  if (kind == "CronJob") {
    const YamlNode* job = spec->Get("jobTemplate");
    spec = job != nullptr ? job->Get("spec") : nullptr;
    if (spec == nullptr) return nullptr;
  }
  const YamlNode* tmpl = spec->Get("template");
  return tmpl != nullptr ? tmpl->Get("spec") : nullptr;
}

bool IsWorkloadKind(std::string_view kind) {
  return kind == "Pod" || kind == "CronJob" || kind == "HelmRelease" ||
         std::find(kTemplateKinds.begin(), kTemplateKinds.end(), kind) != kTemplateKinds.end();
}

// True when an object of an unsupported kind looks like it runs containers.
bool HasPodSpecShape(const YamlNode& object) {
  for (std::string_view shape : {"Pod", "Deployment", "CronJob"}) {
    const YamlNode* spec = PodSpec(object, shape);
    if (spec != nullptr && spec->Get("containers") != nullptr) return true;
  }
  return false;
}

class Extractor {
 public:
  Extractor(std::string_view file, std::string_view content, FileScan& out)
      : ex_{file, content, out} {}

  void Document(const YamlDocument& doc, std::size_t index) {
    const YamlNode& root = doc.root.Resolved();
    if (root.kind == YamlNode::Kind::kNull) {
      ex_.Report(Severity::kNotice, doc.line + 1, 0, "empty document");
      return;
    }
    if (!root.IsMap()) {
      ex_.Report(Severity::kNotice, root, "document is not a mapping (a patch list?); ignored");
      return;
    }
    Object(root, index, -1);
  }

 private:
  void Object(const YamlNode& object, std::size_t document, int item) {
    const std::string* kind = object.GetString("kind");
    if (kind == nullptr) return;
    if (kind->ends_with("List") && item < 0) {
      const YamlNode* items = object.Get("items");
      if (items == nullptr || !items->IsSequence()) return;
      for (std::size_t i = 0; i < items->children.size(); ++i) {
        const YamlNode& entry = items->children[i].Resolved();
        if (entry.IsMap()) Object(entry, document, static_cast<int>(i));
      }
      return;
    }
    if (!IsWorkloadKind(*kind)) {
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
    if (*kind == "HelmRelease") {
      internal::HelmReleaseContainers(ex_, object, *w);
    } else if (const YamlNode* spec = PodSpec(object, *kind); spec != nullptr) {
      PodContainers(*spec, *w);
    }
    ex_.out.workloads.push_back(std::move(*w));
  }

  std::optional<Workload> Header(const YamlNode& object, const std::string& kind) {
    const YamlNode* metadata = object.Get("metadata");
    const std::string* name = metadata != nullptr ? metadata->GetString("name") : nullptr;
    if (name == nullptr || name->empty()) {
      ex_.Report(Severity::kWarning, object,
                 fmt::format("{} without metadata.name; skipped", kind));
      return std::nullopt;
    }
    Workload w;
    w.kind = kind;
    w.name = *name;
    const std::string* ns = metadata->GetString("namespace");
    w.ns = ns != nullptr && !ns->empty() ? *ns : "default";
    w.id = MakeWorkloadId(w.ns, w.kind, w.name);
    w.file = std::string(ex_.file);
    w.line = object.line + 1;
    const YamlNode* annotations = metadata->Get("annotations");
    if (annotations != nullptr && annotations->IsMap()) {
      for (std::size_t i = 0; i + 1 < annotations->children.size(); i += 2) {
        const YamlNode& key = annotations->children[i].Resolved();
        const YamlNode& value = annotations->children[i + 1].Resolved();
        if (!key.IsScalar()) continue;
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

  void PodContainers(const YamlNode& spec, Workload& w) {
    for (std::string_view list : {"initContainers", "containers"}) {
      const YamlNode* items = spec.Get(list);
      if (items == nullptr || items->kind == YamlNode::Kind::kNull) continue;
      if (!items->IsSequence()) {
        ex_.Report(Severity::kWarning, *items,
                   fmt::format("{}: {} is not a list; ignored", w.id, list));
        continue;
      }
      for (const YamlNode& raw : items->children) {
        const YamlNode& c = raw.Resolved();
        const std::string* name = c.IsMap() ? c.GetString("name") : nullptr;
        if (name == nullptr || name->empty()) {
          ex_.Report(Severity::kWarning, c,
                     fmt::format("{}: container without a name; skipped", w.id));
          continue;
        }
        const YamlNode* image = c.KeyNode("image");
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

  Extraction ex_;
};

}  // namespace

FileScan ExtractWorkloads(std::string_view file, std::string_view content,
                          const YamlStream& stream) {
  FileScan out;
  Extractor extractor(file, content, out);
  for (std::size_t i = 0; i < stream.documents.size(); ++i)
    extractor.Document(stream.documents[i], i);
  return out;
}

FileScan ScanText(std::string_view file, std::string_view content) {
  ParseFailure failure;
  Result<YamlStream> stream = ParseYaml(content, &failure);
  if (!stream) {
    FileScan out;
    out.problems.push_back(Problem{std::string(file), failure.line, failure.column,
                                   Severity::kError,
                                   fmt::format("does not parse ({}); file skipped", failure.what)});
    return out;
  }
  return ExtractWorkloads(file, content, *stream);
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
