#include "registry/metrics.h"

#include <fmt/format.h>

namespace tagflow::registry {

std::string_view RequestKindName(RequestKind kind) {
  switch (kind) {
    case RequestKind::kPing:
      return "ping";
    case RequestKind::kTags:
      return "tags";
    case RequestKind::kManifest:
      return "manifest";
    case RequestKind::kBlob:
      return "blob";
    case RequestKind::kToken:
      return "token";
  }
  return "token";
}

RequestKind ClassifyRequest(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view path = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  path = path.substr(std::min(path.find('/'), path.size()));
  path = path.substr(0, path.find_first_of("?#"));
  if (!path.starts_with("/v2/")) return RequestKind::kToken;
  if (path == "/v2/") return RequestKind::kPing;
  if (path.ends_with("/tags/list")) return RequestKind::kTags;
  if (path.find("/manifests/") != std::string_view::npos) return RequestKind::kManifest;
  if (path.find("/blobs/") != std::string_view::npos) return RequestKind::kBlob;
  return RequestKind::kToken;
}

uint64_t Metrics::Snapshot::Total() const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) n += count;
  return n;
}

uint64_t Metrics::Snapshot::Count(RequestKind kind) const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) {
    if (std::get<1>(key) == kind) n += count;
  }
  return n;
}

uint64_t Metrics::Snapshot::CountHost(std::string_view host) const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) {
    if (std::get<0>(key) == host) n += count;
  }
  return n;
}

void Metrics::CountRequest(std::string_view host, RequestKind kind, int status) {
  std::lock_guard lock(mu_);
  ++counters_.requests[{std::string(host), kind, status}];
}

void Metrics::CountCacheHit(uint64_t n) {
  std::lock_guard lock(mu_);
  counters_.cache_hits += n;
}

void Metrics::CountCacheMiss(uint64_t n) {
  std::lock_guard lock(mu_);
  counters_.cache_misses += n;
}

Metrics::Snapshot Metrics::Read() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::string Metrics::Prometheus() const {
  Snapshot s = Read();
  std::string out =
      "# HELP tagflow_registry_requests_total Registry HTTP requests by host, kind and status.\n"
      "# TYPE tagflow_registry_requests_total counter\n";
  for (const auto& [key, count] : s.requests) {
    const auto& [host, kind, status] = key;
    out += fmt::format(
        "tagflow_registry_requests_total{{host=\"{}\",kind=\"{}\",status=\"{}\"}} {}\n", host,
        RequestKindName(kind), status == 0 ? std::string("error") : std::to_string(status), count);
  }
  out += fmt::format(
      "# HELP tagflow_registry_cache_hits_total Image metadata served from the cache.\n"
      "# TYPE tagflow_registry_cache_hits_total counter\n"
      "tagflow_registry_cache_hits_total {}\n"
      "# HELP tagflow_registry_cache_misses_total Image metadata fetched from a registry.\n"
      "# TYPE tagflow_registry_cache_misses_total counter\n"
      "tagflow_registry_cache_misses_total {}\n",
      s.cache_hits, s.cache_misses);
  return out;
}

}  // namespace tagflow::registry
