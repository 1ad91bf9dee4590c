// The data behind GET /api/v1/workloads and GET /api/v1/images, with
// fluxctl's JSON field names (DESIGN.md §6). The CLI renders the same JSON as
// tables, so `list-images --url` and `list-images --repo` print alike.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "daemon/rollback.h"
#include "image/reference.h"
#include "manifest/workload.h"
#include "registry/image_lister.h"
#include "registry/scanner.h"

namespace tagflow::daemon {

struct ContainerImages {
  std::string name;
  registry::ImageListing listing;
  std::string filter_error;          // the container's filter does not parse ("" = fine)
  std::optional<Rollback> rollback;  // held after a rollback (--respect-rollbacks)
};

struct WorkloadImages {
  std::string id;
  std::vector<ContainerImages> containers;
};

// Lists the images of every container of `workloads` through `scanner`: one
// tag list per distinct repository, and creation times for the first `shown`
// tags of each (registry::ImageListRequest::shown).
std::vector<WorkloadImages> ListImagesFor(registry::Scanner& scanner,
                                          std::span<const manifest::Workload> workloads,
                                          size_t shown = 10);

// Marks the containers of `images` that `rollbacks` hold.
void AttachRollbacks(std::vector<WorkloadImages>& images, const std::vector<Rollback>& rollbacks);

// fluxctl's JSON: [{"ID", "Containers": [{"Name", "Current": {"ID", "Digest",
// "CreatedAt"}, "LatestFiltered": {...}, "Available": [...], "AvailableError"}]}].
// "CreatedAt" (RFC 3339) and "Digest" are left out when unknown;
// "LatestFiltered" when no tag passes the filter; "AvailableError" when empty.
// tagflow's additions for a container held after a rollback: "Rollback":
// {"From", "To", "Commit", "Author"}, and "Held": true on each available tag
// from the one rolled back from down to (not including) the current one:
// the tags the hold keeps tagflow from proposing ("LatestFiltered" is left
// out when it is one of them).
nlohmann::ordered_json ImagesJson(const std::vector<WorkloadImages>& images);

// `list-workloads -o json` (and GET /api/v1/workloads) with fluxctl's field
// names: [{"ID", "Containers": [{"Name", "Current": {"ID"}}], "Policies",
// "Automated", "Locked", "Ignore"}].
nlohmann::ordered_json WorkloadsJson(std::span<const manifest::Workload> workloads);

// The digest `image`'s repository tag `tag` points at now (one HEAD; see
// registry::Scanner::CurrentDigest).
[[nodiscard]] Result<std::string> DigestOf(registry::Scanner& scanner, const image::ImageRef& image,
                                           const std::string& tag);

// The image container `c` of `w` should run under its tag filter, by the
// daemon's own planning rules (newest allowed, never older than the current
// tag), or nullopt when it is up to date. For `release --update-all-images`.
[[nodiscard]] Result<std::optional<image::ImageRef>> LatestAllowedImage(
    registry::Scanner& scanner, const manifest::Workload& w, const manifest::Container& c);

}  // namespace tagflow::daemon
