// HelmRelease containers: images inside spec.values (see extract.h).
#include <fmt/format.h>

#include <unordered_map>

#include "manifest/extraction.h"

namespace tagflow::manifest::internal {
namespace {

constexpr std::string_view kRepositoryMapping = "repository.fluxcd.io/";
constexpr std::string_view kTagMapping = "tag.fluxcd.io/";
constexpr std::string_view kRegistryMapping = "registry.fluxcd.io/";

// The raw value node of `key` in map `m` (an alias left unresolved), or
// nullptr; a duplicate key is recorded in `ex`.
const YamlNode* Raw(Extraction& ex, const YamlNode& m, std::string_view key) {
  const YamlNode* k = ex.KeyNode(m, key);
  return k == nullptr ? nullptr : k + 1;
}

// The raw node at dot path `path` below `values`, or nullptr.
const YamlNode* AtPath(Extraction& ex, const YamlNode& values, std::string_view path) {
  const YamlNode* node = &values;
  while (true) {
    std::size_t dot = path.find('.');
    node = Raw(ex, *node, path.substr(0, dot));
    if (node == nullptr || dot == std::string_view::npos) return node;
    path.remove_prefix(dot + 1);
  }
}

const std::string* Annotation(const Workload& w, std::string_view key) {
  for (const auto& [k, v] : w.annotations) {
    if (k == key) return &v;
  }
  return nullptr;
}

// Adds container `name` whose image is `repository` (maybe with a tag),
// with an optional separate `tag` and `registry` scalar.
void Compose(Extraction& ex, Workload& w, std::string_view name, const YamlNode& repository,
             const YamlNode* tag, const YamlNode* registry, const YamlNode& at, bool replace) {
  bool split_tag = tag != nullptr && tag->Resolved().IsScalar() && !tag->Resolved().value.empty();
  std::vector<ValueLocation> sources;
  std::optional<ValueLocation> repo = ex.ImageScalar(
      repository, split_tag ? ImageField::kRepository : ImageField::kImage, w.id, name);
  if (!repo) return;
  std::string text = repo->value;
  sources.push_back(std::move(*repo));
  if (split_tag) {
    std::optional<ValueLocation> t = ex.ImageScalar(*tag, ImageField::kTag, w.id, name);
    if (!t) return;
    text += ":" + t->value;
    sources.push_back(std::move(*t));
  }
  if (registry != nullptr && registry->Resolved().IsScalar() &&
      !registry->Resolved().value.empty()) {
    std::optional<ValueLocation> r = ex.ImageScalar(*registry, ImageField::kRegistry, w.id, name);
    if (!r) return;
    text = r->value + "/" + text;
    sources.push_back(std::move(*r));
  }
  ex.AddContainer(w, name, text, std::move(sources), at, replace);
}

// Flux v1's interpretation of a map as a container: `image: ref` (beside
// optional `tag:` and `registry:`) or `image: {repository, tag, registry}`.
void FromFields(Extraction& ex, Workload& w, const YamlNode& m, std::string_view name) {
  const YamlNode* image = Raw(ex, m, "image");
  if (image == nullptr) return;
  const YamlNode& resolved = image->Resolved();
  if (resolved.IsScalar()) {
    const YamlNode* tag = Raw(ex, m, "tag");
    const YamlNode* registry = Raw(ex, m, "registry");
    if (ex.duplicate) return;
    Compose(ex, w, name, *image, tag, registry, resolved, false);
  } else if (resolved.IsMap()) {
    const YamlNode* repository = Raw(ex, resolved, "repository");
    if (repository == nullptr) return;
    const YamlNode* tag = Raw(ex, resolved, "tag");
    const YamlNode* registry = Raw(ex, resolved, "registry");
    if (ex.duplicate) return;
    Compose(ex, w, name, *repository, tag, registry, resolved, false);
  }
}

// `repository.fluxcd.io/<alias>` annotations and their tag/registry peers.
void FromMappings(Extraction& ex, Workload& w, const YamlNode* values, const YamlNode& object) {
  for (const auto& [key, path] : w.annotations) {
    if (!key.starts_with(kRepositoryMapping)) continue;
    std::string alias = key.substr(kRepositoryMapping.size());
    auto resolve = [&](std::string_view prefix, bool required) -> std::optional<const YamlNode*> {
      const std::string* p =
          prefix == kRepositoryMapping ? &path : Annotation(w, std::string(prefix) + alias);
      if (p == nullptr) return required ? std::nullopt : std::optional<const YamlNode*>(nullptr);
      const YamlNode* node = values != nullptr ? AtPath(ex, *values, *p) : nullptr;
      if (node == nullptr) {
        ex.Report(Severity::kWarning, object,
                  fmt::format("{}: {}{} names {}, which is not in spec.values; container skipped",
                              w.id, prefix, alias, *p));
        return std::nullopt;
      }
      return node;
    };
    std::optional<const YamlNode*> repository = resolve(kRepositoryMapping, true);
    if (!repository) continue;
    std::optional<const YamlNode*> tag = resolve(kTagMapping, false);
    std::optional<const YamlNode*> registry = resolve(kRegistryMapping, false);
    if (!tag || !registry) continue;
    Compose(ex, w, alias, **repository, *tag, *registry, (*repository)->Resolved(), true);
  }
}

}  // namespace

void HelmReleaseContainers(Extraction& ex, const YamlNode& object, Workload& w) {
  const YamlNode* spec = ex.Get(object, "spec");
  const YamlNode* values = spec != nullptr ? ex.Get(*spec, "values") : nullptr;
  if (values != nullptr && !values->IsMap()) values = nullptr;
  if (values != nullptr) {
    FromFields(ex, w, *values, kChartImageContainer);
    // A key of `values` whose value is a mapping may be a container: one
    // written twice is a duplicate on the way to an image.
    std::unordered_map<std::string_view, const YamlNode*> maps;
    for (std::size_t i = 0; i + 1 < values->children.size() && !ex.duplicate; i += 2) {
      const YamlNode& key = values->children[i].Resolved();
      const YamlNode& value = values->children[i + 1].Resolved();
      if (!key.IsScalar()) continue;
      auto [first, added] = maps.try_emplace(key.value, &values->children[i]);
      bool map = value.IsMap() || (!added && first->second[1].Resolved().IsMap());
      if (!added && map) ex.Duplicate(*first->second, values->children[i]);
      if (value.IsMap()) FromFields(ex, w, value, key.value);
    }
  }
  if (!ex.duplicate) FromMappings(ex, w, values, object);
}

}  // namespace tagflow::manifest::internal
