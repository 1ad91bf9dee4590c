// Internal to the scan: the shared state and helpers of one file's
// extraction, used by extract.cc (pod specs) and helm_release.cc.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "manifest/extract.h"

namespace tagflow::manifest::internal {

struct Extraction {
  std::string_view file;
  std::string_view content;
  FileScan& out;

  void Report(Severity severity, int line, int column, std::string message);
  // At a node's position.
  void Report(Severity severity, const YamlNode& at, std::string message);

  // The location of image scalar `raw` (possibly an alias, then not
  // editable). Reports a warning and returns nullopt when the value is not a
  // usable string (a map, a list, null, a number or bool for a whole image).
  std::optional<ValueLocation> ImageScalar(const YamlNode& raw, ImageField field,
                                           std::string_view workload, std::string_view container);

  // Parses `text` and adds container `name` to `w`; reports a warning and
  // adds nothing when the image is invalid. A second container of the same
  // name replaces the first when `replace`, else it is reported and dropped.
  void AddContainer(Workload& w, std::string_view name, const std::string& text,
                    std::vector<ValueLocation> sources, const YamlNode& at, bool replace = false);
};

// Adds the containers of a HelmRelease (see extract.h) to `w`.
void HelmReleaseContainers(Extraction& ex, const YamlNode& object, Workload& w);

}  // namespace tagflow::manifest::internal
