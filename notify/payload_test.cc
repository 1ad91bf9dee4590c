// Texts and payloads of every destination. The chat payloads are compared
// with golden files under notify/testdata/ (regenerate with
// TAGFLOW_UPDATE_GOLDEN=1 and review the diff). Their shapes follow each
// provider's public documentation (see notify/chat_payloads.cc).
#include "notify/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Messages Defaults() {
  auto m = Messages::Create("", "");
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

// A failure in every stage, with a message that needs escaping.
Event StagedFailure() {
  Event e = test::FailureEvent({});
  e.errors = {EventError(Stage::kRegistry, "registry.example.com: HTTP 503 <Service Unavailable>"),
              EventError(Stage::kScan, "apps/web.yaml:3:7: mapping values are not allowed here"),
              EventError(Stage::kPush, "push: rejected by pre-receive hook"),
              EventError(Stage::kRegistry, "default:deployment/db pg: no tag matches semver:^16")};
  return e;
}

Event LinkedSuccess() {
  Event e = test::SuccessEvent();
  e.commit_url = "https://github.com/org/fleet/commit/" + e.commit;
  return e;
}

Event Resolved() {
  Event e = StagedFailure();
  e.kind = EventKind::kResolved;
  e.duration = std::chrono::minutes(12);
  return e;
}

void ExpectGolden(const std::string& name, const std::string& body) {
  auto path = std::filesystem::path(__FILE__).parent_path() / "testdata" / name;
  nlohmann::json actual = nlohmann::json::parse(body);
  if (std::getenv("TAGFLOW_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual.dump(2) << "\n";
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in) << "missing golden file " << path;
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_EQ(actual, nlohmann::json::parse(text.str())) << name << " differs; actual:\n"
                                                       << actual.dump(2);
}

TEST(MessagesTest, DefaultSuccessTextListsChangesUnderTheTitle) {
  EXPECT_EQ(Defaults().Text(test::SuccessEvent(), /*for_slack=*/false),
            "Released 2 image(s) to main (commit 0123456)\n"
            "default:deployment/web web: nginx:1.25.1 -> nginx:1.25.2\n"
            "prod:statefulset/db pg: postgres:15.3 -> postgres:15.4");
}

TEST(MessagesTest, DefaultFailureTextListsErrorsWithStageEscapedForSlack) {
  EXPECT_EQ(Defaults().Text(test::FailureEvent(), /*for_slack=*/true),
            "Automation failed on main: 2 error(s)\n"
            "[other] apps/web.yaml: line 3: mapping values are not allowed here\n"
            "[other] registry.example.com: HTTP 503 &lt;Service Unavailable&gt;");
}

TEST(MessagesTest, DefaultResolvedTextSaysForHowLong) {
  EXPECT_EQ(Defaults().Text(Resolved(), false),
            "Resolved: automation on main is healthy again after 12m (4 error(s) cleared)");
}

TEST(MessagesTest, UserTemplatesReplaceSuccessAndFailureOnly) {
  auto m = Messages::Create("ok {{.ShortCommit}}", "bad {{.Count}}");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->Text(test::SuccessEvent(), true), "ok 0123456");
  EXPECT_EQ(m->Text(test::FailureEvent(), true), "bad 2");
  EXPECT_THAT(m->Text(Resolved(), true), HasSubstr("Resolved"));
  EXPECT_TRUE(m->Custom(EventKind::kSuccess));
  EXPECT_FALSE(m->Custom(EventKind::kResolved));
  EXPECT_FALSE(Defaults().Custom(EventKind::kSuccess));
}

TEST(MessagesTest, InvalidTemplateNamesItsFlagAndWhere) {
  auto bad_success = Messages::Create("{{.Nope}}", "");
  ASSERT_FALSE(bad_success.has_value());
  EXPECT_THAT(bad_success.error().message, HasSubstr("--slack-template-success:1:1"));
  auto bad_failure = Messages::Create("", "x\n{{.Errors");
  ASSERT_FALSE(bad_failure.has_value());
  EXPECT_THAT(bad_failure.error().message, HasSubstr("--slack-template-failure:2:1"));
}

Destination Slack(std::string channel = "") {
  return {DestinationKind::kSlack,
          "https://hooks.slack.com/services/T/B/x",
          std::move(channel),
          "",
          "",
          ""};
}

