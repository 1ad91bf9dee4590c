#include "registry/rate_limit.h"

#include <gtest/gtest.h>

#include "base/fake_http.h"

namespace tagflow::registry {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(HostRateLimiterTest, BurstThenSustainedRatePerHost) {
  FakeClock clock;
  HostRateLimiter limiter(clock, {.rps = 10, .burst = 5});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(limiter.Acquire("a.io"));
  EXPECT_EQ(clock.slept(), Clock::duration::zero());
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(limiter.Acquire("a.io"));
  // Ten more at 10/s after the burst: about one second of waiting.
  EXPECT_NEAR(std::chrono::duration<double>(clock.slept()).count(), 1.0, 0.01);
  auto before = clock.slept();
  ASSERT_TRUE(limiter.Acquire("b.io"));  // another host has its own bucket
  EXPECT_EQ(clock.slept(), before);
}

TEST(HostRateLimiterTest, CancelFailsAcquireAtOnce) {
  FakeClock clock;
  std::atomic<bool> cancel{false};
  HostRateLimiter limiter(clock, {.rps = 1, .burst = 1});
  limiter.set_cancel(&cancel);
  ASSERT_TRUE(limiter.Acquire("r.example").has_value());
  cancel = true;
  auto r = limiter.Acquire("r.example");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("r.example"), std::string::npos);
  EXPECT_EQ(clock.slept(), Clock::duration::zero()) << "a cancelled wait does not sleep";
}

TEST(HostRateLimiterTest, ZeroRpsMeansUnlimited) {
  FakeClock clock;
  HostRateLimiter limiter(clock, {.rps = 0, .burst = 1});
  for (int i = 0; i < 1000; ++i) ASSERT_TRUE(limiter.Acquire("a.io"));
  EXPECT_EQ(clock.slept(), Clock::duration::zero());
}

TEST(HostRateLimiterTest, BackOffDelaysOnlyThatHostAndLongOnesFailFast) {
  FakeClock clock;
  HostRateLimiter limiter(clock, {.rps = 0, .max_wait = seconds(60)});
  limiter.BackOff("a.io", seconds(30));
  ASSERT_TRUE(limiter.BackoffUntil("a.io").has_value());
  EXPECT_FALSE(limiter.BackoffUntil("b.io").has_value());
  ASSERT_TRUE(limiter.Acquire("b.io"));
  EXPECT_EQ(clock.slept(), Clock::duration::zero());
  ASSERT_TRUE(limiter.Acquire("a.io"));
  EXPECT_EQ(clock.slept(), seconds(30));

  limiter.BackOff("a.io", seconds(3600));
  auto refused = limiter.Acquire("a.io");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kTransient);
  EXPECT_NE(refused.error().message.find("a.io"), std::string::npos);
  EXPECT_EQ(clock.slept(), seconds(30));  // did not wait
  EXPECT_TRUE(limiter.Acquire("b.io"));
}

TEST(RetryAfterTest, ReadsSecondsAndHttpDates) {
  FakeClock clock;  // 2024-01-01T00:00:00Z
  EXPECT_EQ(ParseRetryAfter("7", clock.Now()), seconds(7));
  EXPECT_EQ(ParseRetryAfter(" 0 ", clock.Now()), seconds(0));
  EXPECT_EQ(ParseRetryAfter("Mon, 01 Jan 2024 00:02:00 GMT", clock.Now()), seconds(120));
  EXPECT_EQ(ParseRetryAfter("Sun, 31 Dec 2023 00:00:00 GMT", clock.Now()), seconds(0));
  EXPECT_FALSE(ParseRetryAfter("", clock.Now()));
  EXPECT_FALSE(ParseRetryAfter("soon", clock.Now()));
  EXPECT_FALSE(ParseRetryAfter("-5", clock.Now()));
}

TEST(TooManyRequestsTest, StatusOrDockerHubErrorCode) {
  EXPECT_TRUE(IsTooManyRequests(FakeHttpClient::Reply(429)));
  EXPECT_TRUE(IsTooManyRequests(FakeHttpClient::Reply(
      403, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"pull rate limit"}]})")));
  EXPECT_FALSE(IsTooManyRequests(FakeHttpClient::Reply(200, "toomanyrequests")));
  EXPECT_FALSE(IsTooManyRequests(FakeHttpClient::Reply(403, R"({"errors":[{"code":"DENIED"}]})")));
}

class ThrottledHttpClientTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  RegistryStats metrics_;
  std::vector<int> statuses_;  // answers for a.io, in order; then 200
  std::vector<std::string> retry_after_;
  FakeHttpClient inner_{[this](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.url.find("down.io") != std::string::npos) {
      return Fail(ErrorKind::kTransient, "request to down.io failed: connection refused");
    }
    if (r.url.find("a.io") == std::string::npos || statuses_.empty()) {
      return FakeHttpClient::Reply(200, "{}");
    }
    int status = statuses_.front();
    statuses_.erase(statuses_.begin());
    std::string retry = retry_after_.empty() ? "" : retry_after_.front();
    if (!retry_after_.empty()) retry_after_.erase(retry_after_.begin());
    std::vector<std::pair<std::string, std::string>> headers;
    if (!retry.empty()) headers.emplace_back("retry-after", retry);
    return FakeHttpClient::Reply(status, "", headers);
  }};
  HostRateLimiter limiter_{clock_, {.rps = 0, .max_retries = 3, .max_wait = seconds(60)}};
  ThrottledHttpClient http_{inner_, limiter_, metrics_, clock_};

  Result<HttpResponse> Get(const std::string& url) {
    HttpRequest r;
    r.url = url;
    return http_.Send(r);
  }
};

