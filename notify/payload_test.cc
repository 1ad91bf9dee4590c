#include "notify/payload.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "notify/test_util.h"

namespace tagflow::notify {
namespace {

using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

Messages Defaults() {
  auto m = Messages::Create("", "");
  EXPECT_TRUE(m.has_value());
  return std::move(*m);
}

TEST(MessagesTest, DefaultSuccessTextListsChangesUnderTheCommit) {
  EXPECT_EQ(Defaults().Text(test::SuccessEvent(), /*for_slack=*/false),
            "Commit 0123456 on main: automated release of 2 image(s)\n"
            "default:deployment/web web: nginx:1.25.1 -> nginx:1.25.2\n"
            "prod:statefulset/db pg: postgres:15.3 -> postgres:15.4");
}

TEST(MessagesTest, DefaultFailureTextListsErrorsEscapedForSlack) {
  EXPECT_EQ(Defaults().Text(test::FailureEvent(), /*for_slack=*/true),
            "Automation failed on main: 2 error(s)\n"
            "apps/web.yaml: line 3: mapping values are not allowed here\n"
            "registry.example.com: HTTP 503 &lt;Service Unavailable&gt;");
}

TEST(MessagesTest, DefaultResolvedText) {
  Event e = test::FailureEvent({"x"});
  e.kind = EventKind::kResolved;
  EXPECT_EQ(Defaults().Text(e, false),
            "Resolved: automation on main is healthy again "
            "(1 error(s) cleared)");
}

TEST(MessagesTest, UserTemplatesReplaceSuccessAndFailureOnly) {
  auto m = Messages::Create("ok {{.ShortCommit}}", "bad {{.Count}}");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->Text(test::SuccessEvent(), true), "ok 0123456");
  EXPECT_EQ(m->Text(test::FailureEvent(), true), "bad 2");
  Event resolved = test::FailureEvent();
  resolved.kind = EventKind::kResolved;
  EXPECT_THAT(m->Text(resolved, true), HasSubstr("Resolved"));
}

TEST(MessagesTest, InvalidTemplateNamesItsFlag) {
  auto bad_success = Messages::Create("{{.Nope}}", "");
  ASSERT_FALSE(bad_success.has_value());
  EXPECT_THAT(bad_success.error().message, HasSubstr("--slack-template-success"));
  auto bad_failure = Messages::Create("", "{{.Errors");
  ASSERT_FALSE(bad_failure.has_value());
  EXPECT_THAT(bad_failure.error().message, HasSubstr("--slack-template-failure"));
}

TEST(SlackPayloadTest, OptionalFieldsOnlyWhenSet) {
  EXPECT_EQ(nlohmann::json::parse(SlackPayload("hi", {"https://x/y", "", "", ""})),
            nlohmann::json({{"text", "hi"}}));
  EXPECT_EQ(nlohmann::json::parse(SlackPayload(
                "hi \"there\"\n", {"https://x/y", "#deploys", "tagflow", "https://i/icon.png"})),
            nlohmann::json({{"text", "hi \"there\"\n"},
                            {"channel", "#deploys"},
                            {"username", "tagflow"},
                            {"icon_url", "https://i/icon.png"}}));
}

TEST(SlackPayloadTest, InvalidUtf8IsReplacedNotThrown) {
  auto json = nlohmann::json::parse(SlackPayload("bad \xff byte", {}));
  EXPECT_EQ(json["text"], "bad \xEF\xBF\xBD byte");
}

TEST(SlackRequestTest, PostsJsonToTheWebhook) {
  PostRequest r = SlackRequest(test::SuccessEvent(), Defaults(),
                               {"https://hooks.slack.com/services/T/B/x", "#ops", "", ""});
  EXPECT_EQ(r.url, "https://hooks.slack.com/services/T/B/x");
  EXPECT_THAT(r.headers, UnorderedElementsAre(Pair("Content-Type", "application/json")));
  auto json = nlohmann::json::parse(r.body);
  EXPECT_EQ(json["channel"], "#ops");
  EXPECT_THAT(json["text"].get<std::string>(),
              HasSubstr("default:deployment/web web: nginx:1.25.1 -&gt; nginx:1.25.2"));
}

TEST(HmacTest, Rfc4231Vectors) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231 test case 1: key 0x0b * 20, "Hi There".
  EXPECT_EQ(HmacSha256Hex(std::string(20, '\x0b'), "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(WebhookRequestTest, BodyIsTheEventAsJson) {
  PostRequest r = WebhookRequest(test::SuccessEvent(), Defaults(), "https://hook.example/x", "");
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
                                                {"new", "nginx:1.25.2"}}));
  EXPECT_EQ(json["errors"], nlohmann::json::array());
  EXPECT_THAT(json["text"].get<std::string>(), HasSubstr("nginx:1.25.1 -> nginx:1.25.2"))
      << "webhook text is not Slack-escaped";
}

TEST(WebhookRequestTest, SignedWithHmacOfTheExactBodyWhenSecretSet) {
  PostRequest r =
      WebhookRequest(test::FailureEvent(), Defaults(), "https://hook.example/x", "s3cret");
  std::string signature;
  for (const auto& [name, value] : r.headers) {
    if (name == kSignatureHeader) signature = value;
  }
  EXPECT_EQ(signature, "sha256=" + HmacSha256Hex("s3cret", r.body));
  EXPECT_EQ(nlohmann::json::parse(r.body)["errors"].size(), 2u);
  EXPECT_THAT(r.body, ::testing::Not(HasSubstr("s3cret")));
}

}  // namespace
}  // namespace tagflow::notify