TEST(SlackPayloadTest, SuccessGolden) {
  ExpectGolden("slack_success.json", SlackPayload(LinkedSuccess(), Defaults(), Slack()));
}

TEST(SlackPayloadTest, FailureGolden) {
  ExpectGolden("slack_failure.json", SlackPayload(StagedFailure(), Defaults(), Slack()));
}

TEST(SlackPayloadTest, ResolvedGolden) {
  ExpectGolden("slack_resolved.json", SlackPayload(Resolved(), Defaults(), Slack()));
}

TEST(SlackPayloadTest, FallbackTextColourAndCommitLink) {
  auto json = nlohmann::json::parse(SlackPayload(LinkedSuccess(), Defaults(), Slack("#ops")));
  EXPECT_EQ(json["channel"], "#ops");
  EXPECT_THAT(json["text"].get<std::string>(),
              HasSubstr("default:deployment/web web: nginx:1.25.1 -> nginx:1.25.2"))
      << "values are escaped, the template's own text is not";
  const auto& attachment = json["attachments"][0];
  EXPECT_EQ(attachment["color"], "#2eb886");
  EXPECT_EQ(attachment["fallback"], json["text"]);
  std::string title = attachment["blocks"][0]["text"]["text"];
  EXPECT_EQ(
      title,
      "*Released 2 images to main* · commit "
      "<https://github.com/org/fleet/commit/0123456789abcdef0123456789abcdef01234567|0123456>");
  EXPECT_EQ(attachment["blocks"][1]["text"]["text"],
            "*Changes*\n• default:deployment/web web 1.25.1 -&gt; 1.25.2\n"
            "• prod:statefulset/db pg 15.3 -&gt; 15.4");
}

TEST(SlackPayloadTest, SuccessWithErrorsIsAWarning) {
  Event e = LinkedSuccess();
  e.errors = {"apps/broken.yaml: does not parse"};
  auto json = nlohmann::json::parse(SlackPayload(e, Defaults(), Slack()));
  EXPECT_EQ(json["attachments"][0]["color"], "#daa038");
  EXPECT_THAT(json.dump(), HasSubstr("The same cycle had 1 error"));
}

TEST(SlackPayloadTest, UserTemplateIsTheTextAndTheBody) {
  auto m = Messages::Create("{{range .Changes}}{{.Container}}={{.NewTag}} {{end}}", "");
  ASSERT_TRUE(m.has_value());
  auto json = nlohmann::json::parse(SlackPayload(test::SuccessEvent(), *m, Slack()));
  EXPECT_EQ(json["text"], "web=1.25.2 pg=15.4 ");
  EXPECT_EQ(json["attachments"][0]["blocks"].size(), 1u);
  EXPECT_EQ(json["attachments"][0]["blocks"][0]["text"]["text"], "web=1.25.2 pg=15.4 ");
}

