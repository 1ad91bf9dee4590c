// Every registry-related flag of `tagflow daemon` and `tagflow list-images`
// as one value the CLI fills (DESIGN.md §5, §6). Defaults are the flags'
// defaults.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "base/error.h"

namespace tagflow::registry {

struct RegistryOptions {
  double rps = 200;  // --registry-rps: requests per second per host (0 = no limit); Flux v1's
  int burst = 125;   // --registry-burst: requests a host may get at once; Flux v1's
  std::vector<std::string> insecure_hosts;  // --registry-insecure-host (repeatable)
  std::vector<std::string> include_images;  // --registry-include-image globs ([] = all)
  std::vector<std::string> exclude_images;  // --registry-exclude-image globs
  // --docker-config (repeatable): config.json files, one per pull secret; the
  // first naming a host wins.
  std::vector<std::string> docker_configs;
  // --registry-credential-ttl: credential helper answers are asked again after this.
  std::chrono::milliseconds credential_ttl{std::chrono::minutes(10)};
  // Not flags: the helper's deadline, and where docker-credential-* are looked
  // for ("" = $PATH; tests point it at their stand-ins).
  std::chrono::milliseconds credential_helper_timeout{10'000};
  std::string credential_helper_path;
  std::string cache_dir;                 // --cache-dir ("" = in memory only); see DefaultCacheDir()
  std::string platform = "linux/amd64";  // --registry-platform os/arch[/variant]
  std::chrono::milliseconds timeout{30'000};  // --registry-timeout, per request
  int concurrency = 4;                        // --registry-concurrency: repositories at once
  int metadata_budget = 300;             // metadata fetches per repository per scan (0: no limit)
  std::vector<std::string> cosign_keys;  // --cosign-key PEM files (tagflow.io/verify: cosign)
  // --cache-url redis://[:password@]host:port/db: the shared cache and the
  // writer lease ("" = the embedded cache only); registry/shared_cache.h.
  std::string cache_url;
  std::string cache_password_file;  // --cache-password-file (wins over the URL's password)
  std::chrono::milliseconds shared_tags_ttl{150'000};  // half of --automation-interval
};

// $XDG_CACHE_HOME/tagflow, else $HOME/.cache/tagflow, else "" (in memory).
std::string DefaultCacheDir();

// Checks ranges and the platform; kInvalidInput naming the flag and value.
[[nodiscard]] Result<void> Validate(const RegistryOptions& options);

}  // namespace tagflow::registry
