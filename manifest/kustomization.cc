// Kustomization `images:` entries as containers (DESIGN.md §4.1; see
// extraction.h). The rewrite of an entry is kustomize_edit.h.
#include <fmt/format.h>

#include <unordered_map>

#include "manifest/extraction.h"

namespace tagflow::manifest::internal {
namespace {

std::string_view BaseName(std::string_view path) {
  std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// One usable entry of `images:`, before the names are checked for clashes.
struct Entry {
  std::string key;  // the container name: `name` after its last '/'
  std::string text;
  std::vector<ValueLocation> sources;
  const YamlNode* at = nullptr;
};

// The entry `raw` as a container, or nullopt (reported) when it is unusable.
std::optional<Entry> ReadEntry(Extraction& ex, const YamlNode& raw, const Workload& w) {
  const YamlNode& entry = raw.Resolved();
  const YamlNode* name = entry.IsMap() ? ex.KeyNode(entry, "name") : nullptr;
  if (name == nullptr || !(name + 1)->Resolved().IsScalar() ||
      (name + 1)->Resolved().value.empty()) {
    if (!ex.duplicate) {
      ex.Report(Severity::kWarning, entry,
                fmt::format("{}: images entry without a name; skipped", w.id));
    }
    return std::nullopt;
  }
  Entry out;
  out.key = std::string(BaseName((name + 1)->Resolved().value));
  out.at = &entry;
  std::optional<ValueLocation> loc = ex.ImageScalar(*(name + 1), ImageField::kName, w.id, out.key);
  if (!loc) return std::nullopt;
  out.text = loc->value;
  out.sources.push_back(std::move(*loc));
  struct Field {
    std::string_view key;
    ImageField field;
    std::string_view join;  // written before the value in the image text
  };
  for (const Field& f :
       {Field{"newName", ImageField::kRepository, ""}, Field{"newTag", ImageField::kTag, ":"},
        Field{"digest", ImageField::kDigest, "@"}}) {
    const YamlNode* key = ex.KeyNode(entry, f.key);
    if (ex.duplicate) return std::nullopt;
    if (key == nullptr) continue;
    loc = ex.ImageScalar(*(key + 1), f.field, w.id, out.key);
    if (!loc) return std::nullopt;
    if (f.field == ImageField::kRepository) {
      out.text = loc->value;
    } else {
      out.text += std::string(f.join) + loc->value;
    }
    out.sources.push_back(std::move(*loc));
  }
  return out;
}

}  // namespace

bool IsKustomizationFile(std::string_view file) {
  std::string_view base = BaseName(file);
  return base == "kustomization.yaml" || base == "kustomization.yml" || base == "Kustomization";
}

bool IsKustomization(Extraction& ex, const YamlNode& object) {
  const YamlNode* kind = ex.Get(object, "kind");
  if (kind == nullptr) return true;
  if (!kind->IsScalar() || kind->value != "Kustomization") return false;
  const std::string* api = ex.GetString(object, "apiVersion");
  return api == nullptr || api->starts_with("kustomize.config.k8s.io/");
}

std::string KustomizationDirectory(std::string_view file) {
  std::size_t slash = file.rfind('/');
  return slash == std::string_view::npos ? "." : std::string(file.substr(0, slash));
}

void KustomizationImages(Extraction& ex, const YamlNode& object, Workload& w) {
  const YamlNode* images = ex.Get(object, "images");
  if (images == nullptr || images->kind == YamlNode::Kind::kNull) return;
  if (!images->IsSequence()) {
    ex.Report(Severity::kWarning, *images, fmt::format("{}: images is not a list; ignored", w.id));
    return;
  }
  std::vector<Entry> entries;
  std::unordered_map<std::string, std::size_t> first;  // key -> index in entries
  std::vector<bool> clashed;
  for (const YamlNode& raw : images->children) {
    std::optional<Entry> entry = ReadEntry(ex, raw, w);
    if (ex.duplicate) return;
    if (!entry) continue;
    auto [seen, added] = first.try_emplace(entry->key, entries.size());
    clashed.push_back(!added);
    if (!added) {
      const Entry& a = entries[seen->second];
      clashed[seen->second] = true;
      ex.Report(Severity::kError, *entry->at,
                fmt::format("{}: images entries {} (line {}) and {} (line {}) are both container "
                            "{}; neither is scanned",
                            w.id, a.sources.front().value, a.sources.front().line,
                            entry->sources.front().value, entry->sources.front().line, entry->key));
    }
    entries.push_back(std::move(*entry));
  }
  for (std::size_t i = 0; i < entries.size(); ++i) {
    if (clashed[i]) continue;
    ex.AddContainer(w, entries[i].key, entries[i].text, std::move(entries[i].sources),
                    *entries[i].at);
  }
}

}  // namespace tagflow::manifest::internal
