#include "registry/scanner.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>
#include <unordered_map>

#include "base/glob.h"
#include "image/natural_order.h"

namespace tagflow::registry {
namespace {

// Image globs as written in --registry-include-image/--registry-exclude-image,
// with Docker Hub's other spellings (Flux v1's canonical `index.docker.io/`)
// turned into the canonical `docker.io/` the names are matched in.
std::vector<std::string> ImageGlobs(const std::vector<std::string>& patterns) {
  std::vector<std::string> out;
  for (std::string p : patterns) {
    for (std::string_view alias :
         {"index.docker.io/", "registry-1.docker.io/", "registry.hub.docker.com/"}) {
      if (p.starts_with(alias)) p = "docker.io/" + p.substr(alias.size());
    }
    out.push_back(std::move(p));
  }
  return out;
}

bool AnyMatches(const std::vector<std::string>& globs, std::string_view name) {
  return std::any_of(globs.begin(), globs.end(),
                     [&](const std::string& g) { return GlobMatch(g, name); });
}

// Errors that say "try the whole repository again later" rather than "this
// one tag is bad".
bool FailsRepository(const Error& e) {
  return e.kind == ErrorKind::kTransient || e.kind == ErrorKind::kUnauthorized;
}

}  // namespace

// Records fetched during one repository scan, written to the cache at its end.
class Scanner::Pending {
 public:
  const ImageRecord* Find(const std::string& digest) const {
    auto it = index_.find(digest);
    return it == index_.end() ? nullptr : &records_[it->second];
  }
  void Add(ImageRecord r) {
    index_[r.digest] = records_.size();
    records_.push_back(std::move(r));
  }
  const std::vector<ImageRecord>& records() const { return records_; }
  // Metadata requests made for this repository (the budget's unit).
  int fetches = 0;

