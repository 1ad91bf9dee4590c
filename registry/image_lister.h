// What `tagflow list-images` shows for each container (DESIGN.md §6): the
// tags of its image repository, newest first under the container's filter,
// with digests and creation times, the tag the policy would pick
// (LatestFiltered), and an error per image instead of a crash.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/time.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "registry/scanner.h"

namespace tagflow::registry {

struct ImageListRequest {
  image::ImageRef image;    // the container's current reference (its tag is "current")
  image::TagFilter filter;  // the container's policy (glob:* when it has none)
  // Tags shown (list-images --limit): their creation times are fetched (and
  // cached forever) even when the filter does not need them, as fluxctl
  // showed a CREATED for every tag. 0: none beyond what the filter needs.
  size_t shown = 10;
};

struct ListedTag {
  std::string tag;
  std::string digest;                // "" when not resolved
  std::optional<TimePoint> created;  // nullopt when unknown or not needed
};

struct ImageListing {
  image::ImageRef image;
  // Every tag of the repository, newest first under the filter's ordering
  // (image::TagFilter::Newer: tags of unknown time and tags the ordering cannot
  // read come last). Metadata is fetched for the tags a time-ordered filter
  // matches and for the current tag; other tags show what the cache knows.
  std::vector<ListedTag> available;
  std::optional<ListedTag> current;          // the current tag, when listed
  std::optional<ListedTag> latest_filtered;  // what the policy picks
  // Why the repository could not be listed ("" when it could): 401, unknown
  // repository, unreachable host, excluded from scanning; or how far an
  // incomplete scan got (the metadata budget). For the CREATED column.
  std::string error;
};

// Scans the repositories of `requests` through `scanner` (one tag list per
// distinct repository) and returns one listing per request, in order.
std::vector<ImageListing> ListImages(Scanner& scanner,
                                     const std::vector<ImageListRequest>& requests);

}  // namespace tagflow::registry
