#include "registry/shared_cache.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "base/json.h"
#include "base/url.h"

namespace tagflow::registry {
namespace {

constexpr std::string_view kPrefix = "tagflow:v1:";
constexpr size_t kMaxTags = 100'000;
constexpr size_t kMaxField = 256;
constexpr size_t kMaxLabelBytes = 1 << 20;
constexpr size_t kMaxPlatforms = 64;

// Releases a lock only when it still holds our token.
constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

std::string ImageKey(std::string_view digest) {
  return std::string(kPrefix) + "image:" + std::string(digest);
}
std::string TagsKey(std::string_view repository) {
  return std::string(kPrefix) + "tags:" + std::string(repository);
}
std::string LockKey(std::string_view repository) {
  return std::string(kPrefix) + "lock:" + std::string(repository);
}

int64_t ToNanos(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}
TimePoint FromNanos(int64_t ns) {
  return TimePoint(std::chrono::duration_cast<TimePoint::duration>(std::chrono::nanoseconds(ns)));
}

// A string member within bounds, or nullopt.
std::optional<std::string> Field(const nlohmann::json& j, const char* key, bool required = true) {
  auto it = j.find(key);
  if (it == j.end()) return required ? std::nullopt : std::optional<std::string>("");
  if (!it->is_string()) return std::nullopt;
  const auto& s = it->get_ref<const std::string&>();
  if (s.size() > kMaxField) return std::nullopt;
  return s;
}

// "" or "<algorithm>:<hex>" of a sane length.
bool DigestLike(std::string_view d) {
  if (d.empty()) return true;
  size_t colon = d.find(':');
  if (colon == std::string_view::npos || colon == 0 || d.size() - colon < 33) return false;
  for (char c : d.substr(colon + 1)) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

std::string Ms(std::chrono::milliseconds d) {
  return std::to_string(std::max<int64_t>(1, d.count()));
}

}  // namespace

std::string ImageRecordJson(const ImageRecord& r) {
  nlohmann::json j = {{"mediaType", r.media_type},
                      {"labels", r.config.labels},
                      {"problem", r.problem},
                      {"platforms", nlohmann::json::array()}};
  if (r.config.created) j["createdNs"] = ToNanos(*r.config.created);
  for (const IndexEntry& e : r.platforms) {
    j["platforms"].push_back({{"digest", e.digest},
                              {"mediaType", e.media_type},
                              {"os", e.platform.os},
                              {"architecture", e.platform.architecture},
                              {"variant", e.platform.variant}});
  }
  return j.dump();
}

std::optional<ImageRecord> ParseImageRecordJson(std::string_view text, std::string_view digest) {
  if (text.size() > kMaxLabelBytes + 64 * 1024) return std::nullopt;
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return std::nullopt;
  ImageRecord r;
  r.digest = std::string(digest);
  auto media_type = Field(*j, "mediaType");
  auto problem = Field(*j, "problem", false);
  if (!media_type || !problem) return std::nullopt;
  r.media_type = std::move(*media_type);
  r.problem = std::move(*problem);
  if (auto it = j->find("createdNs"); it != j->end()) {
    if (!it->is_number_integer()) return std::nullopt;
    r.config.created = FromNanos(it->get<int64_t>());
  }
  auto labels = j->find("labels");
  if (labels == j->end() || !labels->is_object()) return std::nullopt;
  for (const auto& [key, value] : labels->items()) {
    if (!value.is_string()) return std::nullopt;
    r.config.labels[key] = value.get<std::string>();
  }
  auto platforms = j->find("platforms");
  if (platforms == j->end() || !platforms->is_array() || platforms->size() > kMaxPlatforms)
    return std::nullopt;
  for (const auto& p : *platforms) {
    if (!p.is_object()) return std::nullopt;
    IndexEntry e;
    auto d = Field(p, "digest");
    auto mt = Field(p, "mediaType", false);
    auto os = Field(p, "os", false);
    auto arch = Field(p, "architecture", false);
    auto variant = Field(p, "variant", false);
    if (!d || !mt || !os || !arch || !variant || d->empty() || !DigestLike(*d)) return std::nullopt;
    e.digest = std::move(*d);
    e.media_type = std::move(*mt);
    e.platform = Platform{std::move(*os), std::move(*arch), std::move(*variant)};
    r.platforms.push_back(std::move(e));
  }
  return r;
}

std::string RepositoryRecordJson(const RepositoryRecord& record) {
  nlohmann::json tags = nlohmann::json::array();
  for (const CachedTag& t : record.tags) tags.push_back({t.tag, t.digest});
  return nlohmann::json{{"listedAtNs", ToNanos(record.listed_at)}, {"tags", std::move(tags)}}
      .dump();
}

std::optional<RepositoryRecord> ParseRepositoryRecordJson(std::string_view text) {
  if (text.size() > kMaxTags * (2 * kMaxField + 8)) return std::nullopt;
  auto j = ParseJson(text);
  if (!j || !j->is_object()) return std::nullopt;
  RepositoryRecord r;
  auto at = j->find("listedAtNs");
  auto tags = j->find("tags");
  if (at == j->end() || !at->is_number_integer() || tags == j->end() || !tags->is_array() ||
      tags->size() > kMaxTags) {
    return std::nullopt;
  }
  r.listed_at = FromNanos(at->get<int64_t>());
  r.tags.reserve(tags->size());
  for (const auto& t : *tags) {
    if (!t.is_array() || t.size() != 2 || !t[0].is_string() || !t[1].is_string()) {
      return std::nullopt;
    }
    const auto& tag = t[0].get_ref<const std::string&>();
    const auto& digest = t[1].get_ref<const std::string&>();
    if (tag.empty() || tag.size() > 128 || digest.size() > kMaxField || !DigestLike(digest)) {
      return std::nullopt;
    }
    r.tags.push_back({tag, digest});
  }
  return r;
}

SharedCache::SharedCache(MetadataCache& local, RedisClient& redis, Clock& clock,
                         SharedCacheOptions options)
    : local_(local), redis_(redis), clock_(clock), options_(options) {}

std::optional<ImageRecord> SharedCache::GetImage(const std::string& digest) {
  if (auto r = local_.GetImage(digest)) return r;
  if (!DigestLike(digest) || digest.empty()) return std::nullopt;
  auto reply = redis_.Command({"GET", ImageKey(digest)});
  if (!reply || reply->type != RedisReply::Type::kString) return std::nullopt;
  auto record = ParseImageRecordJson(reply->str, digest);
  if (!record) {
    spdlog::warn("shared cache: ignoring a malformed record digest={}", digest);
    return std::nullopt;
  }
  if (auto ok = local_.PutImages({*record}); !ok) {
    spdlog::debug("local cache write failed: {}", ok.error().message);
  }
  return record;
}

Result<void> SharedCache::PutImages(const std::vector<ImageRecord>& records) {
  Result<void> ok = local_.PutImages(records);
  for (const ImageRecord& r : records) {
    if (!redis_.up()) break;  // the client fails fast anyway; no need to loop
    (void)redis_.Command({"SET", ImageKey(r.digest), ImageRecordJson(r)});
  }
  return ok;
}

std::optional<RepositoryRecord> SharedCache::GetRepository(const std::string& repository) {
  return local_.GetRepository(repository);
}

Result<void> SharedCache::PutRepository(const std::string& repository,
                                        const RepositoryRecord& record) {
  Result<void> ok = local_.PutRepository(repository, record);
  bool leader = false;
  std::optional<size_t> served;
  {
    std::lock_guard lock(mu_);
    leader = locks_.contains(repository);
    if (auto it = served_.find(repository); it != served_.end()) {
      served = it->second;
      served_.erase(it);
    }
  }
  if (leader) {
    (void)redis_.Command(
        {"SET", TagsKey(repository), RepositoryRecordJson(record), "PX", Ms(options_.tags_ttl)});
    ReleaseLock(repository);
  } else if (served) {
    size_t known = 0;
    for (const CachedTag& t : record.tags) known += !t.digest.empty();
    if (known > *served) {
      // Digests this daemon resolved for tags the lister did not need: share
      // them without extending the listing's life.
      (void)redis_.Command(
          {"SET", TagsKey(repository), RepositoryRecordJson(record), "XX", "KEEPTTL"});
    }
  }
  return ok;
}

Result<void> SharedCache::ForgetTag(const std::string& repository, const std::string& tag) {
  Result<void> ok = local_.ForgetTag(repository, tag);
  (void)redis_.Command({"DEL", TagsKey(repository)});
  return ok;
}

std::optional<RepositoryRecord> SharedCache::SharedListing(const std::string& repository) {
  const std::string key = TagsKey(repository);
  const std::string token = RandomToken();
  auto deadline = clock_.Now() + options_.wait;
  // The listing in Redis, or nullopt (a malformed one is deleted).
  auto read = [&]() -> Result<std::optional<RepositoryRecord>> {
    auto got = redis_.Command({"GET", key});
    if (!got) return Fail(got.error());
    if (got->type != RedisReply::Type::kString) return std::nullopt;
    auto record = ParseRepositoryRecordJson(got->str);
    if (!record) {
      spdlog::warn("shared cache: ignoring a malformed listing repository={}", repository);
      (void)redis_.Command({"DEL", key});
    }
    return record;
  };
  auto serve = [&](RepositoryRecord record) {
    size_t known = 0;
    for (const CachedTag& t : record.tags) known += !t.digest.empty();
    std::lock_guard lock(mu_);
    served_[repository] = known;
    return record;
  };
  for (;;) {
    auto listing = read();
    if (!listing) return std::nullopt;  // down or slow: list yourself
    if (*listing) return serve(std::move(**listing));
    auto locked =
        redis_.Command({"SET", LockKey(repository), token, "NX", "PX", Ms(options_.lock_ttl)});
    if (!locked) return std::nullopt;
    if (locked->type == RedisReply::Type::kStatus) {  // "OK": we list, unless the
      {                                               // previous lister just finished
        std::lock_guard lock(mu_);
        locks_[repository] = token;
      }
      listing = read();
      if (listing && *listing) {
        ReleaseLock(repository);
        return serve(std::move(**listing));
      }
      return std::nullopt;
    }
    if (clock_.Now() >= deadline) return std::nullopt;  // the lister is slow: list too
    clock_.SleepFor(options_.poll);
  }
}

void SharedCache::AbandonListing(const std::string& repository) { ReleaseLock(repository); }

void SharedCache::ReleaseLock(const std::string& repository) {
  std::string token;
  {
    std::lock_guard lock(mu_);
    auto it = locks_.find(repository);
    if (it == locks_.end()) return;
    token = std::move(it->second);
    locks_.erase(it);
  }
  (void)redis_.Command({"EVAL", kReleaseScript, "1", LockKey(repository), token});
}

Result<SharedCacheParts> OpenSharedCache(const RegistryOptions& options, Clock& clock,
                                         MetadataCache& local) {
  auto target = ParseRedisUrl(options.cache_url);
  if (!target) return Fail(target.error());
  RedisOptions redis;
  redis.target = std::move(*target);
  if (!options.cache_password_file.empty()) {
    std::ifstream in(options.cache_password_file, std::ios::binary);
    std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Fail(ErrorKind::kInvalidInput, fmt::format("--cache-password-file {}: cannot read it",
                                                        options.cache_password_file));
    }
    while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
      password.pop_back();
    }
    if (password.empty() || password.size() > 4096) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--cache-password-file {}: empty or not a password",
                              options.cache_password_file));
    }
    redis.target.password = std::move(password);
  }
  redis.redacted_url = RedactUrl(options.cache_url);
  auto client = std::make_unique<RedisClient>(std::move(redis), clock);
  SharedCacheOptions shared;
  shared.tags_ttl = std::max(options.shared_tags_ttl, std::chrono::milliseconds(1000));
  auto cache = std::make_unique<SharedCache>(local, *client, clock, shared);
  return SharedCacheParts(std::move(client), std::move(cache));
}

}  // namespace tagflow::registry