 private:
  std::vector<ImageRecord> records_;
  std::unordered_map<std::string, size_t> index_;
};

Scanner::Scanner(Client& client, MetadataCache* cache, RegistryStats& metrics, Clock& clock,
                 ScanOptions options)
    : client_(client),
      cache_(cache),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      include_(ImageGlobs(options_.include_images)),
      exclude_(ImageGlobs(options_.exclude_images)) {}

bool Scanner::Excluded(const image::ImageRef& image) const {
  std::string name = image.CanonicalName();
  if (!include_.empty() && !AnyMatches(include_, name)) return true;
  return AnyMatches(exclude_, name);
}

Result<ImageRecord> Scanner::Record(const image::ImageRef& image, const std::string& digest,
                                    std::optional<FetchedManifest> prefetched, Pending& pending) {
  if (const ImageRecord* r = pending.Find(digest)) {
    metrics_.CountCacheHit();
    return *r;
  }
  if (cache_ != nullptr) {
    if (auto r = cache_->GetImage(digest)) {
      metrics_.CountCacheHit();
      return *r;
    }
  }
  metrics_.CountCacheMiss();
  if (!prefetched) {
    ++pending.fetches;
    auto fetched = client_.GetManifest(image, digest);
    if (!fetched) return Fail(fetched.error());
    prefetched = std::move(*fetched);
  }
  ImageRecord record;
  record.digest = digest;
  record.media_type = prefetched->manifest.media_type;
  if (!prefetched->problem.empty()) {
    record.problem = prefetched->problem;
  } else if (prefetched->manifest.is_index) {
    record.platforms = prefetched->manifest.entries;
  } else {
    ++pending.fetches;
    auto config = client_.GetImageConfig(image, prefetched->manifest.config_digest);
    if (!config && config.error().kind != ErrorKind::kInvalidInput) return Fail(config.error());
    if (config) {
      record.config = std::move(*config);
    } else {
      record.problem = config.error().message;
    }
  }
  pending.Add(record);
  return record;
}

Result<void> Scanner::Resolve(const image::ImageRef& image, TagMetadata& tag, Pending& pending) {
  std::optional<FetchedManifest> prefetched;
  if (tag.digest.empty()) {
    ++pending.fetches;
    auto fetched = client_.GetManifest(image, tag.tag);
    if (!fetched) return Fail(fetched.error());
    tag.digest = fetched->digest;
    prefetched = std::move(*fetched);
  }
  auto record = Record(image, tag.digest, std::move(prefetched), pending);
  if (!record) return Fail(record.error());
  if (IsIndexType(record->media_type) && record->problem.empty()) {
    Manifest index;
    index.entries = record->platforms;
    const IndexEntry* entry = SelectPlatform(index, options_.platform);
    if (entry == nullptr) {
      tag.problem = fmt::format("the image index has no {} image", options_.platform.String());
      return {};
    }
    record = Record(image, entry->digest, std::nullopt, pending);
    if (!record) return Fail(record.error());
    if (IsIndexType(record->media_type) && record->problem.empty()) {
      tag.problem = "nested image index";
      return {};
    }
  }
  if (!record->problem.empty()) {
    tag.problem = record->problem;
    return {};
  }
  tag.created = CreationTime(record->config);
  if (!tag.created) {
    tag.problem =
        "no creation time: the config has no created and no org.opencontainers.image.created "
        "or org.label-schema.build-date label";
  }
  return {};
}

Result<std::vector<TagMetadata>> Scanner::ScanRepository(const ScanTarget& target) {
  const image::ImageRef& image = target.image;
  std::string name = image.CanonicalName();
  // A shared cache (--cache-url) may hold a listing another daemon just
  // made: then it stands for the tag list request (registry/metadata_cache.h).
  std::optional<RepositoryRecord> shared;
  if (cache_ != nullptr) shared = cache_->SharedListing(name);
  Result<std::vector<std::string>> listed = std::vector<std::string>{};
  if (shared) {
    for (const CachedTag& t : shared->tags) listed->push_back(t.tag);
  } else {
    listed = client_.ListTags(image);
  }
  if (!listed) {
    if (cache_ != nullptr) cache_->AbandonListing(name);
    return Fail(listed.error());
  }

  std::unordered_map<std::string, std::string> known;
  if (cache_ != nullptr) {
    if (auto previous = shared ? std::move(shared) : cache_->GetRepository(name)) {
      for (auto& t : previous->tags) known[t.tag] = std::move(t.digest);
    }
  }
  std::set<std::string, std::less<>> wanted(target.wanted.begin(), target.wanted.end());
  auto needed = [&](const std::string& tag) {
    if (wanted.contains(tag)) return true;
    return std::any_of(
        target.filters.begin(), target.filters.end(),
        [&](const image::TagFilter& f) { return f.NeedsCreationTime() && f.Matches(tag); });
  };

  Pending pending;
  std::vector<TagMetadata> tags;
  tags.reserve(listed->size());
  std::vector<size_t> order;  // the needed tags, in the order they are resolved
  for (const auto& tag_name : *listed) {
    TagMetadata tag;
    tag.tag = tag_name;
    if (auto it = known.find(tag_name); it != known.end()) tag.digest = it->second;
    if (needed(tag_name)) {
      order.push_back(tags.size());
    } else if (!tag.digest.empty() && cache_ != nullptr) {
      // Free knowledge: what the cache holds about a tag nobody needs now.
      if (auto r = cache_->GetImage(tag.digest); r && !IsIndexType(r->media_type)) {
        tag.created = CreationTime(r->config);
      }
    }
    tags.push_back(std::move(tag));
  }
  // Known digests first (usually cache hits), then newest-looking first.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    bool known_a = !tags[a].digest.empty(), known_b = !tags[b].digest.empty();
    if (known_a != known_b) return known_a;
    return image::NaturalCompare(tags[a].tag, tags[b].tag) > 0;
  });
  std::optional<Error> failure;
  size_t deferred = 0;
  for (size_t i : order) {
    TagMetadata& tag = tags[i];
    if (failure) break;
    if (BudgetSpent(pending)) {
      tag.deferred = true;
      tag.problem = "metadata not fetched yet (per-cycle budget spent; continues next cycle)";
      ++deferred;
      continue;
    }
    bool was_known = !tag.digest.empty();
    auto ok = Resolve(image, tag, pending);
    if (!ok && FailsRepository(ok.error())) {
      failure = ok.error();
    } else if (!ok) {
      tag.problem = ok.error().message;
    }
    if (!tag.problem.empty() && !was_known) {
      spdlog::warn("registry tag has no known creation time image={}:{} reason=\"{}\"", name,
                   tag.tag, tag.problem);
    }
  }
  std::set<std::string, std::less<>> listed_tags(listed->begin(), listed->end());
  for (const GatedPolicy& gate : target.gated) {
    if (failure) break;
    if (auto ok = WalkGate(image, gate, listed_tags, tags, pending); !ok) failure = ok.error();
  }
  deferred =
      std::count_if(tags.begin(), tags.end(), [](const TagMetadata& t) { return t.deferred; });
  if (deferred > 0) {
    spdlog::info(
        "registry metadata budget spent repository={} fetched={} deferred_tags={}: the scan "
        "continues next cycle",
        name, pending.fetches, deferred);
  }

  if (cache_ != nullptr) {
    RepositoryRecord record;
    record.listed_at = clock_.Now();
    for (const auto& t : tags) record.tags.push_back({t.tag, t.digest});
    auto stored = cache_->PutImages(pending.records());
    if (stored) stored = cache_->PutRepository(name, record);
    if (!stored)
      spdlog::warn("registry cache write failed repository={} error=\"{}\"", name,
                   stored.error().message);
  }
  if (failure) return Fail(*failure);
  return tags;
}

