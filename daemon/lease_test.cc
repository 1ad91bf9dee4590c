#include "daemon/lease.h"

#include <gtest/gtest.h>

#include "base/url.h"
#include "test/support/redis_server.h"

namespace tagflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::unique_ptr<registry::RedisClient> Client(const std::string& url, Clock& clock) {
  registry::RedisOptions o;
  o.target = *registry::ParseRedisUrl(url);
  o.redacted_url = RedactUrl(url);
  o.min_backoff = milliseconds(100);
  return std::make_unique<registry::RedisClient>(o, clock);
}

constexpr char kName[] = "file:///repos/manifests.git#main";

TEST(WriterLeaseTest, FirstTakesItSecondStandsByAndTakesOverAfterExpiry) {
  testing::RedisServer redis;
  FakeClock clock;
  auto ca = Client(redis.Url(), clock), cb = Client(redis.Url(), clock);
  int acquired_a = 0, acquired_b = 0;
  LeaseOptions o;
  o.ttl = milliseconds(1000);
  RedisWriterLease a(*ca, clock, kName, o, [&] { ++acquired_a; });
  RedisWriterLease b(*cb, clock, kName, o, [&] { ++acquired_b; });
  EXPECT_EQ(a.state(), LeaseState::kUnknown);
  a.Step();
  b.Step();
  EXPECT_EQ(a.state(), LeaseState::kHolder);
  EXPECT_EQ(b.state(), LeaseState::kStandby);
  EXPECT_EQ(redis.Cli(std::string("--raw GET tagflow:v1:lease:") + kName), a.owner() + "\n");
  // Renewals keep it; b keeps standing by.
  a.Step();
  b.Step();
  EXPECT_EQ(b.state(), LeaseState::kStandby);
  EXPECT_EQ(acquired_a, 1);
  // a dies (no more renewals): after the ttl, b takes over.
  std::this_thread::sleep_for(milliseconds(1100));  // Redis' own clock expires the key
  clock.Advance(milliseconds(1100));
  EXPECT_NE(a.state(), LeaseState::kHolder);  // a no longer believes it may push
  b.Step();
  EXPECT_EQ(b.state(), LeaseState::kHolder);
  EXPECT_EQ(acquired_b, 1);
  // a comes back: it learns it lost the lease.
  a.Step();
  EXPECT_EQ(a.state(), LeaseState::kStandby);
  Metrics m;
  a.ExportTo(m);
  EXPECT_EQ(m.Value("tagflow_writer_lease", {{"state", "standby"}}), 1);
  EXPECT_EQ(m.Value("tagflow_writer_lease", {{"state", "holder"}}), 0);
  EXPECT_EQ(m.Value("tagflow_writer_lease_lost_total"), 1);
}

TEST(WriterLeaseTest, CleanStopReleasesTheLeaseForTheStandby) {
  testing::RedisServer redis;
  FakeClock clock;
  auto ca = Client(redis.Url(), clock), cb = Client(redis.Url(), clock);
  RedisWriterLease a(*ca, clock, kName, LeaseOptions{});
  RedisWriterLease b(*cb, clock, kName, LeaseOptions{});
  a.Step();
  b.Step();
  ASSERT_EQ(b.state(), LeaseState::kStandby);
  a.Stop();
  EXPECT_TRUE(redis.Keys("tagflow:v1:lease:*").empty());
  b.Step();
  EXPECT_EQ(b.state(), LeaseState::kHolder);
}

TEST(WriterLeaseTest, RedisDownHolderKeepsItWhileValidStandbyNeverPushes) {
  testing::RedisServer redis;
  FakeClock clock;
  auto ca = Client(redis.Url(), clock), cb = Client(redis.Url(), clock);
  LeaseOptions o;  // ttl 15 s
  RedisWriterLease a(*ca, clock, kName, o);
  RedisWriterLease b(*cb, clock, kName, o);
  a.Step();
  b.Step();
  redis.Kill();
  clock.Advance(seconds(5));
  a.Step();
  b.Step();
  EXPECT_EQ(a.state(), LeaseState::kHolder);  // confirmed 5 s ago, valid for 15
  EXPECT_NE(b.state(), LeaseState::kHolder);
  clock.Advance(seconds(10));
  a.Step();
  EXPECT_EQ(a.state(), LeaseState::kUnknown);  // could have expired: stop pushing
  EXPECT_NE(a.Describe().find("unknown"), std::string::npos);
  // Redis back (empty): whoever asks first holds it again, the other stands by.
  redis.Restart();
  clock.Advance(seconds(60));  // past both clients' back-off
  a.Step();
  b.Step();
  EXPECT_EQ(a.state(), LeaseState::kHolder);
  EXPECT_EQ(b.state(), LeaseState::kStandby);
}

TEST(WriterLeaseTest, ThreadRenewsAndRunsTheCallbackOnce) {
  testing::RedisServer redis;
  SystemClock clock;
  auto ca = Client(redis.Url(), clock);
  std::atomic<int> acquired{0};
  LeaseOptions o;
  o.ttl = milliseconds(600);
  o.renew = milliseconds(100);
  RedisWriterLease a(*ca, clock, kName, o, [&] { ++acquired; });
  a.Start();
  std::this_thread::sleep_for(milliseconds(1500));  // several ttls: renewals kept it
  EXPECT_EQ(a.state(), LeaseState::kHolder);
  EXPECT_EQ(acquired.load(), 1);
  a.Stop();
  EXPECT_TRUE(redis.Keys("tagflow:v1:lease:*").empty());
}

}  // namespace
}  // namespace tagflow::daemon
