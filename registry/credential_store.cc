#include "registry/credential_store.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tagflow::registry {

CredentialStore::CredentialStore(DockerConfigs configs, CredentialHelperRunner& runner,
                                 Clock& clock, std::chrono::milliseconds ttl)
    : configs_(std::move(configs)), runner_(runner), clock_(clock), ttl_(ttl) {}

std::shared_ptr<CredentialStore::Entry> CredentialStore::EntryFor(const std::string& host) {
  std::lock_guard lock(mu_);
  auto& entry = entries_[host];
  if (!entry) entry = std::make_shared<Entry>();
  return entry;
}

Result<std::optional<Credentials>> CredentialStore::For(std::string_view host) {
  std::string normal = NormalizeRegistryHost(host);
  CredentialSource source = configs_.SourceFor(normal);
  if (source.kind == CredentialSource::Kind::kNone) return std::optional<Credentials>();
  if (source.kind == CredentialSource::Kind::kStatic) {
    return std::optional<Credentials>(source.credentials);
  }
  std::shared_ptr<Entry> entry = EntryFor(normal);
  std::lock_guard lock(entry->mu);
  if (entry->value && clock_.Now() < entry->expires) return *entry->value;
  {
    std::lock_guard count(mu_);
    ++runs_;
  }
  auto answer = runner_.Get(source.helper, HelperServerUrl(normal));
  if (!answer) {
    std::string why = fmt::format("registry {}: {} ({} \"{}\" in docker config {})", normal,
                                  answer.error().message, source.key, source.helper, source.file);
    answer = Fail(Error{answer.error().kind, why});
    entry->expires = clock_.Now() + std::min<std::chrono::milliseconds>(ttl_, kFailureRetry);
    spdlog::warn("{}", why);
  } else {
    if (!*answer && source.fallback) *answer = source.fallback;
    entry->expires = clock_.Now() + ttl_;
  }
  entry->value = answer;
  return answer;
}

bool CredentialStore::Invalidate(std::string_view host, const std::optional<Credentials>& refused) {
  std::string normal = NormalizeRegistryHost(host);
  if (configs_.SourceFor(normal).kind != CredentialSource::Kind::kHelper) return false;
  std::shared_ptr<Entry> entry = EntryFor(normal);
  std::lock_guard lock(entry->mu);
  auto same = [&](const std::optional<Credentials>& cached) {
    if (!cached || !refused) return !cached && !refused;
    return cached->username == refused->username && cached->password == refused->password;
  };
  if (entry->value && (!*entry->value || same(**entry->value))) entry->value.reset();
  return true;
}

uint64_t CredentialStore::helper_runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

}  // namespace tagflow::registry