TEST_F(ThrottledHttpClientTest, WaitsForRetryAfterThenSucceeds) {
  statuses_ = {429, 429};
  retry_after_ = {"5", "7"};
  auto r = Get("https://a.io/v2/x/tags/list");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(clock_.slept(), seconds(12));
  auto m = metrics_.Read();
  EXPECT_EQ((m.requests[{"a.io", RequestKind::kTags, 429}]), 2u);
  EXPECT_EQ((m.requests[{"a.io", RequestKind::kTags, 200}]), 1u);
}

TEST_F(ThrottledHttpClientTest, ExponentialBackoffWithoutRetryAfterThenGivesUp) {
  statuses_ = {429, 429, 429, 429, 429};
  auto r = Get("https://a.io/v2/x/manifests/1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);  // the caller turns it into a transient error
  EXPECT_EQ(clock_.slept(), seconds(1 + 2 + 4));
  EXPECT_EQ(inner_.requests().size(), 4u);  // first try + max_retries
}

TEST_F(ThrottledHttpClientTest, HugeRetryAfterBacksOffThatHostOnly) {
  statuses_ = {429};
  retry_after_ = {"3600"};
  auto r = Get("https://a.io/v2/x/tags/list");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(clock_.slept(), Clock::duration::zero());
  auto again = Get("https://a.io/v2/y/tags/list");
  ASSERT_FALSE(again);  // refused without a request
  EXPECT_EQ(again.error().kind, ErrorKind::kTransient);
  EXPECT_EQ(inner_.requests().size(), 1u);
  auto other = Get("https://b.io/v2/y/tags/list");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 200);
  clock_.Advance(seconds(3601));
  EXPECT_TRUE(Get("https://a.io/v2/y/tags/list"));
}

TEST_F(ThrottledHttpClientTest, CountsTransportErrorsAsStatusZero) {
  EXPECT_FALSE(Get("https://down.io/v2/"));
  auto m = metrics_.Read();
  EXPECT_EQ((m.requests[{"down.io", RequestKind::kPing, 0}]), 1u);
  Metrics exported;
  metrics_.ExportTo(exported);
  EXPECT_NE(exported.Render().find(
                R"(tagflow_registry_requests_total{host="down.io",kind="ping",status="error"} 1)"),
            std::string::npos);
}

TEST(MetricsTest, ClassifiesRequestsByPath) {
  EXPECT_EQ(ClassifyRequest("https://r.io/v2/"), RequestKind::kPing);
  EXPECT_EQ(ClassifyRequest("https://r.io/v2/a/b/tags/list?n=100"), RequestKind::kTags);
  EXPECT_EQ(ClassifyRequest("https://r.io/v2/a/manifests/sha256:x"), RequestKind::kManifest);
  EXPECT_EQ(ClassifyRequest("GET", "https://r.io/v2/a/manifests/1.0"), RequestKind::kManifest);
  EXPECT_EQ(ClassifyRequest("HEAD", "https://r.io/v2/a/manifests/1.0"), RequestKind::kManifestHead);
  EXPECT_EQ(ClassifyRequest("HEAD", "https://r.io/v2/a/blobs/sha256:x"), RequestKind::kBlob);
  EXPECT_EQ(ClassifyRequest("https://r.io/v2/a/blobs/sha256:x"), RequestKind::kBlob);
  EXPECT_EQ(ClassifyRequest("https://auth.r.io/token?scope=x"), RequestKind::kToken);
  RegistryStats m;
  m.CountRequest("r.io", RequestKind::kTags, 200);
  m.CountRequest("r.io", RequestKind::kTags, 200);
  m.CountRequest("s.io", RequestKind::kBlob, 404);
  m.CountCacheHit(3);
  m.CountCacheMiss();
  auto s = m.Read();
  EXPECT_EQ(s.Total(), 3u);
  EXPECT_EQ(s.Count(RequestKind::kTags), 2u);
  EXPECT_EQ(s.CountHost("s.io"), 1u);
  EXPECT_EQ(s.cache_hits, 3u);
  Metrics exported;
  m.ExportTo(exported);
  std::string text = exported.Render();
  EXPECT_NE(text.find(R"(tagflow_registry_requests_total{host="r.io",kind="tags",status="200"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find("tagflow_registry_cache_hits_total 3\n"), std::string::npos);
  EXPECT_NE(text.find("tagflow_registry_cache_misses_total 1\n"), std::string::npos);
}

}  // namespace
}  // namespace tagflow::registry
