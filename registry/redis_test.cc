#include "registry/redis.h"

#include <gtest/gtest.h>

#include <chrono>

#include "base/url.h"
#include "test/support/redis_server.h"

namespace tagflow::registry {
namespace {

using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

RedisOptions Options(const std::string& url) {
  RedisOptions o;
  o.target = *ParseRedisUrl(url);
  o.redacted_url = RedactUrl(url);
  return o;
}

TEST(RedisUrlTest, ParsesHostPortDatabaseAndPassword) {
  auto t = ParseRedisUrl("redis://:s%40cret@cache.example:6380/3");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->host, "cache.example");
  EXPECT_EQ(t->port, 6380);
  EXPECT_EQ(t->db, 3);
  EXPECT_EQ(t->password, "s@cret");
  auto plain = ParseRedisUrl("redis://redis");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->port, 6379);
  EXPECT_EQ(plain->db, 0);
  auto user = ParseRedisUrl("redis://default:pw@[::1]:7000/");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->host, "::1");
  EXPECT_EQ(user->password, "pw");
}

TEST(RedisUrlTest, RejectsMalformedUrlsWithoutEchoingThePassword) {
  for (const char* bad : {"http://h:1", "redis://", "redis://:pw-visible@h:0", "redis://h:x",
                          "redis://h/16", "redis://h/db", "redis://:%zz@h"}) {
    auto t = ParseRedisUrl(bad);
    ASSERT_FALSE(t) << bad;
    EXPECT_EQ(t.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(t.error().message.find("--cache-url"), std::string::npos) << t.error().message;
    EXPECT_EQ(t.error().message.find("pw-visible"), std::string::npos);
  }
  EXPECT_EQ(RedactUrl("redis://:pw-visible@h:1/0").find("pw-visible"), std::string::npos);
}

TEST(RedisClientTest, RunsCommandsWithPasswordAndDatabase) {
  testing::RedisServer server({.password = "test-redis-pw"});
  SystemClock clock;
  RedisClient client(
      Options("redis://:test-redis-pw@127.0.0.1:" + std::to_string(server.port()) + "/2"), clock);
  auto set = client.Command({"SET", "k", "v"});
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  auto get = client.Command({"GET", "k"});
  ASSERT_TRUE(get);
  EXPECT_EQ(get->str, "v");
  EXPECT_TRUE(client.Command({"GET", "missing"})->nil());
  EXPECT_EQ(server.Cli("-n 2 GET k"), "v\n");  // database 2 was selected
  auto error = client.Command({"INCR", "k"});
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, ErrorKind::kInvalidInput);
  EXPECT_TRUE(client.up());
}

TEST(RedisClientTest, WrongPasswordIsAFailureThatBacksOff) {
  testing::RedisServer server({.password = "right-pw"});
  FakeClock clock;
  RedisClient client(Options("redis://:wrong-pw@127.0.0.1:" + std::to_string(server.port())),
                     clock);
  auto r = client.Command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(r.error().message.find("wrong-pw"), std::string::npos);
  EXPECT_FALSE(client.up());
}

TEST(RedisClientTest, DownServerFailsFastAndReconnectsAfterBackOff) {
  testing::RedisServer server;
  FakeClock clock;
  RedisClient client(Options(server.Url()), clock);
  ASSERT_TRUE(client.Command({"SET", "a", "1"}));
  server.Kill();
  EXPECT_FALSE(client.Command({"GET", "a"}));
  EXPECT_FALSE(client.up());
  // In back-off: no network at all, so it is instant.
  auto t0 = Steady::now();
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(client.Command({"GET", "a"}));
  EXPECT_LT(Steady::now() - t0, milliseconds(50));
  server.Restart();
  EXPECT_FALSE(client.Command({"GET", "a"}));  // still in back-off
  clock.Advance(std::chrono::seconds(2));
  auto again = client.Command({"SET", "a", "2"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(client.up());
  Metrics m;
  client.ExportTo(m);
  EXPECT_EQ(m.Value("tagflow_cache_redis_up"), 1);
  EXPECT_GE(m.Value("tagflow_cache_redis_errors_total"), 1);
  EXPECT_EQ(m.Value("tagflow_cache_redis_skipped_total"), 101);
  EXPECT_EQ(m.Value("tagflow_cache_redis_reconnects_total"), 1);
}

TEST(RedisClientTest, SilentServerCostsOneTimeoutThenFailsFast) {
  testing::SilentListener silent;
  FakeClock clock;
  RedisClient client(Options("redis://127.0.0.1:" + std::to_string(silent.port())), clock);
  auto t0 = Steady::now();
  EXPECT_FALSE(client.Command({"GET", "a"}));
  auto first = Steady::now() - t0;
  EXPECT_GE(first, milliseconds(150));
  EXPECT_LT(first, milliseconds(1000));
  t0 = Steady::now();
  for (int i = 0; i < 20; ++i) EXPECT_FALSE(client.Command({"GET", "a"}));
  EXPECT_LT(Steady::now() - t0, milliseconds(50));
}

TEST(RedisClientTest, UnreachableServerIsATransientFailure) {
  FakeClock clock;
  RedisClient client(Options("redis://127.0.0.1:" + std::to_string(testing::FreePort())), clock);
  auto r = client.Command({"PING"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
}

}  // namespace
}  // namespace tagflow::registry
