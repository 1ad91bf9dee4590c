// One registry scan per automation cycle (DESIGN.md §5): for each image
// repository used by automated containers, one tag list; image metadata
// (digest -> creation time) only for tags that a time-ordered filter lets
// through, or that the caller names, and only when the digest is new. What is
// fetched goes into the Cache, so a steady-state cycle costs one request per
// repository. Repositories are scanned concurrently (bounded); an error is
// kept per repository, and a failing host never stops the others.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/clock.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "registry/cache.h"
#include "registry/client.h"
#include "registry/cosign.h"
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
  // --cosign-key: what tagflow.io/verify: cosign checks against (null or
  // empty: every signature check fails, naming the missing flag).
  std::shared_ptr<const CosignKeys> cosign_keys;
};

// A container whose candidates are held back by release gates
// (tagflow.io/min-age, tagflow.io/verify): the scan checks its candidates
// newest first, down to (not including) its current tag, until one passes,
// fetching creation times and signatures only for the tags it checks. With
// `track_digest`, when no newer tag passes, the current tag itself is checked
// (its digest may have been re-pushed: the new digest must pass too).
struct GatedPolicy {
  image::TagFilter filter;
  std::string current;  // the container's current tag ("" = none)
  std::optional<std::chrono::milliseconds> min_age;
  bool verify_cosign = false;
  bool track_digest = false;
};

// A repository to scan and what its containers need from it.
struct ScanTarget {
  image::ImageRef image;                  // its tag and digest are ignored
  std::vector<image::TagFilter> filters;  // the policies of the containers using it
  std::vector<std::string> wanted;        // tags whose metadata is needed anyway (current tags)
  std::vector<GatedPolicy> gated;         // containers with release gates
};

// What the release-gate walk found out about a tag's cosign signature.
enum class SignatureState {
  kUnchecked,  // not checked (no gate asked, or an older tag passed first)
  kValid,      // a valid signature of the tag's digest by a --cosign-key
  kInvalid,    // unsigned or badly signed; TagMetadata::signature_problem says why
};

struct TagMetadata {
  std::string tag;
  std::string digest;                // "" when not resolved (not needed)
  std::optional<TimePoint> created;  // nullopt: not needed, or not knowable
  std::string problem;               // why a needed creation time is unknown; "" otherwise
  // Needed, but left for a later scan by the metadata budget: the tag's
  // time is not known *yet*, so nothing may be decided without it.
  bool deferred = false;
  SignatureState signature = SignatureState::kUnchecked;
  std::string signature_problem;  // why kInvalid

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

  // The digest `tag` points at now, with one HEAD on its manifest (GET when
  // the registry does not answer HEAD with Docker-Content-Digest). When the
  // cache remembers another digest for the tag (it was re-pushed), the
  // remembered one is replaced, so the next scan reads the new image's
  // metadata. Thread-safe with respect to Scan.
  [[nodiscard]] Result<std::string> CurrentDigest(const image::ImageRef& image,
                                                  const std::string& tag);

 private:
  class Pending;
  Result<ImageRecord> Record(const image::ImageRef& image, const std::string& digest,
                             std::optional<FetchedManifest> prefetched, Pending& pending);
  Result<void> Resolve(const image::ImageRef& image, TagMetadata& tag, Pending& pending);
  // The release-gate walk of `gate` over `tags` (see GatedPolicy). A fetch
  // the budget does not allow marks the tag deferred and ends the walk.
  // kTransient/kUnauthorized failures are returned (they fail the repository).
  Result<void> WalkGate(const image::ImageRef& image, const GatedPolicy& gate,
                        const std::set<std::string, std::less<>>& listed,
                        std::vector<TagMetadata>& tags, Pending& pending);
  // Checks the cosign signature of `tag`'s digest, setting its signature
  // fields; the `.sig` tag's absence from `listed` costs no request.
  Result<void> CheckSignature(const image::ImageRef& image,
                              const std::set<std::string, std::less<>>& listed, TagMetadata& tag,
                              Pending& pending);
  bool BudgetSpent(const Pending& pending) const;

  Client& client_;
  MetadataCache* cache_;
  RegistryStats& metrics_;
  Clock& clock_;
  ScanOptions options_;
  std::vector<std::string> include_;  // globs on canonical names
  std::vector<std::string> exclude_;
  std::mutex verified_mu_;
  // "<repository>@<digest>" with a valid signature: keys do not change
  // while the process runs, so a valid signature stays valid.
  std::set<std::string> verified_;  // guarded by verified_mu_
  // "<repository>@<digest>@<.sig manifest digest>" -> why it was rejected:
  // the same signature manifest is not fetched and checked again.
  std::map<std::string, std::string> rejected_;  // guarded by verified_mu_
};

}  // namespace tagflow::registry