bool Scanner::BudgetSpent(const Pending& pending) const {
  return options_.metadata_budget > 0 && pending.fetches >= options_.metadata_budget;
}

Result<void> Scanner::WalkGate(const image::ImageRef& image, const GatedPolicy& gate,
                               const std::set<std::string, std::less<>>& listed,
                               std::vector<TagMetadata>& tags, Pending& pending) {
  std::unordered_map<std::string_view, size_t> index;
  std::vector<image::TagInfo> infos;
  for (size_t i = 0; i < tags.size(); ++i) {
    index[tags[i].tag] = i;
    if (image::IsValidTag(tags[i].tag)) infos.push_back(tags[i].Info());
  }
  image::TagInfo current{gate.current, std::nullopt};
  if (auto it = index.find(gate.current); it != index.end()) current = tags[it->second].Info();
  enum class Verdict { kPass, kFail, kStop };
  // Checks `tag` against the gates, fetching what is missing.
  auto check = [&](TagMetadata& tag) -> Result<Verdict> {
    if (tag.deferred) return Verdict::kStop;  // not known yet: nothing below may be decided
    if (gate.min_age) {
      if (!tag.created && tag.problem.empty()) {
        if (BudgetSpent(pending)) {
          tag.deferred = true;
          tag.problem = "metadata not fetched yet (per-cycle budget spent; continues next cycle)";
          return Verdict::kStop;
        }
        auto ok = Resolve(image, tag, pending);
        if (!ok && FailsRepository(ok.error())) return Fail(ok.error());
        if (!ok) tag.problem = ok.error().message;
      }
      if (!tag.created) return Verdict::kFail;  // its age cannot be known: never a candidate
      if (clock_.Now() - *tag.created < *gate.min_age) return Verdict::kFail;
    }
    if (gate.verify_cosign) {
      if (tag.signature == SignatureState::kUnchecked) {
        if (BudgetSpent(pending)) {
          tag.deferred = true;
          tag.problem = "signature not checked yet (per-cycle budget spent; continues next cycle)";
          return Verdict::kStop;
        }
        auto ok = CheckSignature(image, listed, tag, pending);
        if (!ok && FailsRepository(ok.error())) return Fail(ok.error());
        if (!ok) {
          tag.signature = SignatureState::kInvalid;
          tag.signature_problem = ok.error().message;
        }
      }
      if (tag.signature != SignatureState::kValid) return Verdict::kFail;
    }
    return Verdict::kPass;
  };
  for (const image::TagInfo& candidate : gate.filter.Select(infos)) {
    // Never older than the current tag: what is deployed needs no gate.
    if (candidate.tag == gate.current || !gate.filter.Newer(candidate, current)) break;
    Result<Verdict> verdict = check(tags[index.at(candidate.tag)]);
    if (!verdict) return Fail(verdict.error());
    if (*verdict != Verdict::kFail) return {};  // the newest that passes, or undecided
  }
  // Nothing newer passed: a tracked current tag may have a new digest to judge.
  if (auto it = index.find(gate.current); gate.track_digest && it != index.end()) {
    Result<Verdict> verdict = check(tags[it->second]);
    if (!verdict) return Fail(verdict.error());
  }
  return {};
}

