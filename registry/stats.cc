#include "registry/stats.h"

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
    case RequestKind::kManifestHead:
      return "manifest_head";
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

RequestKind ClassifyRequest(std::string_view method, std::string_view url) {
  RequestKind kind = ClassifyRequest(url);
  if (kind == RequestKind::kManifest && method == "HEAD") return RequestKind::kManifestHead;
  return kind;
}

uint64_t RegistryStats::Snapshot::Total() const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) n += count;
  return n;
}

uint64_t RegistryStats::Snapshot::Count(RequestKind kind) const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) {
    if (std::get<1>(key) == kind) n += count;
  }
  return n;
}

uint64_t RegistryStats::Snapshot::CountHost(std::string_view host) const {
  uint64_t n = 0;
  for (const auto& [key, count] : requests) {
    if (std::get<0>(key) == host) n += count;
  }
  return n;
}

void RegistryStats::CountRequest(std::string_view host, RequestKind kind, int status) {
  std::lock_guard lock(mu_);
  ++counters_.requests[{std::string(host), kind, status}];
}

void RegistryStats::CountCacheHit(uint64_t n) {
  std::lock_guard lock(mu_);
  counters_.cache_hits += n;
}

void RegistryStats::CountCacheMiss(uint64_t n) {
  std::lock_guard lock(mu_);
  counters_.cache_misses += n;
}

RegistryStats::Snapshot RegistryStats::Read() const {
  std::lock_guard lock(mu_);
  return counters_;
}

void RegistryStats::ExportTo(Metrics& out) const {
  Snapshot s = Read();
  out.Describe("tagflow_registry_requests_total", Metrics::Type::kCounter,
               "Registry HTTP requests by host, kind and status.");
  out.Describe("tagflow_registry_cache_hits_total", Metrics::Type::kCounter,
               "Image metadata served from the cache.");
  out.Describe("tagflow_registry_cache_misses_total", Metrics::Type::kCounter,
               "Image metadata fetched from a registry.");
  for (const auto& [key, count] : s.requests) {
    const auto& [host, kind, status] = key;
    out.Set("tagflow_registry_requests_total",
            {{"host", host},
             {"kind", std::string(RequestKindName(kind))},
             {"status", status == 0 ? std::string("error") : std::to_string(status)}},
            static_cast<double>(count));
  }
  out.Set("tagflow_registry_cache_hits_total", {}, static_cast<double>(s.cache_hits));
  out.Set("tagflow_registry_cache_misses_total", {}, static_cast<double>(s.cache_misses));
}

}  // namespace tagflow::registry
