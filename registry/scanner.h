// One registry scan per automation cycle (DESIGN.md §5): for each image
// repository used by automated containers, one tag list; image metadata
// (digest -> creation time) only for tags that a time-ordered filter lets
// through, or that the caller names, and only when the digest is new. What is
// fetched goes into the Cache, so a steady-state cycle costs one request per
// repository. Repositories are scanned concurrently (bounded); an error is
// kept per repository, and a failing host never stops the others.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "registry/cache.h"
#include "registry/client.h"
#include "registry/metadata_cache.h"
#include "registry/oci.h"
#include "registry/stats.h"

namespace tagflow::registry {

struct ScanOptions {
  Platform platform{"linux", "amd64", ""};  // --registry-platform
  int concurrency = 4;                      // repositories scanned at once
  // Globs on image::ImageRef::CanonicalName() (`*` matches any run, `/` included).
  // Empty include = every image.
  std::vector<std::string> include_images;  // --registry-include-image
  std::vector<std::string> exclude_images;  // --registry-exclude-image
  // Metadata fetches (manifests and configs not in the cache) one scan may
  // make per repository; the rest wait for the next cycle (0 = no limit). A
  // cold repository of 100,000 tags then cannot hold a cycle hostage.
  int metadata_budget = 300;
};

// A repository to scan and what its containers need from it.
struct ScanTarget {
  image::ImageRef image;                  // its tag and digest are ignored
  std::vector<image::TagFilter> filters;  // the policies of the containers using it
  std::vector<std::string> wanted;        // tags whose metadata is needed anyway (current tags)
};

struct TagMetadata {
  std::string tag;
  std::string digest;                // "" when not resolved (not needed)
  std::optional<TimePoint> created;  // nullopt: not needed, or not knowable
  std::string problem;               // why a needed creation time is unknown; "" otherwise
  // Needed, but left for a later scan by the metadata budget: the tag's
  // time is not known *yet*, so nothing may be decided without it.
  bool deferred = false;

  image::TagInfo Info() const { return image::TagInfo{tag, created}; }
  friend bool operator==(const TagMetadata&, const TagMetadata&) = default;
};

struct RepositoryScan {
  image::ImageRef image;  // as given in the first target for the repository
  bool excluded = false;  // filtered out by include/exclude: not scanned
  // Every tag of the repository in byte order, or why the repository could
  // not be listed (the message names the host and repository).
  Result<std::vector<TagMetadata>> tags;
};

class Scanner {
 public:
  // `cache` may be null (nothing persists). Borrows everything.
  Scanner(Client& client, MetadataCache* cache, RegistryStats& metrics, Clock& clock,
          ScanOptions options);

  // Scans every distinct repository of `targets` (merged by canonical name)
  // and returns the results keyed by canonical name.
  std::map<std::string, RepositoryScan> Scan(const std::vector<ScanTarget>& targets);

  // Scans one repository (no include/exclude check). kTransient and
  // kUnauthorized failures while fetching metadata fail the repository (what
  // was fetched so far is cached); other per-tag failures only set the tag's
  // `problem`. Needed tags are resolved cheapest first (digest already known),
  // then newest-looking first (natural order, descending), until the metadata
  // budget is spent; the rest are `deferred`.
  [[nodiscard]] Result<std::vector<TagMetadata>> ScanRepository(const ScanTarget& target);

  // True when include/exclude keep `image` from being scanned.
  bool Excluded(const image::ImageRef& image) const;

 private:
  class Pending;
  Result<ImageRecord> Record(const image::ImageRef& image, const std::string& digest,
                             std::optional<FetchedManifest> prefetched, Pending& pending);
  Result<void> Resolve(const image::ImageRef& image, TagMetadata& tag, Pending& pending);

  Client& client_;
  MetadataCache* cache_;
  RegistryStats& metrics_;
  Clock& clock_;
  ScanOptions options_;
  std::vector<std::string> include_;  // globs on canonical names
  std::vector<std::string> exclude_;
};

}  // namespace tagflow::registry
