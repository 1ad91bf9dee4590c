// The Notifier with a scripted sender and a fake clock: what is sent, when,
// how often, and what the counters say.
#include "notify/notifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <nlohmann/json.hpp>

#include "notify/fake_sender.h"
#include "notify/test_util.h"
#include "test/support/process.h"

namespace tagflow::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSlackUrl[] = "https://hooks.slack.com/services/T000/B000/sekrit";
constexpr char kWebhookUrl[] = "https://hooks.example.com/tagflow/t0ken";
constexpr milliseconds kWait{5000};  // generous real-time bound for the worker thread

Event SuccessWithCommit(std::string commit) {
  Event e = test::SuccessEvent();
  e.commit = std::move(commit);
  return e;
}

std::string SlackText(const PostRequest& request) {
  return nlohmann::json::parse(request.body).at("text").get<std::string>();
}

// The short commit id in a default success text.
std::string CommitIn(const PostRequest& request) {
  std::string text = SlackText(request);
  size_t at = text.find("(commit ");
  return at == std::string::npos ? "" : text.substr(at + 8, 7);
}

class NotifierTest : public test::NotifierFixture<FakeClock, FakeSender> {
 protected:
  NotifierOptions SlackOnly() {
    NotifierOptions options;
    options.slack_url = kSlackUrl;
    options.max_wait = milliseconds(1);  // notice FakeClock::Advance at once
    options.min_interval = milliseconds(0);
    return options;
  }

  // True when no request number `n` arrives within a short real-time window:
  // for asserting that the worker is waiting for the fake clock.
  bool NoRequest(size_t n) { return !sender_.WaitForRequests(n, milliseconds(100)); }
};

TEST_F(NotifierTest, DeliversEachEventToSlackAndWebhook) {
  NotifierOptions options = SlackOnly();
  options.webhook_url = kWebhookUrl;
  options.webhook_secret = "s3cret";
  Start(options);
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 2; }));
  auto requests = sender_.Requests();
  ASSERT_EQ(requests.size(), 2u);
  std::set<std::string> urls = {requests[0].url, requests[1].url};
  EXPECT_EQ(urls, (std::set<std::string>{kSlackUrl, kWebhookUrl}));
  EXPECT_EQ(notifier_->stats().queued, 0u);
}

TEST_F(NotifierTest, NoTargetsAcceptsAndSendsNothing) {
  NotifierOptions options;
  options.max_wait = milliseconds(1);
  Start(options);
  notifier_->Notify(test::FailureEvent());
  EXPECT_TRUE(notifier_->failing());
  notifier_->CycleOk();
  EXPECT_FALSE(notifier_->failing());
  EXPECT_EQ(notifier_->Stop(clock_.Now()), 0u);
  EXPECT_EQ(sender_.RequestCount(), 0u);
}

TEST_F(NotifierTest, TransientFailuresAreRetriedWithExponentialBackoff) {
  sender_.Script({Status(500), SendError(ErrorKind::kTransient, "connection refused")});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  clock_.Advance(milliseconds(1999));
  EXPECT_TRUE(NoRequest(2)) << "first backoff is 2s";
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(sender_.WaitForRequests(2, kWait));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 2; }));
  clock_.Advance(milliseconds(3999));
  EXPECT_TRUE(NoRequest(3)) << "second backoff is 4s";
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(stats.retried, 2u);
  EXPECT_EQ(sender_.RequestCount(), 3u);
  EXPECT_EQ(sender_.Requests()[0].body, sender_.Requests()[2].body) << "same message retried";
}

TEST_F(NotifierTest, RetryAfterIsHonoured) {
  sender_.Script({PostResponse{429, "rate_limited", seconds(30)}});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  clock_.Advance(seconds(29));
  EXPECT_TRUE(NoRequest(2));
  clock_.Advance(seconds(1));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
}

