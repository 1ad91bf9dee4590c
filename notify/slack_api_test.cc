// The Notifier in Slack Web API mode, over a scripted sender that answers as
// Slack documents chat.postMessage and chat.update
// ({"ok":true,"channel":"C..","ts":".."} / {"ok":false,"error":".."}, HTTP
// 429 + Retry-After for "ratelimited"): one thread per incident, the edit of
// its first message, per-channel threads, Slack's errors in the log.
#include "notify/slack_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <fstream>
#include <sstream>

#include "notify/fake_sender.h"
#include "notify/notifier.h"
#include "notify/test_util.h"
#include "test/support/process.h"

namespace tagflow::notify {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::ErrorIn;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "fake-slack-token-1111-s3cr3t";
constexpr char kApi[] = "https://slack.test/api";

PostResponse SlackOk(std::string channel_id, std::string ts) {
  return {200, nlohmann::json{{"ok", true}, {"channel", channel_id}, {"ts", ts}}.dump(), {}};
}

PostResponse SlackError(int status, std::string code) {
  return {status, nlohmann::json{{"ok", false}, {"error", code}}.dump(), {}};
}

// Every log line while it lives.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(lines_);
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
    spdlog::set_level(spdlog::level::debug);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }
  std::string Text() const { return lines_.str(); }

 private:
  std::shared_ptr<spdlog::logger> previous_;
  std::ostringstream lines_;
};

class SlackApiTest : public test::NotifierFixture<FakeClock, FakeSender> {
 protected:
  NotifierOptions Options() {
    NotifierOptions options;
    options.slack_token = kToken;
    options.slack_api_url = kApi;
    options.slack_channel = "#ops";
    options.repeat_interval = seconds(0);  // every failure is sent
    options.max_wait = milliseconds(1);
    options.min_interval = milliseconds(0);
    return options;
  }

  // The requests so far, once there are `n` (and no more for a moment).
  std::vector<PostRequest> Requests(size_t n) {
    EXPECT_TRUE(sender_.WaitForRequests(n, seconds(10)));
    EXPECT_FALSE(sender_.WaitForRequests(n + 1, milliseconds(100)));
    return sender_.Requests();
  }

  static nlohmann::json Body(const PostRequest& r) { return nlohmann::json::parse(r.body); }
  static std::string Header(const PostRequest& r, std::string_view name) {
    for (const auto& [k, v] : r.headers) {
      if (k == name) return v;
    }
    return "";
  }
};

TEST_F(SlackApiTest, FailureRepeatAndResolutionMakeOneThreadAndTheFirstMessageIsEdited) {
  Start(Options());
  sender_.SetFallback(SlackOk("C0OPS", "1700000000.000100"));
  notifier_->Notify(test::FailureEvent());
  auto requests = Requests(1);
  EXPECT_EQ(requests[0].url, std::string(kApi) + "/chat.postMessage");
  EXPECT_EQ(Header(requests[0], "Authorization"), std::string("Bearer ") + kToken);
  EXPECT_EQ(Header(requests[0], "Content-Type"), "application/json; charset=utf-8");
  nlohmann::json first = Body(requests[0]);
  EXPECT_EQ(first["channel"], "#ops");
  EXPECT_FALSE(first.contains("thread_ts"));
  EXPECT_EQ(first["attachments"][0]["color"], "#a30200");
  EXPECT_THAT(first["text"].get<std::string>(), HasSubstr("registry.example.com"));
  EXPECT_THAT(first.dump(), Not(HasSubstr(kToken)));

  sender_.SetFallback(SlackOk("C0OPS", "1700000000.000200"));
  notifier_->Notify(test::FailureEvent());  // the same failure again
  requests = Requests(2);
  EXPECT_EQ(requests[1].url, std::string(kApi) + "/chat.postMessage");
  EXPECT_EQ(Body(requests[1])["thread_ts"], "1700000000.000100");

  clock_.Advance(std::chrono::minutes(7));
  notifier_->CycleOk();
  requests = Requests(4);
  nlohmann::json reply = Body(requests[2]);
  EXPECT_EQ(requests[2].url, std::string(kApi) + "/chat.postMessage");
  EXPECT_EQ(reply["thread_ts"], "1700000000.000100");
  EXPECT_THAT(reply["text"].get<std::string>(), HasSubstr("Resolved"));
  nlohmann::json edit = Body(requests[3]);
  EXPECT_EQ(requests[3].url, std::string(kApi) + "/chat.update");
  EXPECT_EQ(edit["channel"], "C0OPS") << "chat.update takes the channel id Slack answered";
  EXPECT_EQ(edit["ts"], "1700000000.000100");
  EXPECT_THAT(edit["text"].get<std::string>(), HasSubstr("Resolved"));
  EXPECT_EQ(edit["attachments"][0]["color"], "#2eb886");
  EXPECT_FALSE(edit.contains("thread_ts"));

  // The next incident has a thread of its own; a success is a plain message.
  sender_.SetFallback(SlackOk("C0OPS", "1700000000.000300"));
  notifier_->Notify(test::FailureEvent());
  notifier_->Notify(test::SuccessEvent());
  requests = Requests(8);  // failure, resolved reply, chat.update, success
  EXPECT_FALSE(Body(requests[4]).contains("thread_ts"));
  EXPECT_EQ(Body(requests[5])["thread_ts"], "1700000000.000300");
  EXPECT_EQ(requests[6].url, std::string(kApi) + "/chat.update");
  EXPECT_EQ(Body(requests[6])["ts"], "1700000000.000300");
  EXPECT_EQ(requests[7].url, std::string(kApi) + "/chat.postMessage");
  EXPECT_FALSE(Body(requests[7]).contains("thread_ts"));
  EXPECT_THAT(Body(requests[7])["text"].get<std::string>(), HasSubstr("Released"));
}

