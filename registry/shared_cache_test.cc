#include "registry/shared_cache.h"

#include <gtest/gtest.h>

#include <future>

#include "base/url.h"
#include "registry/cache.h"
#include "test/support/redis_server.h"

namespace tagflow::registry {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

const std::string kDigestA = "sha256:" + std::string(64, 'a');
const std::string kDigestB = "sha256:" + std::string(64, 'b');
const std::string kRepo = "registry.example/team/web";

ImageRecord Image(const std::string& digest) {
  ImageRecord r;
  r.digest = digest;
  r.media_type = std::string(kOciManifest);
  r.config.created = ParseTimestamp("2024-03-04T05:06:07.5Z");
  r.config.labels = {{"a", "b"}};
  return r;
}

RepositoryRecord Listing(std::vector<CachedTag> tags) {
  return RepositoryRecord{std::move(tags), TimePoint(std::chrono::seconds(1'700'000'000))};
}

// One daemon's view: its own embedded cache, a client, the layered cache.
struct Daemon {
  Daemon(const std::string& url, Clock& clock, SharedCacheOptions options = {}) {
    local = std::move(*Cache::OpenInMemory());
    RedisOptions o;
    o.target = *ParseRedisUrl(url);
    o.redacted_url = RedactUrl(url);
    redis = std::make_unique<RedisClient>(o, clock);
    shared = std::make_unique<SharedCache>(*local, *redis, clock, options);
  }
  std::unique_ptr<Cache> local;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<SharedCache> shared;
};

TEST(SharedCacheJsonTest, RecordsRoundTrip) {
  ImageRecord index;
  index.digest = kDigestB;
  index.media_type = std::string(kOciIndex);
  index.platforms = {{kDigestA, std::string(kOciManifest), {"linux", "arm", "v7"}}};
  for (const ImageRecord& r : {Image(kDigestA), index}) {
    auto back = ParseImageRecordJson(ImageRecordJson(r), r.digest);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->media_type, r.media_type);
    EXPECT_EQ(back->config.created, r.config.created);
    EXPECT_EQ(back->config.labels, r.config.labels);
    ASSERT_EQ(back->platforms.size(), r.platforms.size());
    if (!r.platforms.empty()) {
      EXPECT_EQ(back->platforms[0].platform, r.platforms[0].platform);
    }
  }
  auto listing =
      ParseRepositoryRecordJson(RepositoryRecordJson(Listing({{"v1", kDigestA}, {"v2", ""}})));
  ASSERT_TRUE(listing);
  ASSERT_EQ(listing->tags.size(), 2u);
  EXPECT_EQ(listing->tags[0].digest, kDigestA);
  EXPECT_EQ(listing->tags[1].tag, "v2");
}

TEST(SharedCacheJsonTest, AnythingElseIsAMiss) {
  for (const char* bad : {"", "null", "[]", "{", R"({"mediaType":1,"labels":{},"platforms":[]})",
                          R"({"mediaType":"x","labels":{"a":1},"platforms":[]})",
                          R"({"mediaType":"x","labels":{},"platforms":[{"digest":"sha256:zz"}]})",
                          R"({"mediaType":"x","labels":{},"platforms":[],"createdNs":"soon"})"}) {
    EXPECT_FALSE(ParseImageRecordJson(bad, kDigestA)) << bad;
  }
  for (const char* bad :
       {"{}", R"({"listedAtNs":1,"tags":{}})", R"({"listedAtNs":1,"tags":[["v1"]]})",
        R"({"listedAtNs":1,"tags":[["","x"]]})",
        R"({"listedAtNs":1,"tags":[["v1","not a digest"]]})"}) {
    EXPECT_FALSE(ParseRepositoryRecordJson(bad)) << bad;
  }
  std::string huge = R"({"listedAtNs":1,"tags":[[")" + std::string(200, 'x') + R"(",""]]})";
  EXPECT_FALSE(ParseRepositoryRecordJson(huge));
}

TEST(SharedCacheTest, ImagesAreSharedAndCopiedIntoTheLocalCache) {
  testing::RedisServer redis;
  SystemClock clock;
  Daemon a(redis.Url(), clock), b(redis.Url(), clock);
  ASSERT_TRUE(a.shared->PutImages({Image(kDigestA)}));
  EXPECT_FALSE(b.local->GetImage(kDigestA));
  auto got = b.shared->GetImage(kDigestA);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->config.created, Image(kDigestA).config.created);
  EXPECT_TRUE(b.local->GetImage(kDigestA));                           // next time without Redis
  EXPECT_EQ(redis.Cli("PTTL tagflow:v1:image:" + kDigestA), "-1\n");  // no TTL
}

TEST(SharedCacheTest, OneListsTheOthersWaitAndReadItsListing) {
  testing::RedisServer redis;
  SystemClock clock;
  SharedCacheOptions options;
  options.tags_ttl = milliseconds(60'000);
  Daemon a(redis.Url(), clock, options), b(redis.Url(), clock, options),
      c(redis.Url(), clock, options);
  EXPECT_FALSE(a.shared->SharedListing(kRepo));  // a lists
  auto waiting_b = std::async(std::launch::async, [&] { return b.shared->SharedListing(kRepo); });
  auto waiting_c = std::async(std::launch::async, [&] { return c.shared->SharedListing(kRepo); });
  EXPECT_EQ(waiting_b.wait_for(milliseconds(300)), std::future_status::timeout);
  ASSERT_TRUE(a.shared->PutRepository(kRepo, Listing({{"v1", kDigestA}, {"v2", ""}})));
  auto from_b = waiting_b.get();
  auto from_c = waiting_c.get();
  ASSERT_TRUE(from_b);
  ASSERT_TRUE(from_c);
  EXPECT_EQ(from_b->tags.size(), 2u);
  EXPECT_EQ(from_b->tags[0].digest, kDigestA);
  EXPECT_TRUE(redis.Keys("tagflow:v1:lock:*").empty());  // released
  long long ttl = std::stoll(redis.Cli("PTTL tagflow:v1:tags:" + kRepo));
  EXPECT_GT(ttl, 50'000);
  EXPECT_LE(ttl, 60'000);

  // A reader that learned one more digest shares it without extending the TTL.
  redis.Cli("PEXPIRE tagflow:v1:tags:" + kRepo + " 30000");
  ASSERT_TRUE(b.shared->PutRepository(kRepo, Listing({{"v1", kDigestA}, {"v2", kDigestB}})));
  auto merged = ParseRepositoryRecordJson(redis.Cli("--raw GET tagflow:v1:tags:" + kRepo));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->tags[1].digest, kDigestB);
  EXPECT_LE(std::stoll(redis.Cli("PTTL tagflow:v1:tags:" + kRepo)), 30'000);
  // A reader with nothing new writes nothing (the listing keeps its TTL).
  ASSERT_TRUE(c.shared->PutRepository(kRepo, Listing({{"v1", kDigestA}, {"v2", ""}})));
  merged = ParseRepositoryRecordJson(redis.Cli("--raw GET tagflow:v1:tags:" + kRepo));
  ASSERT_TRUE(merged);
  EXPECT_EQ(merged->tags[1].digest, kDigestB);
}

TEST(SharedCacheTest, ListingExpiresAfterTheTtl) {
  testing::RedisServer redis;
  SystemClock clock;
  SharedCacheOptions options;
  options.tags_ttl = milliseconds(300);
  Daemon a(redis.Url(), clock, options), b(redis.Url(), clock, options);
  EXPECT_FALSE(a.shared->SharedListing(kRepo));
  ASSERT_TRUE(a.shared->PutRepository(kRepo, Listing({{"v1", ""}})));
  EXPECT_TRUE(b.shared->SharedListing(kRepo));
  ASSERT_TRUE(b.shared->PutRepository(kRepo, Listing({{"v1", ""}})));
  std::this_thread::sleep_for(milliseconds(400));
  EXPECT_FALSE(b.shared->SharedListing(kRepo));  // stale: b lists now
}

TEST(SharedCacheTest, AbandonedListingLetsTheNextOneListAtOnce) {
  testing::RedisServer redis;
  SystemClock clock;
  Daemon a(redis.Url(), clock), b(redis.Url(), clock);
  EXPECT_FALSE(a.shared->SharedListing(kRepo));
  a.shared->AbandonListing(kRepo);
  auto t0 = Steady::now();
  EXPECT_FALSE(b.shared->SharedListing(kRepo));
  EXPECT_LT(Steady::now() - t0, milliseconds(200));
}

TEST(SharedCacheTest, FollowerOfADeadListerWaitsBoundedThenListsItself) {
  testing::RedisServer redis;
  FakeClock clock;  // SleepFor moves it: the wait is counted, not slept
  SharedCacheOptions options;
  options.wait = milliseconds(2000);
  Daemon b(redis.Url(), clock, options);
  redis.Cli("SET tagflow:v1:lock:" + kRepo + " someone-else PX 60000");
  EXPECT_FALSE(b.shared->SharedListing(kRepo));
  EXPECT_GE(clock.slept(), milliseconds(2000));
  EXPECT_LT(clock.slept(), milliseconds(2200));
}

TEST(SharedCacheTest, MalformedValuesInRedisAreMisses) {
  testing::RedisServer redis;
  SystemClock clock;
  Daemon a(redis.Url(), clock);
  redis.Cli("SET tagflow:v1:image:" + kDigestA + " '{\"mediaType\":[1,2]}'");
  EXPECT_FALSE(a.shared->GetImage(kDigestA));
  redis.Cli("SET tagflow:v1:tags:" + kRepo + " garbage");
  EXPECT_FALSE(a.shared->SharedListing(kRepo));  // treated as missing: a lists
  ASSERT_TRUE(a.shared->PutRepository(kRepo, Listing({{"v1", ""}})));
  EXPECT_TRUE(ParseRepositoryRecordJson(redis.Cli("--raw GET tagflow:v1:tags:" + kRepo)));
}

TEST(SharedCacheTest, RedisDownFallsBackToTheLocalCacheAtOnce) {
  testing::RedisServer redis;
  SystemClock clock;
  Daemon a(redis.Url(), clock);
  ASSERT_TRUE(a.shared->PutImages({Image(kDigestA)}));
  redis.Kill();
  auto t0 = Steady::now();
  EXPECT_FALSE(a.shared->SharedListing(kRepo));
  EXPECT_TRUE(a.shared->GetImage(kDigestA));  // the local copy
  EXPECT_FALSE(a.shared->GetImage(kDigestB));
  ASSERT_TRUE(a.shared->PutImages({Image(kDigestB)}));
  ASSERT_TRUE(a.shared->PutRepository(kRepo, Listing({{"v1", kDigestB}})));
  EXPECT_TRUE(a.local->GetRepository(kRepo));
  EXPECT_LT(Steady::now() - t0, milliseconds(500));
}

}  // namespace
}  // namespace tagflow::registry
