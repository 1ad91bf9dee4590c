// The Notifier with the real libcurl sender and clock against a local HTTP
// sink standing in for Slack and a generic webhook.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "notify/http_sender.h"
#include "notify/notifier.h"
#include "notify/test_util.h"
#include "test/support/http_sink.h"
#include "test/support/process.h"

namespace tagflow::notify {
namespace {

using std::chrono::milliseconds;
using tagflow::testing::HttpSink;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSlackPath[] = "/services/T000/B000/sekrit";
constexpr milliseconds kWait{10'000};

class NotifierHttpTest : public test::NotifierFixture<SystemClock, test::RealSender> {
 protected:
  NotifierOptions Options(std::string slack_url) {
    NotifierOptions options;
    options.slack_url = std::move(slack_url);
    options.initial_backoff = milliseconds(20);
    options.min_interval = milliseconds(0);
    options.max_backoff = milliseconds(100);
    options.request_timeout = milliseconds(2000);
    return options;
  }

  HttpSink sink_;
};

TEST_F(NotifierHttpTest, SlackAndWebhookReceiveTheirJson) {
  NotifierOptions options = Options(sink_.Url(kSlackPath));
  options.slack_channel = "#deploys";
  options.slack_username = "tagflow";
  options.slack_icon_url = "https://example.com/icon.png";
  options.webhook_url = sink_.Url("/webhook");
  options.webhook_secret = "s3cret";
  Start(options);
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(sink_.WaitForRequests(2, kWait));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 2; }));

  for (const auto& request : sink_.Requests()) {
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.Header("Content-Type"), "application/json");
    auto json = nlohmann::json::parse(request.body);
    if (request.path == kSlackPath) {
      EXPECT_EQ(json["text"],
                "Released 2 image(s) to main (commit 0123456)\n"
                "default:deployment/web web: nginx:1.25.1 -> nginx:1.25.2\n"
                "prod:statefulset/db pg: postgres:15.3 -> postgres:15.4");
      EXPECT_EQ(json["channel"], "#deploys");
      EXPECT_EQ(json["username"], "tagflow");
      EXPECT_EQ(json["icon_url"], "https://example.com/icon.png");
      EXPECT_EQ(json["attachments"][0]["color"], "#2eb886");
      EXPECT_EQ(request.Header("X-Tagflow-Signature"), "");
    } else {
      EXPECT_EQ(request.path, "/webhook");
      EXPECT_EQ(json["kind"], "success");
      EXPECT_EQ(json["changes"].size(), 2u);
      EXPECT_EQ(request.Header("X-Tagflow-Signature"),
                "sha256=" + HmacSha256Hex("s3cret", request.body));
    }
  }
}

TEST_F(NotifierHttpTest, ServerErrorThenOkIsRetriedAndDelivered) {
  sink_.QueueReplies({{.status = 500, .body = "oops"}});
  Start(Options(sink_.Url(kSlackPath)));
  notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.retried, 1u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.last_error, "POST " + sink_.Url("/***") + ": HTTP 500: oops");
  auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].body, requests[1].body);
}

TEST_F(NotifierHttpTest, DroppedConnectionIsRetried) {
  sink_.QueueReplies({{.close = true}});
  Start(Options(sink_.Url(kSlackPath)));
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
  EXPECT_EQ(notifier_->stats().retried, 1u);
}

TEST_F(NotifierHttpTest, SinkDownNeverBlocksTheCaller) {
  std::string url = "http://127.0.0.1:" + std::to_string(tagflow::testing::FreePort()) + kSlackPath;
  NotifierOptions options = Options(url);
  options.max_attempts = 2;
  options.repeat_interval = std::chrono::seconds(0);
  Start(options);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) notifier_->Notify(test::FailureEvent());
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, milliseconds(250)) << "20 Notify calls must not wait on the network";
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed >= 1; }));
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.sent, 0u);
  EXPECT_GE(stats.retried, 1u);
  EXPECT_THAT(stats.last_error, AllOf(HasSubstr("127.0.0.1"), HasSubstr("/***"),
                                      Not(HasSubstr("sekrit")), Not(HasSubstr("/services"))));
  notifier_->Stop(clock_.Now() + milliseconds(500));
}

TEST_F(NotifierHttpTest, SlowSinkTimesOut) {
  sink_.SetDefaultReply({.delay = milliseconds(5000)});
  NotifierOptions options = Options(sink_.Url(kSlackPath));
  options.request_timeout = milliseconds(200);
  options.max_attempts = 1;
  Start(options);
  auto start = std::chrono::steady_clock::now();
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 1; }));
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(3000));
  EXPECT_THAT(notifier_->stats().last_error,
              AllOf(HasSubstr("timed out"), Not(HasSubstr("sekrit"))));
}

TEST_F(NotifierHttpTest, StopKeepsItsDeadlineWithASlowSink) {
  sink_.SetDefaultReply({.delay = milliseconds(10'000)});
  NotifierOptions options = Options(sink_.Url(kSlackPath));
  options.request_timeout = milliseconds(10'000);
  Start(options);
  notifier_->Notify(test::SuccessEvent());
  notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(sink_.WaitForRequests(1, kWait));
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(notifier_->Stop(clock_.Now() + milliseconds(200)), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(2500))
      << "the request in flight is cancelled at the deadline";
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.failed, 1u);
  EXPECT_EQ(stats.dropped, 1u);
}

}  // namespace
}  // namespace tagflow::notify
