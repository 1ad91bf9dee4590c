// `tagflow list-images` (DESIGN.md §6) and the data behind it, shared with
// GET /api/v1/images: for each container, the tags of its image repository,
// newest first under the container's filter, in fluxctl's table layout or
// JSON field names.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "daemon/cli.h"
#include "manifest/workload.h"
#include "registry/image_lister.h"
#include "registry/scanner.h"

namespace tagflow {

struct ContainerImages {
  std::string name;
  registry::ImageListing listing;
  std::string filter_error;  // the container's filter does not parse ("" = fine)
};

struct WorkloadImages {
  std::string id;
  std::vector<ContainerImages> containers;
};

// Lists the images of every container of `workloads` through `scanner`: one
// tag list per distinct repository.
std::vector<WorkloadImages> ListImagesFor(registry::Scanner& scanner,
                                          std::span<const manifest::Workload> workloads);

// fluxctl's JSON: [{"ID", "Containers": [{"Name", "Current": {"ID", "Digest",
// "CreatedAt"}, "LatestFiltered": {...}, "Available": [...], "AvailableError"}]}].
// "CreatedAt" (RFC 3339) and "Digest" are left out when unknown;
// "LatestFiltered" when no tag passes the filter; "AvailableError" when empty.
nlohmann::ordered_json ImagesJson(const std::vector<WorkloadImages>& images);

// The table of `list-images` from that JSON (so a daemon's /api/v1/images
// renders the same): `WORKLOAD CONTAINER IMAGE CREATED`, then per tag
// `'->` on the current one, `|` above it, `*` after the tag the policy picks,
// and `:   (N image(s) omitted)` past `limit` tags (0 = all); the current tag
// is always shown.
std::string ImagesTable(const nlohmann::json& images, int limit, bool headers);

// The digest of `image`'s repository tag `tag` (metadata cached by digest).
[[nodiscard]] Result<std::string> DigestOf(registry::Scanner& scanner,
                                           const registry::ImageRef& image, const std::string& tag);

// The image container `c` of `w` should run under its tag filter, by the
// daemon's own planning rules (newest allowed, never older than the current
// tag), or nullopt when it is up to date. For `release --update-all-images`.
[[nodiscard]] Result<std::optional<registry::ImageRef>> LatestAllowedImage(
    registry::Scanner& scanner, const manifest::Workload& w, const manifest::Container& c);

void AddImageCommands(CLI::App& app, CliContext& ctx);

}  // namespace tagflow
