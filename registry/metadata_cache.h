// What the Scanner needs from a metadata cache, so the embedded SQLite cache
// (registry/cache.h) and the layered SQLite + Redis cache
// (registry/shared_cache.h, --cache-url) are used the same way.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "registry/oci.h"

namespace tagflow::registry {

// What is known about one manifest digest.
struct ImageRecord {
  std::string digest;
  std::string media_type;
  // Image manifests: the parsed config (created, labels).
  ImageConfig config;
  // Indexes and manifest lists: the child manifests with their platforms.
  std::vector<IndexEntry> platforms;
  // Why no creation time can ever be known for this digest (unsupported
  // manifest type, config that is not an image config); "" otherwise.
  std::string problem;
};

struct CachedTag {
  std::string tag;
  std::string digest;  // "" when not resolved yet
};

struct RepositoryRecord {
  std::vector<CachedTag> tags;
  TimePoint listed_at;
};

class MetadataCache {
 public:
  virtual ~MetadataCache() = default;

  // The record for `digest`, or nullopt (also when the read fails).
  virtual std::optional<ImageRecord> GetImage(const std::string& digest) = 0;
  // Stores records (replacing records of the same digests).
  [[nodiscard]] virtual Result<void> PutImages(const std::vector<ImageRecord>& records) = 0;

  // The last listing of `repository` (canonical name), or nullopt.
  virtual std::optional<RepositoryRecord> GetRepository(const std::string& repository) = 0;
  // Replaces the listing of `repository`.
  [[nodiscard]] virtual Result<void> PutRepository(const std::string& repository,
                                                   const RepositoryRecord& record) = 0;
  // Forgets the digest of one tag (a registry webhook says it was pushed again).
  [[nodiscard]] virtual Result<void> ForgetTag(const std::string& repository,
                                               const std::string& tag) = 0;

  // A listing of `repository` that is fresh enough to stand for a registry
  // request now (another process listed it within the shared TTL), waiting
  // briefly while another process is listing it. nullopt: list it yourself,
  // then PutRepository (or AbandonListing when listing failed). The embedded
  // cache never shares: always nullopt.
  virtual std::optional<RepositoryRecord> SharedListing(const std::string& /*repository*/) {
    return std::nullopt;
  }
  // Listing `repository` failed after SharedListing returned nullopt: let
  // the others list it themselves at once.
  virtual void AbandonListing(const std::string& /*repository*/) {}
};

}  // namespace tagflow::registry