TEST_F(NotifierTest, PermanentStatusIsNotRetriedAndErrorIsRedacted) {
  sender_.Script({PostResponse{404, "no_service\nmore", {}}});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 1; }));
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.retried, 0u);
  EXPECT_EQ(stats.sent, 0u);
  EXPECT_EQ(stats.last_error, "POST https://hooks.slack.com/***: HTTP 404: no_service");
}

TEST_F(NotifierTest, SenderErrorQuotingTheUrlIsScrubbed) {
  sender_.Script({SendError(ErrorKind::kInvalidInput, std::string("bad URL ") + kSlackUrl)});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 1; }));
  EXPECT_THAT(notifier_->stats().last_error,
              AllOf(HasSubstr("hooks.slack.com/***"), Not(HasSubstr("sekrit")),
                    Not(HasSubstr("/services/"))));
}

TEST_F(NotifierTest, GivesUpAfterMaxAttempts) {
  sender_.SetFallback(Status(503));
  NotifierOptions options = SlackOnly();
  options.max_attempts = 3;
  options.initial_backoff = seconds(1);
  options.max_backoff = seconds(1);
  Start(options);
  notifier_->Notify(test::SuccessEvent());
  for (uint64_t retried = 1; retried <= 2; ++retried) {
    ASSERT_TRUE(WaitStats([&](const NotifierStats& s) { return s.retried == retried; }));
    clock_.Advance(seconds(1));
  }
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 1; }));
  EXPECT_EQ(sender_.RequestCount(), 3u);
  EXPECT_EQ(notifier_->stats().queued, 0u);
}

TEST_F(NotifierTest, TargetThatIsDownHoldsBackOnlyItsOwnMessages) {
  NotifierOptions options = SlackOnly();
  options.webhook_url = kWebhookUrl;
  Start(options);
  sender_.Script({Status(500), Status(200)});  // Slack's first attempt fails, the webhook's not
  notifier_->Notify(SuccessWithCommit("aaaaaaa"));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1 && s.sent == 1; }));
  notifier_->Notify(SuccessWithCommit("bbbbbbb"));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 2; }))
      << "the webhook's second message does not wait for Slack";
  EXPECT_TRUE(NoRequest(4)) << "Slack's second message waits behind its first";
  clock_.Advance(seconds(2));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 4; }));
  // Per target, messages arrive in the order they were reported.
  std::vector<std::string> slack_commits;
  for (const PostRequest& r : sender_.Requests()) {
    if (r.url == kSlackUrl) slack_commits.push_back(CommitIn(r));
  }
  EXPECT_EQ(slack_commits, (std::vector<std::string>{"aaaaaaa", "aaaaaaa", "bbbbbbb"}));
}

TEST_F(NotifierTest, RepeatIntervalSuppressesTheSameFailure) {
  NotifierOptions options = SlackOnly();
  options.repeat_interval = minutes(10);
  Start(options);
  for (int i = 0; i < 3; ++i) notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
  clock_.Advance(minutes(10));
  notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 2; }));
  notifier_->Notify(test::FailureEvent({"something else"}));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 3; }));
  EXPECT_EQ(sender_.RequestCount(), 3u);
}

TEST_F(NotifierTest, CleanCycleAfterFailureSendsResolvedOnce) {
  Start(SlackOnly());
  notifier_->CycleOk();
  notifier_->Notify(test::FailureEvent());
  EXPECT_TRUE(notifier_->failing());
  notifier_->CycleOk();
  notifier_->CycleOk();
  EXPECT_FALSE(notifier_->failing());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 2; }));
  EXPECT_TRUE(NoRequest(3));
  auto requests = sender_.Requests();
  EXPECT_THAT(SlackText(requests[0]), HasSubstr("Automation failed"));
  EXPECT_THAT(SlackText(requests[1]), HasSubstr("Resolved"));
}

