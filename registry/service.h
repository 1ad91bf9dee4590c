// The registry stack built from RegistryOptions and owned in one place:
// libcurl transport -> per-host rate limits and 429 back-off -> auth -> the
// API client -> the scanner over the persistent cache. The daemon keeps one
// for its life (so tokens, pings and counters persist across cycles); the CLI
// builds one per command.
#pragma once

#include <memory>

#include "base/clock.h"
#include "base/error.h"
#include "base/http.h"
#include "registry/auth.h"
#include "registry/cache.h"
#include "registry/client.h"
#include "registry/credential_helper.h"
#include "registry/credential_store.h"
#include "registry/docker_config.h"
#include "registry/options.h"
#include "registry/rate_limit.h"
#include "registry/redis.h"
#include "registry/scanner.h"
#include "registry/shared_cache.h"
#include "registry/stats.h"

namespace tagflow::registry {

class RegistryService {
 public:
  // Validates `options`, reads every --docker-config (a missing or malformed
  // file is an error naming it) and opens the cache (a corrupt one is rebuilt; an
  // unusable directory means an in-memory cache and a warning). The
  // transport is CurlHttpClient unless `transport` is given (tests). Borrows
  // `clock`.
  [[nodiscard]] static Result<std::unique_ptr<RegistryService>> Create(
      const RegistryOptions& options, Clock& clock,
      std::unique_ptr<HttpClient> transport = nullptr);

  Scanner& scanner() { return *scanner_; }
  Client& client() { return *client_; }
  RegistryStats& metrics() { return metrics_; }
  CredentialStore& credentials() { return *credentials_; }
  Cache* cache() { return cache_.get(); }  // never null: in memory when no --cache-dir
  HostRateLimiter& limiter() { return *limiter_; }
  // The shared cache's Redis (--cache-url); null without one.
  RedisClient* redis() { return redis_.get(); }

 private:
  RegistryService() = default;

  RegistryStats metrics_;
  std::unique_ptr<ExecCredentialHelper> helpers_;
  std::unique_ptr<CredentialStore> credentials_;
  std::unique_ptr<HttpClient> transport_;
  std::unique_ptr<HostRateLimiter> limiter_;
  std::unique_ptr<ThrottledHttpClient> http_;
  std::unique_ptr<Authenticator> auth_;
  std::unique_ptr<Client> client_;
  std::unique_ptr<Cache> cache_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<SharedCache> shared_;
  std::unique_ptr<Scanner> scanner_;
};

}  // namespace tagflow::registry
