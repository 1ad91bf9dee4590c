#include "manifest/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace tagflow::manifest {

std::string_view ImageFieldName(ImageField field) {
  switch (field) {
    case ImageField::kImage:
      return "image";
    case ImageField::kRegistry:
      return "registry";
    case ImageField::kRepository:
      return "repository";
    case ImageField::kTag:
      return "tag";
    case ImageField::kDigest:
      return "digest";
    case ImageField::kName:
      return "name";
  }
  return "image";
}

const ValueLocation* Container::Source(ImageField field) const {
  auto it = std::find_if(sources.begin(), sources.end(),
                         [field](const ValueLocation& s) { return s.field == field; });
  return it == sources.end() ? nullptr : &*it;
}

const Container* Workload::FindContainer(std::string_view wanted) const {
  auto it = std::find_if(containers.begin(), containers.end(),
                         [wanted](const Container& c) { return c.name == wanted; });
  return it == containers.end() ? nullptr : &*it;
}

std::string MakeWorkloadId(std::string_view ns, std::string_view kind, std::string_view name) {
  return fmt::format("{}:{}/{}", ns, Lower(kind), name);
}

Result<std::string> NormalizeWorkloadId(std::string_view id, std::string_view default_ns) {
  std::string_view ns = default_ns;
  std::string_view rest = id;
  if (std::size_t colon = id.find(':'); colon != std::string_view::npos) {
    ns = id.substr(0, colon);
    rest = id.substr(colon + 1);
  }
  std::size_t slash = rest.find('/');
  // A kustomization without metadata.name is named by its directory.
  bool path_name =
      slash != std::string_view::npos && Lower(rest.substr(0, slash)) == "kustomization";
  if (ns.empty() || slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find(':') != std::string_view::npos ||
      (!path_name && rest.find('/', slash + 1) != std::string_view::npos)) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("invalid workload id \"{}\": expected <namespace>:<kind>/<name>", id));
  }
  return MakeWorkloadId(ns, rest.substr(0, slash), rest.substr(slash + 1));
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNotice:
      return "notice";
  }
  return "warning";
}

std::string Problem::ToString() const {
  std::string times = count > 1 ? fmt::format(" ({} times in this file)", count) : "";
  if (line <= 0) return fmt::format("{}: {}{}", file, message, times);
  if (column <= 0) return fmt::format("{}:{}: {}{}", file, line, message, times);
  return fmt::format("{}:{}:{}: {}{}", file, line, column, message, times);
}

}  // namespace tagflow::manifest