TEST_F(NotifierTest, NotifyNeverBlocksAndFullQueueDropsTheOldest) {
  NotifierOptions options = SlackOnly();
  options.queue_capacity = 2;
  Start(options);
  sender_.Hold(true);
  notifier_->Notify(SuccessWithCommit("1111111"));
  ASSERT_TRUE(sender_.WaitForRequests(1, kWait));  // in flight, stuck
  auto start = std::chrono::steady_clock::now();
  for (const char* commit : {"2222222", "3333333", "4444444"}) {
    notifier_->Notify(SuccessWithCommit(commit));
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, milliseconds(500));
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.queued, 3u);  // two waiting, one in flight
  sender_.Hold(false);
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 3; }));
  std::vector<std::string> commits;
  for (const PostRequest& r : sender_.Requests()) commits.push_back(CommitIn(r));
  EXPECT_EQ(commits, (std::vector<std::string>{"1111111", "3333333", "4444444"}));
}

TEST_F(NotifierTest, StopFlushesQueueIgnoringBackoff) {
  sender_.Script({Status(500)});
  Start(SlackOnly());
  notifier_->Notify(SuccessWithCommit("aaaaaaa"));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  notifier_->Notify(SuccessWithCommit("bbbbbbb"));
  EXPECT_EQ(notifier_->Stop(clock_.Now() + seconds(10)), 0u);
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.sent, 2u);
  EXPECT_EQ(stats.dropped, 0u);
  notifier_->Notify(test::SuccessEvent());
  EXPECT_EQ(notifier_->stats().dropped, 1u) << "events after Stop are dropped";
  EXPECT_EQ(sender_.RequestCount(), 3u);
  EXPECT_EQ(notifier_->Stop(clock_.Now()), 0u) << "idempotent";
}

TEST_F(NotifierTest, StopAtDeadlineCancelsInFlightAndDropsTheRest) {
  Start(SlackOnly());
  sender_.Hold(true);
  notifier_->Notify(SuccessWithCommit("aaaaaaa"));
  ASSERT_TRUE(sender_.WaitForRequests(1, kWait));
  notifier_->Notify(SuccessWithCommit("bbbbbbb"));
  EXPECT_EQ(notifier_->Stop(clock_.Now()), 1u);
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.failed, 1u) << "the cancelled attempt";
  EXPECT_EQ(stats.dropped, 1u);
  EXPECT_EQ(stats.queued, 0u);
}

TEST_F(NotifierTest, FailedAttemptDuringStopIsRetriedBeforeTheDeadline) {
  // A --once run: the message's attempts fail while the process is exiting.
  sender_.Script({Status(500), Status(500)});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  auto stopped =
      std::async(std::launch::async, [&] { return notifier_->Stop(clock_.Now() + seconds(10)); });
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 2; }))
      << "the second attempt (at Stop, backoff cut short) failed and is rescheduled";
  EXPECT_TRUE(NoRequest(3)) << "its 4 s backoff still holds";
  clock_.Advance(seconds(4));
  EXPECT_EQ(stopped.get(), 0u);
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.sent, 1u);
  EXPECT_EQ(stats.failed, 0u);
  EXPECT_EQ(sender_.RequestCount(), 3u);
}

TEST_F(NotifierTest, RetryThatCannotStartBeforeTheDeadlineIsGivenUp) {
  sender_.Script({Status(500), PostResponse{429, "slow down", seconds(60)}});
  Start(SlackOnly());
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  EXPECT_EQ(notifier_->Stop(clock_.Now() + seconds(10)), 0u);
  NotifierStats stats = notifier_->stats();
  EXPECT_EQ(stats.failed, 1u) << "Retry-After 60 s ends after the deadline: given up at once";
  EXPECT_EQ(sender_.RequestCount(), 2u);
}

