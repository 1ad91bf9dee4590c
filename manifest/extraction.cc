#include "manifest/extraction.h"

#include <fmt/format.h>

#include <algorithm>

namespace tagflow::manifest::internal {

void Extraction::Report(Severity severity, int line, int column, std::string message) {
  out.problems.push_back(Problem{std::string(file), line, column, severity, std::move(message)});
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
  auto same = std::find_if(w.containers.begin(), w.containers.end(),
                           [&](const Container& other) { return other.name == name; });
  if (same == w.containers.end()) {
    w.containers.push_back(std::move(c));
  } else if (replace) {
    *same = std::move(c);
  } else {
    Report(Severity::kWarning, at,
           fmt::format("{}: a second container named {}; skipped", w.id, name));
  }
}

}  // namespace tagflow::manifest::internal