Result<void> Scanner::CheckSignature(const image::ImageRef& image,
                                     const std::set<std::string, std::less<>>& listed,
                                     TagMetadata& tag, Pending& pending) {
  if (tag.digest.empty()) {
    ++pending.fetches;
    auto digest = client_.HeadManifest(image, tag.tag);
    if (!digest) return Fail(digest.error());
    tag.digest = *digest;
  }
  std::string key = fmt::format("{}@{}", image.CanonicalName(), tag.digest);
  {
    std::lock_guard lock(verified_mu_);
    if (verified_.contains(key)) {
      tag.signature = SignatureState::kValid;
      return {};
    }
  }
  auto reject = [&](std::string why) {
    tag.signature = SignatureState::kInvalid;
    tag.signature_problem = std::move(why);
    return Result<void>{};
  };
  if (!options_.cosign_keys || options_.cosign_keys->empty()) {
    return reject("no --cosign-key is configured to verify with");
  }
  Result<std::string> sig_tag = CosignSignatureTag(tag.digest);
  if (!sig_tag) return reject(sig_tag.error().message);
  if (!listed.contains(*sig_tag)) {
    return reject(fmt::format("not signed (no {} tag in the repository)", *sig_tag));
  }
  ++pending.fetches;
  auto manifest = client_.GetManifest(image, *sig_tag);
  if (!manifest) return Fail(manifest.error());
  std::string rejected_key = key + "@" + manifest->digest;
  {
    std::lock_guard lock(verified_mu_);
    if (auto it = rejected_.find(rejected_key); it != rejected_.end()) return reject(it->second);
  }
  Result<void> ok = VerifyCosignManifest(*options_.cosign_keys, manifest->body, tag.digest,
                                         [&](const std::string& digest, size_t max_bytes) {
                                           ++pending.fetches;
                                           return client_.GetBlob(image, digest, max_bytes);
                                         });
  if (!ok && FailsRepository(ok.error())) return ok;
  std::lock_guard lock(verified_mu_);
  if (ok) {
    verified_.insert(key);
    tag.signature = SignatureState::kValid;
    return {};
  }
  std::string why = fmt::format("bad signature ({}): {}", *sig_tag, ok.error().message);
  if (rejected_.size() >= 10'000) rejected_.clear();
  rejected_[rejected_key] = why;
  return reject(why);
}

Result<std::string> Scanner::CurrentDigest(const image::ImageRef& image, const std::string& tag) {
  auto digest = client_.HeadManifest(image, tag);
  if (!digest) return Fail(digest.error());
  if (cache_ == nullptr) return digest;
  std::string name = image.CanonicalName();
  auto record = cache_->GetRepository(name);
  if (!record) return digest;
  for (auto& t : record->tags) {
    if (t.tag != tag || t.digest == *digest) continue;
    spdlog::info("registry tag moved image={}:{} from={} to={}", name, tag,
                 t.digest.empty() ? "-" : t.digest, *digest);
    t.digest = *digest;
    if (auto stored = cache_->PutRepository(name, *record); !stored) {
      spdlog::warn("registry cache write failed repository={} error=\"{}\"", name,
                   stored.error().message);
    }
    break;
  }
  return digest;
}

std::map<std::string, RepositoryScan> Scanner::Scan(const std::vector<ScanTarget>& targets) {
  std::map<std::string, RepositoryScan> results;
  std::map<std::string, ScanTarget> merged;
  for (const auto& t : targets) {
    std::string name = t.image.CanonicalName();
    auto [it, fresh] = merged.try_emplace(name, t);
    if (!fresh) {
      it->second.filters.insert(it->second.filters.end(), t.filters.begin(), t.filters.end());
      it->second.wanted.insert(it->second.wanted.end(), t.wanted.begin(), t.wanted.end());
      it->second.gated.insert(it->second.gated.end(), t.gated.begin(), t.gated.end());
    }
  }
  std::vector<std::pair<const std::string*, const ScanTarget*>> work;
  for (const auto& [name, target] : merged) {
    RepositoryScan& scan = results[name];
    scan.image = target.image;
    if (Excluded(target.image)) {
      scan.excluded = true;
      scan.tags = Fail(ErrorKind::kInvalidInput,
                       fmt::format("{} is not scanned (--registry-include-image / "
                                   "--registry-exclude-image)",
                                   name));
    } else {
      work.emplace_back(&name, &target);
    }
  }

  std::mutex mu;
  std::map<std::string, Error> down_hosts;  // hosts found unreachable this cycle
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) {
      const auto& [name, target] = work[i];
      std::string host = target->image.ApiHost();
      Result<std::vector<TagMetadata>> result;
      {
        std::lock_guard lock(mu);
        if (auto it = down_hosts.find(host); it != down_hosts.end()) result = Fail(it->second);
      }
      if (result) {
        auto ping = client_.Ping(host);
        result = ping ? ScanRepository(*target) : Fail(ping.error());
        if (!result && result.error().kind == ErrorKind::kTransient) {
          // Is the host down, or was it this repository? One fresh ping tells.
          auto again = ping ? client_.Ping(host, /*again=*/true) : ping;
          if (!again) {
            std::lock_guard lock(mu);
            down_hosts.try_emplace(host, again.error());
          }
        }
      }
      if (!result) {
        spdlog::warn("registry scan failed repository={} error=\"{}\"", *name,
                     result.error().message);
      }
      std::lock_guard lock(mu);
      results[*name].tags = std::move(result);
    }
  };
  size_t threads = std::min<size_t>(std::max(1, options_.concurrency), work.size());
  std::vector<std::thread> pool;
  for (size_t i = 1; i < threads; ++i) pool.emplace_back(worker);
  if (threads > 0) worker();
  for (auto& t : pool) t.join();
  return results;
}

}  // namespace tagflow::registry