TEST_F(SlackApiTest, SuccessGoesToTheChannelAsANormalMessage) {
  Start(Options());
  sender_.SetFallback(SlackOk("C0OPS", "1.1"));
  notifier_->Notify(test::SuccessEvent());
  auto requests = Requests(1);
  nlohmann::json body = Body(requests[0]);
  EXPECT_EQ(requests[0].url, std::string(kApi) + "/chat.postMessage");
  EXPECT_EQ(body["channel"], "#ops");
  EXPECT_FALSE(body.contains("thread_ts"));
  EXPECT_EQ(body["attachments"][0]["color"], "#2eb886");
}

TEST_F(SlackApiTest, TwoChannelsGetOneMessageEachAndTheirOwnThreads) {
  Start(Options());
  sender_.Script({SlackOk("C0OPS", "10.1"), SlackOk("C0A", "20.1")});
  sender_.SetFallback(SlackOk("Cx", "99.9"));
  Event failure = test::FailureEvent({ErrorIn("#team-a", "a is down"), ErrorIn("", "git down")});
  notifier_->Notify(failure);
  auto requests = Requests(2);
  EXPECT_EQ(Body(requests[0])["channel"], "#ops");
  EXPECT_THAT(Body(requests[0])["text"].get<std::string>(),
              AllOf(HasSubstr("git down"), Not(HasSubstr("a is down"))));
  EXPECT_EQ(Body(requests[1])["channel"], "#team-a");
  EXPECT_THAT(Body(requests[1])["text"].get<std::string>(),
              AllOf(HasSubstr("a is down"), Not(HasSubstr("git down"))));

  notifier_->Notify(failure);  // repeats, each in its own thread
  requests = Requests(4);
  EXPECT_EQ(Body(requests[2])["thread_ts"], "10.1");
  EXPECT_EQ(Body(requests[3])["thread_ts"], "20.1");

  // Only #team-a still fails: #ops's incident is resolved and edited.
  notifier_->Notify(
      test::FailureEvent({ErrorIn("#team-a", "a is down"), ErrorIn("#team-a", "a new error")}));
  requests = Requests(7);
  EXPECT_EQ(Body(requests[4])["thread_ts"], "10.1");
  EXPECT_THAT(Body(requests[4])["text"].get<std::string>(), HasSubstr("Resolved"));
  EXPECT_EQ(requests[5].url, std::string(kApi) + "/chat.update");
  EXPECT_EQ(Body(requests[5])["channel"], "C0OPS");
  EXPECT_EQ(Body(requests[5])["ts"], "10.1");
  EXPECT_EQ(Body(requests[6])["channel"], "#team-a");
  EXPECT_EQ(Body(requests[6])["thread_ts"], "20.1");
  EXPECT_EQ(notifier_->stats().last_error, "");
}

TEST_F(SlackApiTest, SlackErrorsAreLoggedWithTheirCodeAndNeverTheToken) {
  LogCapture log;
  Start(Options());
  sender_.Script({SlackError(200, "invalid_auth"), SlackError(200, "channel_not_found")});
  sender_.SetFallback(SlackOk("C0OPS", "5.5"));
  notifier_->Notify(test::FailureEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 1; }));
  EXPECT_THAT(notifier_->stats().last_error, HasSubstr("slack_error=invalid_auth"));
  notifier_->Notify(test::FailureEvent({"another error"}));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.failed == 2; }));
  EXPECT_THAT(notifier_->stats().last_error, HasSubstr("slack_error=channel_not_found"));
  EXPECT_EQ(notifier_->stats().retried, 0u) << "invalid_auth and channel_not_found are final";
  // The incident's first message never went out: the resolution is a
  // message of its own and there is nothing to edit.
  notifier_->CycleOk();
  auto requests = Requests(3);
  EXPECT_FALSE(Body(requests[2]).contains("thread_ts"));
  notifier_.reset();
  std::string text = log.Text();
  EXPECT_THAT(text, HasSubstr("slack_error=invalid_auth"));
  EXPECT_THAT(text, HasSubstr("slack_error=channel_not_found"));
  EXPECT_THAT(text, HasSubstr("chat.postMessage channel=#ops"));
  EXPECT_THAT(text, Not(HasSubstr(kToken)));
  EXPECT_THAT(text, Not(HasSubstr("s3cr3t")));
}

