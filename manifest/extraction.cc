#include "manifest/extraction.h"

#include <fmt/format.h>

namespace tagflow::manifest::internal {

void Extraction::Report(Severity severity, int line, int column, std::string message) {
  problems.push_back(Problem{std::string(file), line, column, severity, std::move(message)});
}

const YamlNode* Extraction::KeyNode(const YamlNode& map, std::string_view key) {
  if (duplicate) return nullptr;
  const YamlNode& self = map.Resolved();
  if (!self.IsMap()) return nullptr;
  const YamlNode* found = nullptr;
  for (std::size_t i = 0; i + 1 < self.children.size(); i += 2) {
    const YamlNode& k = self.children[i].Resolved();
    if (!k.IsScalar() || k.value != key) continue;
    if (found != nullptr) {
      Duplicate(*found, self.children[i]);
      return nullptr;
    }
    found = &self.children[i];
  }
  return found;
}

const YamlNode* Extraction::Get(const YamlNode& map, std::string_view key) {
  const YamlNode* k = KeyNode(map, key);
  return k == nullptr ? nullptr : &(k + 1)->Resolved();
}

const std::string* Extraction::GetString(const YamlNode& map, std::string_view key) {
  const YamlNode* v = Get(map, key);
  return v != nullptr && v->IsScalar() ? &v->value : nullptr;
}

void Extraction::Duplicate(const YamlNode& first, const YamlNode& second) {
  if (!duplicate) duplicate = DuplicateKey{first.Resolved().value, &first, &second};
}

void Extraction::Report(Severity severity, const YamlNode& at, std::string message) {
  Report(severity, at.line + 1, at.column + 1, std::move(message));
}

std::optional<ValueLocation> Extraction::ImageScalar(const YamlNode& raw, ImageField field,
                                                     std::string_view workload,
                                                     std::string_view container) {
  const YamlNode& node = raw.Resolved();
  bool whole_image = field == ImageField::kImage || field == ImageField::kRepository;
  if (!node.IsScalar() || node.value.empty() ||
      (whole_image && node.tag == "?" && PlainScalarIsNonString(node.value))) {
    Report(Severity::kWarning, node,
           fmt::format("{}: {} of container {} is not a string; container skipped", workload,
                       ImageFieldName(field), container));
    return std::nullopt;
  }
  ValueLocation loc;
  loc.field = field;
  loc.line = raw.line + 1;
  loc.column = raw.column + 1;
  loc.value = node.value;
  Result<ScalarSpan> span = LocateScalar(content, raw);
  if (span) {
    loc.offset = span->offset;
    loc.length = span->length;
    loc.style = span->style;
  } else {
    loc.offset = raw.offset;
    loc.not_editable = span.error().message;
  }
  return loc;
}

void Extraction::AddContainer(Workload& w, std::string_view name, const std::string& text,
                              std::vector<ValueLocation> sources, const YamlNode& at,
                              bool replace) {
  Result<image::ImageRef> ref = image::ImageRef::Parse(text);
  if (!ref) {
    Report(Severity::kWarning, at,
           fmt::format("{}: container {}: {}; container skipped", w.id, name, ref.error().message));
    return;
  }
  Container c{std::string(name), text, std::move(*ref), std::move(sources)};
  auto [same, added] = containers.try_emplace(c.name, w.containers.size());
  if (added) {
    w.containers.push_back(std::move(c));
  } else if (replace) {
    w.containers[same->second] = std::move(c);
  } else {
    Report(Severity::kWarning, at,
           fmt::format("{}: a second container named {}; skipped", w.id, name));
  }
}

}  // namespace tagflow::manifest::internal
