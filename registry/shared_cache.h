// The layered metadata cache of --cache-url (DESIGN.md §5): the embedded
// SQLite cache in front, a Redis that every daemon of a platform shares
// behind it.
//
//   tagflow:v1:image:<digest>      an ImageRecord as JSON; content-addressed,
//                                  no TTL (Redis' own eviction bounds it)
//   tagflow:v1:tags:<repository>   the listing (tags and known digests) of a
//                                  canonical repository; TTL = tags_ttl (half
//                                  of --automation-interval)
//   tagflow:v1:lock:<repository>   single flight: a random token, SET NX PX
//
// When 50 daemons need the same listing, one takes the lock and lists; the
// others poll the listing key (every 50 ms, at most `wait`) and use it, so a
// registry sees one tag list per repository per TTL whatever the number of
// daemons. Redis is never needed: when it is down or slow (registry/redis.h
// fails fast after the first timeout) every call falls back to the local
// cache and the caller lists itself. Everything read from Redis is checked
// (sizes, digests, JSON shape); anything wrong is a miss. Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "base/clock.h"
#include "registry/metadata_cache.h"
#include "registry/options.h"
#include "registry/redis.h"

namespace tagflow::registry {

struct SharedCacheOptions {
  std::chrono::milliseconds tags_ttl{150'000};  // half of --automation-interval
  std::chrono::milliseconds lock_ttl{10'000};   // a lister that died frees the lock
  std::chrono::milliseconds wait{10'000};       // how long a follower waits
  std::chrono::milliseconds poll{50};
};

// JSON forms of the records (also what tests write into Redis). The parsers
// return nullopt for anything that is not exactly such a record within the
// bounds (tags 100,000 per listing, 256 bytes per tag or digest, 1 MiB of
// labels).
std::string ImageRecordJson(const ImageRecord& record);
std::optional<ImageRecord> ParseImageRecordJson(std::string_view text, std::string_view digest);
std::string RepositoryRecordJson(const RepositoryRecord& record);
std::optional<RepositoryRecord> ParseRepositoryRecordJson(std::string_view text);

class SharedCache : public MetadataCache {
 public:
  // Borrows all three.
  SharedCache(MetadataCache& local, RedisClient& redis, Clock& clock, SharedCacheOptions options);

  std::optional<ImageRecord> GetImage(const std::string& digest) override;
  [[nodiscard]] Result<void> PutImages(const std::vector<ImageRecord>& records) override;
  std::optional<RepositoryRecord> GetRepository(const std::string& repository) override;
  // Always local; to Redis too when this process holds the repository's
  // lock (it listed: the listing gets a fresh TTL and the lock is released),
  // or when it resolved digests the shared listing lacked (TTL kept).
  [[nodiscard]] Result<void> PutRepository(const std::string& repository,
                                           const RepositoryRecord& record) override;
  // Local, and drops the shared listing (the next scan lists again).
  [[nodiscard]] Result<void> ForgetTag(const std::string& repository,
                                       const std::string& tag) override;
  std::optional<RepositoryRecord> SharedListing(const std::string& repository) override;
  void AbandonListing(const std::string& repository) override;

 private:
  void ReleaseLock(const std::string& repository);

  MetadataCache& local_;
  RedisClient& redis_;
  Clock& clock_;
  SharedCacheOptions options_;
  std::mutex mu_;
  std::map<std::string, std::string> locks_;  // guarded by mu_: repository -> our token
  std::map<std::string, size_t> served_;      // guarded by mu_: repository -> digests known
};

using SharedCacheParts = std::pair<std::unique_ptr<RedisClient>, std::unique_ptr<SharedCache>>;

// The Redis client of options.cache_url (password: options.cache_password,
// else the URL's) and the layered cache over `local`. Does not connect (a
// Redis that is down at start is only a warning later). kInvalidInput for a
// malformed URL, naming --cache-url but never the password.
[[nodiscard]] Result<SharedCacheParts> OpenSharedCache(const RegistryOptions& options, Clock& clock,
                                                       MetadataCache& local);

}  // namespace tagflow::registry