TEST_F(NotifierTest, OneMessagePerIntervalToEachChatDestination) {
  NotifierOptions options = SlackOnly();
  options.min_interval = seconds(1);
  options.webhook_url = kWebhookUrl;
  Start(options);
  notifier_->Notify(SuccessWithCommit("aaaaaaa"));
  notifier_->Notify(SuccessWithCommit("bbbbbbb"));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 3; }))
      << "Slack's first and both webhook messages go at once";
  clock_.Advance(milliseconds(999));
  EXPECT_TRUE(NoRequest(4)) << "Slack's second waits a second";
  clock_.Advance(milliseconds(1));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 4; }));
}

TEST_F(NotifierTest, EveryDestinationGetsItsOwnPayload) {
  NotifierOptions options = SlackOnly();
  options.teams_url = "https://example.webhook.office.com/workflows/t0ken";
  options.discord_url = "https://discord.com/api/webhooks/1/t0ken";
  options.googlechat_url = "https://chat.googleapis.com/v1/spaces/X/messages?key=k&token=t";
  Start(options);
  notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 4; }));
  std::map<std::string, nlohmann::json> bodies;
  for (const PostRequest& r : sender_.Requests()) bodies[r.url] = nlohmann::json::parse(r.body);
  EXPECT_TRUE(bodies[kSlackUrl].contains("attachments"));
  EXPECT_EQ(bodies[options.teams_url]["type"], "message");
  EXPECT_TRUE(bodies[options.discord_url].contains("embeds"));
  EXPECT_TRUE(bodies[options.googlechat_url].contains("cardsV2"));
}

TEST_F(NotifierTest, CommitLinkComesFromTheGitUrlWithoutItsSecrets) {
  NotifierOptions options = SlackOnly();
  options.git_url = "https://bot:pa55w0rd@github.com/org/fleet.git";
  Start(options);
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
  std::string body = sender_.Requests()[0].body;
  EXPECT_THAT(body, AllOf(HasSubstr("https://github.com/org/fleet/commit/0123456789abcdef"),
                          Not(HasSubstr("pa55w0rd")), Not(HasSubstr("bot"))));
}

TEST(NotifierCreateTest, RejectsBadConfigurationNamingTheFlag) {
  FakeClock clock;
  FakeSender sender;
  struct Case {
    std::function<void(NotifierOptions&)> set;
    std::string flag;
  };
  std::vector<Case> cases = {
      {[](auto& o) { o.slack_url = "hooks.slack.com/services/T/B/sekrit"; }, "--slack-url"},
      {[](auto& o) { o.webhook_url = "ftp://example.com/sekrit"; }, "--notify-webhook"},
      {[](auto& o) { o.slack_icon_url = "icon.png"; }, "--slack-icon-url"},
      {[](auto& o) { o.slack_template_success = "{{.Foo}}"; }, "--slack-template-success"},
      {[](auto& o) { o.slack_template_failure = "{{.Errors"; }, "--slack-template-failure"},
      {[](auto& o) { o.repeat_interval = seconds(-1); }, "--notify-repeat-interval"},
      {[](auto& o) { o.queue_capacity = 0; }, "queue capacity"},
      {[](auto& o) { o.teams_url = "teams/sekrit"; }, "--teams-url"},
      {[](auto& o) { o.discord_url = "discord/sekrit"; }, "--discord-url"},
      {[](auto& o) { o.googlechat_url = "chat/sekrit"; }, "--googlechat-url"},
      {[](auto& o) { o.git_web_url = "github.com/sekrit"; }, "--git-web-url"},
  };
  for (const Case& c : cases) {
    NotifierOptions options;
    c.set(options);
    auto created = Notifier::Create(options, sender, clock);
    ASSERT_FALSE(created.has_value()) << c.flag;
    EXPECT_EQ(created.error().kind, ErrorKind::kInvalidInput) << c.flag;
    EXPECT_THAT(created.error().message, AllOf(HasSubstr(c.flag), Not(HasSubstr("sekrit"))));
  }
}

}  // namespace
}  // namespace tagflow::notify
