// Counters the registry client keeps for the daemon's /metrics: requests by
// host, kind and status, and metadata cache hits and misses. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>

#include "base/metrics.h"

namespace tagflow::registry {

// What a request was for, derived from its URL path.
// kManifestHead is a HEAD on a manifest (a digest check, which Docker Hub
// does not count as a pull); kManifest is a GET of one.
enum class RequestKind { kPing, kTags, kManifest, kManifestHead, kBlob, kToken };

std::string_view RequestKindName(RequestKind kind);
// kPing for ".../v2/", kTags for ".../tags/list", kManifest and kBlob for
// ".../manifests/..." and ".../blobs/...", kToken for anything else (token
// realms live outside /v2/).
RequestKind ClassifyRequest(std::string_view url);
// The same, with a HEAD on ".../manifests/..." as kManifestHead.
RequestKind ClassifyRequest(std::string_view method, std::string_view url);

class RegistryStats {
 public:
  struct Snapshot {
    // (host, kind, status) -> count; status 0 = no HTTP response (transport
    // error or timeout).
    std::map<std::tuple<std::string, RequestKind, int>, uint64_t> requests;
    uint64_t cache_hits = 0;    // metadata served from the cache
    uint64_t cache_misses = 0;  // metadata that had to be fetched

    uint64_t Total() const;
    uint64_t Count(RequestKind kind) const;
    uint64_t CountHost(std::string_view host) const;
  };

  void CountRequest(std::string_view host, RequestKind kind, int status);
  void CountCacheHit(uint64_t n = 1);
  void CountCacheMiss(uint64_t n = 1);
  Snapshot Read() const;

  // Copies the counters into `out` (the daemon's one Prometheus registry):
  //   tagflow_registry_requests_total{host="...",kind="...",status="200"} N
  //   tagflow_registry_cache_hits_total N, tagflow_registry_cache_misses_total N
  // (status "error" for no HTTP response). Counters only grow, so setting
  // the series at each scrape keeps them monotonic.
  void ExportTo(Metrics& out) const;

 private:
  mutable std::mutex mu_;
  Snapshot counters_;
};

}  // namespace tagflow::registry
