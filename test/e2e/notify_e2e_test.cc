// Notifications end to end: the real `tagflow daemon`, a real registry and
// git repository, and the recording HTTP sink standing in for Slack, Teams,
// Discord and Google Chat (each on its own secret path).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>

#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSlackPath[] = "/services/T0/B0/secret-path";

class NotifyE2eTest : public E2eTest {
 protected:
  // web (v1 -> v2) and api (master-a -> master-b) automated.
  std::filesystem::path TwoUpdates() {
    return MakeRepo(
        {{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
         {"apps/api.yaml",
          Deployment("api", api_ + ":master-a",
                     kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n"))}});
  }

  std::vector<nlohmann::json> SlackBodies() {
    std::vector<nlohmann::json> out;
    for (const RecordedRequest& r : slack_.Requests()) {
      if (r.path == kSlackPath) out.push_back(nlohmann::json::parse(r.body));
    }
    return out;
  }

  // The time between the first two requests the sink records, measured here.
  milliseconds GapBetweenFirstTwoRequests() {
    EXPECT_TRUE(slack_.WaitForRequests(1, seconds(30)));
    auto first = std::chrono::steady_clock::now();
    EXPECT_TRUE(slack_.WaitForRequests(2, seconds(30)));
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - first);
  }
};

TEST_F(NotifyE2eTest, SuccessHasStructureColourCommitLinkAndFallbackText) {
  auto repo = TwoUpdates();
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) +
              std::vector<std::string>{"--once", "--git-web-url", "https://github.com/org/fleet"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::string sha = GitRevParse(repo, "master");
  ASSERT_TRUE(slack_.WaitForRequests(1, seconds(10)));
  auto bodies = SlackBodies();
  ASSERT_EQ(bodies.size(), 1u);
  const auto& json = bodies[0];
  std::string text = json["text"];
  EXPECT_THAT(text,
              AllOf(HasSubstr("Released 2 image(s) to master (commit " + sha.substr(0, 7)),
                    HasSubstr("default:deployment/web app: " + web_ + ":v1 -> " + web_ + ":v2")));
  const auto& attachment = json["attachments"][0];
  EXPECT_EQ(attachment["color"], "#2eb886");
  EXPECT_EQ(attachment["fallback"], text);
  EXPECT_EQ(attachment["blocks"][0]["text"]["text"],
            "*Released 2 images to master* · commit <https://github.com/org/fleet/commit/" + sha +
                "|" + sha.substr(0, 7) + ">");
  EXPECT_EQ(attachment["blocks"][1]["text"]["text"],
            "*Changes*\n• default:deployment/api app master-a -&gt; master-b\n"
            "• default:deployment/web app v1 -&gt; v2");
  EXPECT_EQ(attachment["blocks"][2]["type"], "context");
  EXPECT_THAT(attachment["blocks"][2].dump(), HasSubstr("master"));
  EXPECT_THAT(r.output, Not(HasSubstr("secret-path")));
}

TEST_F(NotifyE2eTest, FailureThenTheSameFailureThenRecovery) {
  std::string ghost = registry_.host() + "/team/ghost";  // not pushed yet
  auto repo = MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v2", kAutomated)},
                        {"apps/ghost.yaml", Deployment("ghost", ghost + ":v1", kAutomated)}});
  int port = FreePort();
  auto flags = DaemonFlags("file://" + repo.string(), "127.0.0.1:" + std::to_string(port)) +
               std::vector<std::string>{"--automation-interval", "1h", "--git-poll-interval", "1h"};
  auto proc = StartTagflow(flags);
  httplib::Client http("127.0.0.1", port);
  auto cycles = [&](const std::string& result) {
    auto res = http.Get("/metrics");
    std::string line = "tagflow_cycles_total{result=\"" + result + "\"} ";
    if (!res || res->body.find(line) == std::string::npos) return 0;
    return std::stoi(res->body.substr(res->body.find(line) + line.size()));
  };
  ASSERT_TRUE(WaitFor([&] { return cycles("error") == 1; }, seconds(30))) << proc->Output();
  ASSERT_TRUE(slack_.WaitForRequests(1, seconds(10)));

  ASSERT_TRUE(http.Post("/api/v1/sync", "", "application/json"));
  ASSERT_TRUE(WaitFor([&] { return cycles("error") == 2; }, seconds(30))) << proc->Output();
  registry_.PushImage("team/ghost", "v1", {.created = Day(1)});
  ASSERT_TRUE(http.Post("/api/v1/sync", "", "application/json"));
  ASSERT_TRUE(WaitFor([&] { return cycles("ok") == 1; }, seconds(30))) << proc->Output();
  ASSERT_TRUE(slack_.WaitForRequests(2, seconds(10)));
  EXPECT_FALSE(slack_.WaitForRequests(3, seconds(2))) << "the repeated failure is not sent";

  auto bodies = SlackBodies();
  ASSERT_EQ(bodies.size(), 2u);
  const auto& failure = bodies[0]["attachments"][0];
  EXPECT_EQ(failure["color"], "#a30200");
  EXPECT_THAT(failure["blocks"][0]["text"]["text"].get<std::string>(),
              HasSubstr("Automation failed on master: 1 error"));
  EXPECT_THAT(failure["blocks"][1]["text"]["text"].get<std::string>(),
              AllOf(HasSubstr("*Registry (1)*"), HasSubstr("default:deployment/ghost")));
  const auto& resolved = bodies[1]["attachments"][0];
  EXPECT_EQ(resolved["color"], "#2eb886");
  EXPECT_THAT(resolved["blocks"][0]["text"]["text"].get<std::string>(),
              HasSubstr("Resolved: automation on master is healthy again"));
  EXPECT_THAT(resolved["blocks"][1]["text"]["text"].get<std::string>(),
              AllOf(HasSubstr("*Was failing for "), HasSubstr("default:deployment/ghost")));
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(seconds(10)), 0);
}

TEST_F(NotifyE2eTest, OnceRetriesAServerErrorBeforeExiting) {
  auto repo = TwoUpdates();
  slack_.QueueReplies({{.status = 500, .body = "oops"}});
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto requests = slack_.Requests();
  ASSERT_EQ(requests.size(), 2u) << "one 500, then the same message delivered once";
  EXPECT_EQ(requests[0].body, requests[1].body);
  EXPECT_THAT(r.output, Not(HasSubstr("secret-path")));
}

TEST_F(NotifyE2eTest, RetryAfterInSecondsIsHonoured) {
  auto repo = TwoUpdates();
  slack_.QueueReplies({{.status = 429, .body = "rate_limited", .headers = {{"Retry-After", "4"}}}});
  auto proc =
      StartTagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_GE(GapBetweenFirstTwoRequests(), milliseconds(3500)) << proc->Output();
  EXPECT_EQ(proc->Wait(seconds(30)), 0) << proc->Output();
  EXPECT_EQ(slack_.RequestCount(), 2u);
}

TEST_F(NotifyE2eTest, RetryAfterAsAnHttpDateIsHonoured) {
  auto repo = TwoUpdates();
  std::time_t at = std::time(nullptr) + 7;
  char date[64];
  std::tm tm{};
  gmtime_r(&at, &tm);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  slack_.QueueReplies(
      {{.status = 429, .body = "rate_limited", .headers = {{"Retry-After", date}}}});
  auto proc =
      StartTagflow(DaemonFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  EXPECT_TRUE(slack_.WaitForRequests(1, seconds(30)));
  EXPECT_TRUE(slack_.WaitForRequests(2, seconds(30)));
  EXPECT_GE(std::time(nullptr), at - 1) << "the retry waited for the date";
  EXPECT_EQ(proc->Wait(seconds(30)), 0) << proc->Output();
  EXPECT_EQ(slack_.RequestCount(), 2u);
}

TEST_F(NotifyE2eTest, UserTemplateWithRangeAndIf) {
  auto repo = TwoUpdates();
  RunResult r = Tagflow(
      DaemonFlags("file://" + repo.string()) +
      std::vector<std::string>{
          "--once", "--slack-template-success",
          "{{range .Changes}}{{.Workload}} {{.OldTag}}=>{{.NewTag}};{{end}}"
          "{{if .Errors}} with errors{{else}} clean{{end}} {{.ShortCommit}} <{{$.Branch}}>"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(slack_.WaitForRequests(1, seconds(10)));
  std::string text = SlackBodies().at(0)["text"];
  EXPECT_EQ(text,
            "default:deployment/api master-a=>master-b;default:deployment/web v1=>v2; clean " +
                GitRevParse(repo, "master").substr(0, 7) + " <master>");
}

TEST_F(NotifyE2eTest, TemplateErrorStopsTheStartWithLineAndColumn) {
  auto repo = TwoUpdates();
  std::string head = GitRevParse(repo, "master");
  RunResult r = Tagflow(DaemonFlags("file://" + repo.string()) +
                        std::vector<std::string>{"--once", "--slack-template-failure",
                                                 "Failed:\n{{range .Errors}}{{.Bogus}}{{end}}"});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_THAT(r.output, HasSubstr("--slack-template-failure:2:18: unknown field .Bogus"));
  EXPECT_EQ(GitRevParse(repo, "master"), head);
  EXPECT_EQ(slack_.RequestCount(), 0u);
}

TEST_F(NotifyE2eTest, EveryDestinationGetsItsPayloadAndNoSecretLeaks) {
  // A git URL with a password that fails to sync: the failure goes
  // everywhere, and neither it nor any webhook path shows up anywhere.
  int closed = FreePort();
  std::string git_url = "http://bot:tok3n-s3cret@127.0.0.1:" + std::to_string(closed) + "/x.git";
  RunResult r =
      Tagflow(DaemonFlags(git_url) +
              std::vector<std::string>{"--once", "--teams-url", slack_.Url("/teams/secret-teams"),
                                       "--discord-url", slack_.Url("/discord/secret-discord"),
                                       "--googlechat-url", slack_.Url("/chat/secret-chat"),
                                       "--notify-webhook", slack_.Url("/hook/secret-hook")});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  ASSERT_TRUE(slack_.WaitForRequests(5, seconds(10)));
  std::map<std::string, nlohmann::json> by_path;
  for (const RecordedRequest& req : slack_.Requests()) {
    by_path[req.path] = nlohmann::json::parse(req.body);
    for (const char* secret : {"tok3n-s3cret", "secret-path", "secret-teams", "secret-discord",
                               "secret-chat", "secret-hook"}) {
      EXPECT_THAT(req.body, Not(HasSubstr(secret))) << req.path;
    }
  }
  EXPECT_EQ(by_path[kSlackPath]["attachments"][0]["color"], "#a30200");
  EXPECT_THAT(by_path[kSlackPath].dump(), HasSubstr("Git sync (1)"));
  EXPECT_EQ(by_path["/teams/secret-teams"]["attachments"][0]["contentType"],
            "application/vnd.microsoft.card.adaptive");
  EXPECT_EQ(by_path["/discord/secret-discord"]["embeds"][0]["color"], 0xa30200);
  EXPECT_EQ(by_path["/chat/secret-chat"]["cardsV2"][0]["cardId"], "tagflow-failure");
  EXPECT_EQ(by_path["/hook/secret-hook"]["error_details"][0]["stage"], "git sync");
  for (const char* secret : {"tok3n-s3cret", "secret-path", "secret-teams", "secret-discord",
                             "secret-chat", "secret-hook"}) {
    EXPECT_THAT(r.output, Not(HasSubstr(secret)));
  }
}

// The Slack Web API stand-in: the sink answers as Slack documents
// chat.postMessage and chat.update (HTTP 200 {"ok":true,"channel","ts"};
// HTTP 429 + Retry-After with {"ok":false,"error":"ratelimited"}) and records
// what tagflow sends to <api>/chat.postMessage and <api>/chat.update.
constexpr char kSlackToken[] = "fake-slack-token-e2e-T0k3nS3cret";
constexpr char kFirstTs[] = "1700000000.000100";

class SlackApiE2eTest : public NotifyE2eTest {
 protected:
  SlackApiE2eTest() {
    slack_.SetDefaultReply(
        {.status = 200,
         .body = std::string(R"({"ok":true,"channel":"C0OPS","ts":")") + kFirstTs + "\"}",
         .content_type = "application/json"});
  }

  // DaemonFlags in Web API mode: the incoming webhook flag dropped, the
  // token from a file, the API at the sink, default channel #ops.
  std::vector<std::string> ApiFlags(const std::string& git_url,
                                    const std::string& listen = "127.0.0.1:0") {
    std::vector<std::string> flags = DaemonFlags(git_url, listen);
    auto at = std::find(flags.begin(), flags.end(), "--slack-url");
    if (at != flags.end()) flags.erase(at, at + 2);
    std::filesystem::path token = scratch_.path() / "slack-token";
    WriteFile(token, std::string(kSlackToken) + "\n");
    return flags + std::vector<std::string>{"--slack-token",   token.string(),
                                            "--slack-api-url", slack_.Url("/api"),
                                            "--slack-channel", "#ops"};
  }

  struct Call {
    std::string method;  // "chat.postMessage", "chat.update"
    nlohmann::json body;
    std::string authorization;
  };
  std::vector<Call> Calls() {
    std::vector<Call> out;
    for (const RecordedRequest& r : slack_.Requests()) {
      EXPECT_EQ(r.Header("Content-Type"), "application/json; charset=utf-8");
      out.push_back({r.path.substr(r.path.rfind('/') + 1), nlohmann::json::parse(r.body),
                     r.Header("Authorization")});
    }
    return out;
  }
};

TEST_F(SlackApiE2eTest, FailureRepeatAndResolutionShareAThreadAndTheFirstMessageIsEdited) {
  std::string ghost = registry_.host() + "/team/ghost";  // not pushed yet
  auto repo = MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v2", kAutomated)},
                        {"apps/ghost.yaml", Deployment("ghost", ghost + ":v1", kAutomated)}});
  // Slack limits the first post; tagflow waits and sends it again.
  slack_.QueueReplies({{.status = 429,
                        .body = R"({"ok":false,"error":"ratelimited"})",
                        .content_type = "application/json",
                        .headers = {{"Retry-After", "1"}}}});
  int port = FreePort();
  auto flags =
      ApiFlags("file://" + repo.string(), "127.0.0.1:" + std::to_string(port)) +
      std::vector<std::string>{"--automation-interval",    "1h", "--git-poll-interval", "1h",
                               "--notify-repeat-interval", "0s"};
  auto proc = StartTagflow(flags);
  httplib::Client http("127.0.0.1", port);
  ASSERT_TRUE(slack_.WaitForRequests(2, seconds(30))) << proc->Output();  // 429, then ok
  ASSERT_TRUE(http.Post("/api/v1/sync", "", "application/json"));         // the same failure
  ASSERT_TRUE(slack_.WaitForRequests(3, seconds(30))) << proc->Output();
  registry_.PushImage("team/ghost", "v1", {.created = Day(1)});
  ASSERT_TRUE(http.Post("/api/v1/sync", "", "application/json"));  // healthy again
  ASSERT_TRUE(slack_.WaitForRequests(5, seconds(30))) << proc->Output();
  EXPECT_FALSE(slack_.WaitForRequests(6, seconds(2)));

  auto calls = Calls();
  ASSERT_EQ(calls.size(), 5u);
  for (const Call& c : calls) EXPECT_EQ(c.authorization, std::string("Bearer ") + kSlackToken);
  EXPECT_EQ(calls[0].body, calls[1].body) << "the rate-limited post is sent again as it was";
  const auto& failure = calls[1];
  EXPECT_EQ(failure.method, "chat.postMessage");
  EXPECT_EQ(failure.body["channel"], "#ops");
  EXPECT_FALSE(failure.body.contains("thread_ts"));
  EXPECT_EQ(failure.body["attachments"][0]["color"], "#a30200");
  EXPECT_THAT(failure.body["text"].get<std::string>(), HasSubstr("default:deployment/ghost"));

  const auto& repeat = calls[2];
  EXPECT_EQ(repeat.method, "chat.postMessage");
  EXPECT_EQ(repeat.body["thread_ts"], kFirstTs);

  const auto& resolution = calls[3];
  EXPECT_EQ(resolution.method, "chat.postMessage");
  EXPECT_EQ(resolution.body["thread_ts"], kFirstTs);
  EXPECT_THAT(resolution.body["text"].get<std::string>(), HasSubstr("Resolved"));

  const auto& edit = calls[4];
  EXPECT_EQ(edit.method, "chat.update");
  EXPECT_EQ(edit.body["channel"], "C0OPS");
  EXPECT_EQ(edit.body["ts"], kFirstTs);
  EXPECT_EQ(edit.body["attachments"][0]["color"], "#2eb886");
  EXPECT_THAT(edit.body["attachments"][0]["blocks"][0]["text"]["text"].get<std::string>(),
              HasSubstr("Resolved: automation on master is healthy again"));

  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(seconds(10)), 0);
  std::string output = proc->Output();
  EXPECT_THAT(output, HasSubstr("slack_error=ratelimited"));
  EXPECT_THAT(output, Not(HasSubstr(kSlackToken)));
  for (const RecordedRequest& r : slack_.Requests()) {
    EXPECT_THAT(r.body, Not(HasSubstr(kSlackToken)));
  }
}

TEST_F(SlackApiE2eTest, TwoChannelsFromAnnotationsGetOneMessageEach) {
  auto repo = MakeRepo(
      {{"apps/web.yaml",
        Deployment("web", web_ + ":v1",
                   kAutomated + std::string("    tagflow.io/notify-channel: \"#team-web\"\n"))},
       {"apps/api.yaml",
        Deployment("api", api_ + ":master-a",
                   kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n"))}});
  RunResult r = Tagflow(ApiFlags("file://" + repo.string()) + std::vector<std::string>{"--once"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(slack_.WaitForRequests(2, seconds(10)));
  std::map<std::string, std::string> text_by_channel;
  for (const Call& c : Calls()) {
    EXPECT_EQ(c.method, "chat.postMessage");
    EXPECT_FALSE(c.body.contains("thread_ts")) << "successes are plain messages";
    text_by_channel[c.body["channel"]] += c.body["text"].get<std::string>();
  }
  ASSERT_EQ(text_by_channel.size(), 2u);
  EXPECT_THAT(text_by_channel["#team-web"],
              AllOf(HasSubstr("default:deployment/web"), Not(HasSubstr("default:deployment/api"))));
  EXPECT_THAT(text_by_channel["#ops"],
              AllOf(HasSubstr("default:deployment/api"), Not(HasSubstr("default:deployment/web"))));
  EXPECT_THAT(r.output, Not(HasSubstr(kSlackToken)));
}

TEST_F(SlackApiE2eTest, TokenFromTheEnvironmentAndSlackErrorsLoggedWithoutIt) {
  auto repo = TwoUpdates();
  slack_.SetDefaultReply({.status = 200,
                          .body = R"({"ok":false,"error":"invalid_auth"})",
                          .content_type = "application/json"});
  std::vector<std::string> argv = {TAGFLOW_BINARY};
  for (const std::string& a : DaemonFlags("file://" + repo.string())) {
    argv.push_back(a);
  }
  auto at = std::find(argv.begin(), argv.end(), "--slack-url");
  argv.erase(at, at + 2);
  argv = argv + std::vector<std::string>{"--slack-api-url", slack_.Url("/api"), "--slack-channel",
                                         "#ops", "--once"};
  auto log = scratch_.path() / "env-token.log";
  Subprocess proc(
      {.argv = argv,
       .env = {{"HOME", scratch_.path().string()}, {"TAGFLOW_SLACK_TOKEN", kSlackToken}},
       .log_path = log});
  EXPECT_EQ(proc.Wait(seconds(60)), 0) << "notifications never change the exit code";
  std::string output = ReadFile(log);
  ASSERT_EQ(slack_.RequestCount(), 1u) << output;
  EXPECT_EQ(slack_.Requests()[0].Header("Authorization"), std::string("Bearer ") + kSlackToken);
  EXPECT_THAT(output, HasSubstr("slack_error=invalid_auth"));
  EXPECT_THAT(output, Not(HasSubstr(kSlackToken)));
}

}  // namespace
}  // namespace tagflow::testing
