// The credentials of each registry host, from the --docker-config files:
// static `auths` entries as they are, credential helpers run when first
// needed and their answer cached per host until --registry-credential-ttl
// passes or the registry refuses it (Invalidate after a 401), so rotating
// credentials (a 12 h ECR token, a GCR access token) never go stale.
// Thread-safe; one host's helper never waits for another's.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "registry/credential_helper.h"
#include "registry/docker_config.h"

namespace tagflow::registry {

class CredentialStore {
 public:
  // A failing helper is asked again after this (or the TTL, if shorter), so
  // one cycle over many repositories of a host runs it once.
  static constexpr std::chrono::seconds kFailureRetry{30};

  // Borrows `runner` and `clock`. `ttl` > 0.
  CredentialStore(DockerConfigs configs, CredentialHelperRunner& runner, Clock& clock,
                  std::chrono::milliseconds ttl);

  // The credentials for registry `host` (a canonical domain: "docker.io",
  // "ghcr.io", "127.0.0.1:5000"); nullopt for anonymous access. Errors come
  // from the host's helper (not installed, failed, timed out) and name the
  // helper, the host and the config file, never a secret.
  [[nodiscard]] Result<std::optional<Credentials>> For(std::string_view host);

  // Forgets what `host`'s helper answered when it is still `refused` (the
  // credentials a registry just refused), so the next For() runs it again;
  // concurrent refusals of the same answer run the helper once. True when
  // the host's credentials come from a helper (asking again may help);
  // false for static or no credentials.
  bool Invalidate(std::string_view host, const std::optional<Credentials>& refused);

  // Helper runs so far.
  uint64_t helper_runs() const;

 private:
  struct Entry {
    std::mutex mu;                                            // held while the helper runs
    std::optional<Result<std::optional<Credentials>>> value;  // guarded by mu
    Clock::time_point expires;                                // guarded by mu
  };
  std::shared_ptr<Entry> EntryFor(const std::string& host);

  DockerConfigs configs_;
  CredentialHelperRunner& runner_;
  Clock& clock_;
  std::chrono::milliseconds ttl_;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>, std::less<>> entries_;  // guarded by mu_
  uint64_t runs_ = 0;                                                   // guarded by mu_
};

}  // namespace tagflow::registry