TEST(SlackPayloadTest, ManyErrorsAreCutToTwentyLinesAndCounted) {
  Event e = test::FailureEvent({});
  for (int i = 0; i < 45; ++i)
    e.errors.push_back(EventError(Stage::kRegistry, "e" + std::to_string(i)));
  e.errors.push_back(EventError(Stage::kScan, std::string(5000, 'x')));
  auto json = nlohmann::json::parse(SlackPayload(e, Defaults(), Slack()));
  std::string blocks = json["attachments"][0]["blocks"].dump();
  EXPECT_THAT(blocks, AllOf(HasSubstr("and 26 more"), HasSubstr("e18"), Not(HasSubstr("e19"))));
  EXPECT_THAT(blocks, HasSubstr("*Scan (1)*")) << "stages in cycle order: scan before registry";
  std::string text = json["text"];
  EXPECT_THAT(text, AllOf(HasSubstr("e19\nand 26 more"), Not(HasSubstr("e20"))));
  EXPECT_LT(json.dump().size(), 40'000u) << "Slack rejects huge messages";
}

TEST(SlackPayloadTest, InvalidUtf8IsReplacedNotThrown) {
  Event e = test::FailureEvent({"bad \xff byte"});
  auto json = nlohmann::json::parse(SlackPayload(e, Defaults(), Slack()));
  EXPECT_THAT(json["text"].get<std::string>(), HasSubstr("bad \xEF\xBF\xBD byte"));
}

TEST(ChatPayloadTest, TeamsGolden) {
  ExpectGolden("teams_success.json", TeamsPayload(LinkedSuccess(), Defaults()));
  ExpectGolden("teams_failure.json", TeamsPayload(StagedFailure(), Defaults()));
}

TEST(ChatPayloadTest, DiscordGolden) {
  ExpectGolden("discord_success.json", DiscordPayload(LinkedSuccess(), Defaults()));
  ExpectGolden("discord_failure.json", DiscordPayload(StagedFailure(), Defaults()));
}

TEST(ChatPayloadTest, GoogleChatGolden) {
  ExpectGolden("googlechat_success.json", GoogleChatPayload(LinkedSuccess(), Defaults()));
  ExpectGolden("googlechat_failure.json", GoogleChatPayload(StagedFailure(), Defaults()));
}

TEST(ChatPayloadTest, UserTemplateIsTheBodyEverywhere) {
  auto m = Messages::Create("", "{{range .Errors}}<{{.Stage}}> {{end}}");
  ASSERT_TRUE(m.has_value());
  Event e = StagedFailure();
  EXPECT_THAT(TeamsPayload(e, *m), HasSubstr("<registry> <scan> <push>"));
  EXPECT_THAT(DiscordPayload(e, *m), HasSubstr("<registry> <scan> <push>"));
  EXPECT_THAT(GoogleChatPayload(e, *m), HasSubstr("&lt;registry&gt; &lt;scan&gt;"));
}

TEST(DeliveryRequestTest, PostsJsonToTheDestination) {
  PostRequest r = DeliveryRequest(Slack("#ops"), test::SuccessEvent(), Defaults());
  EXPECT_EQ(r.url, "https://hooks.slack.com/services/T/B/x");
  EXPECT_THAT(r.headers, UnorderedElementsAre(Pair("Content-Type", "application/json")));
  EXPECT_EQ(nlohmann::json::parse(r.body)["channel"], "#ops");
}

TEST(HmacTest, Rfc4231Vectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

Destination Webhook(std::string secret) {
  return {DestinationKind::kWebhook, "https://hook.example/x", "", "", "", std::move(secret)};
}

TEST(WebhookRequestTest, BodyIsTheEventAsJson) {
  PostRequest r = DeliveryRequest(Webhook(""), test::SuccessEvent(), Defaults());
  EXPECT_THAT(r.headers, UnorderedElementsAre(Pair("Content-Type", "application/json")));
  auto json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["kind"], "success");
  EXPECT_EQ(json["time"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(json["repo"], "https://git.example.com/fleet.git");
  EXPECT_EQ(json["branch"], "main");
  EXPECT_EQ(json["commit"], "0123456789abcdef0123456789abcdef01234567");
  ASSERT_EQ(json["changes"].size(), 2u);
  EXPECT_EQ(json["changes"][0], nlohmann::json({{"workload", "default:deployment/web"},
                                                {"container", "web"},
                                                {"old", "nginx:1.25.1"},
                                                {"new", "nginx:1.25.2"},
                                                {"image", "nginx"},
                                                {"old_tag", "1.25.1"},
                                                {"new_tag", "1.25.2"}}));
  EXPECT_EQ(json["errors"], nlohmann::json::array());
  EXPECT_THAT(json["text"].get<std::string>(), HasSubstr("nginx:1.25.1 -> nginx:1.25.2"))
      << "webhook text is not Slack-escaped";
}

TEST(WebhookRequestTest, ErrorsStayStringsWithDetailsAlongside) {
  auto json = nlohmann::json::parse(DeliveryRequest(Webhook(""), StagedFailure(), Defaults()).body);
  EXPECT_EQ(json["errors"][0], "registry.example.com: HTTP 503 <Service Unavailable>");
  EXPECT_EQ(json["error_details"][0]["stage"], "registry");
}

TEST(WebhookRequestTest, SignedWithHmacOfTheExactBodyWhenSecretSet) {
  PostRequest r = DeliveryRequest(Webhook("s3cret"), test::FailureEvent(), Defaults());
  std::string signature;
  for (const auto& [name, value] : r.headers) {
    if (name == kSignatureHeader) signature = value;
  }
  EXPECT_EQ(signature, "sha256=" + HmacSha256Hex("s3cret", r.body));
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"].size(), 2u);
  EXPECT_THAT(r.body, Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace tagflow::notify