TEST_F(SlackApiTest, RatelimitedWaitsForRetryAfter) {
  Start(Options());
  PostResponse limited = SlackError(429, "ratelimited");
  limited.retry_after = seconds(30);
  sender_.Script({limited});
  sender_.SetFallback(SlackOk("C0OPS", "7.7"));
  notifier_->Notify(test::SuccessEvent());
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.retried == 1; }));
  EXPECT_THAT(notifier_->stats().last_error, HasSubstr("slack_error=ratelimited"));
  clock_.Advance(seconds(29));
  EXPECT_FALSE(sender_.WaitForRequests(2, milliseconds(100)));
  clock_.Advance(seconds(1));
  ASSERT_TRUE(WaitStats([](const NotifierStats& s) { return s.sent == 1; }));
}

TEST(SlackApiCreateTest, RejectsBadConfigurationWithoutQuotingTheToken) {
  FakeSender sender;
  FakeClock clock;
  NotifierOptions both;
  both.slack_token = kToken;
  both.slack_url = "https://hooks.slack.com/services/x";
  both.slack_channel = "#ops";
  auto created = Notifier::Create(both, sender, clock);
  ASSERT_FALSE(created.has_value());
  EXPECT_THAT(created.error().message, HasSubstr("--slack-url"));

  NotifierOptions no_channel;
  no_channel.slack_token = kToken;
  created = Notifier::Create(no_channel, sender, clock);
  ASSERT_FALSE(created.has_value());
  EXPECT_THAT(created.error().message, HasSubstr("--slack-channel"));

  NotifierOptions bad;
  bad.slack_token = std::string(kToken) + "\nX-Injected: 1";
  bad.slack_channel = "#ops";
  created = Notifier::Create(bad, sender, clock);
  ASSERT_FALSE(created.has_value());
  EXPECT_THAT(created.error().message, Not(HasSubstr("s3cr3t")));
}

TEST(SlackTokenTest, FlagNamesAFileAndTheEnvironmentHoldsTheToken) {
  testing::TempDir dir;
  std::string path = (dir.path() / "token").string();
  std::ofstream(path) << "  " << kToken << "\n";
  EXPECT_EQ(SlackTokenFromFlag(path, nullptr).value(), kToken);
  EXPECT_EQ(SlackTokenFromFlag(path, "fake-slack-token-other").value(), kToken) << "the flag wins";
  EXPECT_EQ(SlackTokenFromFlag(kToken, kToken).value(), kToken) << "from TAGFLOW_SLACK_TOKEN";
  EXPECT_EQ(SlackTokenFromFlag("", nullptr).value(), "");
  auto missing = SlackTokenFromFlag(kToken, nullptr);  // a token given as the flag by mistake
  ASSERT_FALSE(missing.has_value());
  EXPECT_THAT(missing.error().message, AllOf(HasSubstr("--slack-token"), Not(HasSubstr("s3cr3t"))));
}

TEST(SlackAnswerTest, ReadsOkTsAndErrorCodes) {
  SlackAnswer ok = ReadSlackAnswer(SlackOk("C1", "1.2"));
  EXPECT_TRUE(ok.ok);
  EXPECT_EQ(ok.channel, "C1");
  EXPECT_EQ(ok.ts, "1.2");
  EXPECT_EQ(ReadSlackAnswer(SlackError(200, "not_in_channel")).error, "not_in_channel");
  EXPECT_FALSE(ReadSlackAnswer({200, "<html>proxy</html>", {}}).ok);
  EXPECT_EQ(ReadSlackAnswer({502, "bad gateway", {}}).error, "http_502");
  EXPECT_FALSE(ReadSlackAnswer({500, R"({"ok":true,"ts":"1"})", {}}).ok);
  EXPECT_TRUE(IsRetryableSlackError("ratelimited"));
  EXPECT_FALSE(IsRetryableSlackError("invalid_auth"));
}

}  // namespace
}  // namespace tagflow::notify
