#include "registry/service.h"

#include <spdlog/spdlog.h>

#include <set>

namespace tagflow::registry {

Result<std::unique_ptr<RegistryService>> RegistryService::Create(
    const RegistryOptions& options, Clock& clock, std::unique_ptr<HttpClient> transport) {
  if (auto ok = Validate(options); !ok) return Fail(ok.error());
  std::unique_ptr<RegistryService> s(new RegistryService());
  auto configs = DockerConfigs::Load(options.docker_configs);
  if (!configs) return Fail(configs.error().Wrap("--docker-config"));
  s->helpers_ = std::make_unique<ExecCredentialHelper>(ExecCredentialHelper::Options{
      .timeout = options.credential_helper_timeout, .search_path = options.credential_helper_path});
  s->credentials_ = std::make_unique<CredentialStore>(std::move(*configs), *s->helpers_, clock,
                                                      options.credential_ttl);
  auto cosign_keys = std::make_shared<CosignKeys>();
  if (!options.cosign_keys.empty()) {
    auto keys = CosignKeys::LoadFiles(options.cosign_keys);
    if (!keys) return Fail(keys.error());
    *cosign_keys = std::move(*keys);
  }
  std::set<std::string> insecure(options.insecure_hosts.begin(), options.insecure_hosts.end());
  if (transport) {
    s->transport_ = std::move(transport);
  } else {
    CurlHttpClient::Options http;
    http.insecure_hosts = insecure;
    s->transport_ = std::make_unique<CurlHttpClient>(http);
  }
  RateLimitOptions limits;
  limits.rps = options.rps;
  limits.burst = options.burst;
  s->limiter_ = std::make_unique<HostRateLimiter>(clock, limits);
  s->http_ =
      std::make_unique<ThrottledHttpClient>(*s->transport_, *s->limiter_, s->metrics_, clock);
  s->auth_ = std::make_unique<Authenticator>(*s->http_, clock, options.timeout);
  ClientOptions client;
  client.insecure_hosts = insecure;
  client.timeout = options.timeout;
  s->client_ = std::make_unique<Client>(*s->http_, *s->auth_, *s->credentials_, client);
  auto cache = options.cache_dir.empty() ? Cache::OpenInMemory() : Cache::Open(options.cache_dir);
  if (!cache) {
    spdlog::warn("--cache-dir {} is unusable ({}); keeping image metadata in memory only",
                 options.cache_dir, cache.error().message);
    cache = Cache::OpenInMemory();
    if (!cache) return Fail(cache.error());
  }
  s->cache_ = std::move(*cache);
  MetadataCache* metadata = s->cache_.get();
  if (!options.cache_url.empty()) {
    auto shared = OpenSharedCache(options, clock, *s->cache_);
    if (!shared) return Fail(shared.error());
    std::tie(s->redis_, s->shared_) = std::move(*shared);
    metadata = s->shared_.get();
  }
  ScanOptions scan;
  scan.platform = *Platform::Parse(options.platform);
  scan.concurrency = options.concurrency;
  scan.metadata_budget = options.metadata_budget;
  scan.include_images = options.include_images;
  scan.exclude_images = options.exclude_images;
  scan.cosign_keys = std::move(cosign_keys);
  s->scanner_ = std::make_unique<Scanner>(*s->client_, metadata, s->metrics_, clock, scan);
  return s;
}

}  // namespace tagflow::registry
