#include "manifest/filesystem.h"

#include <fmt/format.h>

namespace tagflow::manifest {

std::string JoinPath(std::string_view dir, std::string_view rel) {
  if (rel.empty()) return std::string(dir);
  if (dir.empty()) return std::string(rel);
  if (dir.back() == '/') return fmt::format("{}{}", dir, rel);
  return fmt::format("{}/{}", dir, rel);
}

Result<std::string> CleanRelativePath(std::string_view path) {
  if (path.starts_with('/')) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("path \"{}\" is absolute; give it relative to the repository root", path));
  }
  std::string out;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::string_view part =
        path.substr(start, slash == std::string_view::npos ? path.npos : slash - start);
    if (part == "..") {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("path \"{}\" leaves the repository (\"..\")", path));
    }
    if (!part.empty() && part != ".") {
      if (!out.empty()) out += '/';
      out += part;
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

}  // namespace tagflow::manifest
