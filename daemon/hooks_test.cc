#include "daemon/hooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tagflow::daemon {
namespace {

using ::testing::ElementsAre;

TEST(HmacTest, MatchesKnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(WebhookAuthorizedTest, EmptySecretAdmitsEveryone) {
  EXPECT_TRUE(WebhookAuthorized("", {}, "{}", ""));
}

TEST(WebhookAuthorizedTest, AcceptsBearerTokenOnlyWhenEqual) {
  EXPECT_TRUE(WebhookAuthorized("s3cret", {{"authorization", "Bearer s3cret"}}, "", ""));
  EXPECT_TRUE(WebhookAuthorized("s3cret", {{"authorization", "bearer s3cret"}}, "", ""));
  EXPECT_FALSE(WebhookAuthorized("s3cret", {{"authorization", "Bearer s3cre"}}, "", ""));
  EXPECT_FALSE(WebhookAuthorized("s3cret", {{"authorization", "Basic s3cret"}}, "", ""));
  EXPECT_FALSE(WebhookAuthorized("s3cret", {}, "", ""));
}

TEST(WebhookAuthorizedTest, AcceptsHmacOfTheBody) {
  std::string body = R"({"events":[]})";
  std::string sig = HmacSha256Signature("s3cret", body);
  EXPECT_TRUE(WebhookAuthorized("s3cret", {{"x-hub-signature-256", sig}}, body, ""));
  EXPECT_TRUE(WebhookAuthorized("s3cret", {{"x-tagflow-signature", sig}}, body, ""));
  EXPECT_FALSE(WebhookAuthorized("s3cret", {{"x-hub-signature-256", sig}}, body + " ", ""));
  EXPECT_FALSE(WebhookAuthorized("other", {{"x-hub-signature-256", sig}}, body, ""));
}

TEST(WebhookAuthorizedTest, AcceptsQueryToken) {
  EXPECT_TRUE(WebhookAuthorized("s3cret", {}, "", "s3cret"));
  EXPECT_FALSE(WebhookAuthorized("s3cret", {}, "", "nope"));
}

TEST(AuthorizeHeadersTest, DecidesWhatItCanBeforeTheBody) {
  EXPECT_EQ(AuthorizeHeaders("", {}, ""), HeaderAuth::kGranted);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {{"authorization", "Bearer s3cret"}}, ""),
            HeaderAuth::kGranted);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {}, "s3cret"), HeaderAuth::kGranted);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {{"x-hub-signature-256", "sha256=00"}}, ""),
            HeaderAuth::kNeedsBody);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {{"x-tagflow-signature", "sha256=00"}}, ""),
            HeaderAuth::kNeedsBody);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {}, ""), HeaderAuth::kRefused);
  EXPECT_EQ(AuthorizeHeaders("s3cret", {{"authorization", "Bearer nope"}}, "nope"),
            HeaderAuth::kRefused);
}

TEST(WebhookAuthorizedTest, WrongBearerButRightSignatureIsAccepted) {
  std::string body = "{}";
  EXPECT_TRUE(WebhookAuthorized(
      "s3cret",
      {{"authorization", "Bearer nope"}, {"x-signature-256", HmacSha256Signature("s3cret", body)}},
      body, ""));
}

TEST(ParseRegistryNotificationTest, MalformedUtf8IsInvalidInput) {
  for (std::string body : {std::string(R"({"events":[{"action":"push","target":{"repository":"a)") +
                               "\xff" + R"("}}]})",
                           std::string("{\"events\":[]}\xc3"),
                           std::string(R"({"events":[{"action":")") + "\xed\xa0\x80" + R"("}]})"}) {
    auto repos = ParseRegistryNotification(body);
    ASSERT_FALSE(repos.has_value());
    EXPECT_EQ(repos.error().kind, ErrorKind::kInvalidInput);
  }
  EXPECT_FALSE(ParseDockerHubHook("{\"repository\":{\"repo_name\":\"a\xc3\"}}").has_value());
}

TEST(ParseRegistryNotificationTest, CollectsPushedRepositories) {
  std::string body = R"({"events":[
    {"action":"push","target":{"repository":"team/app","tag":"v2"},"request":{"host":"localhost:5000"}},
    {"action":"pull","target":{"repository":"team/other"},"request":{"host":"localhost:5000"}},
    {"action":"push","target":{"repository":"team/app","tag":"v3"},"request":{"host":"localhost:5000"}},
    {"action":"push","target":{"repository":"solo"}}]})";
  auto repos = ParseRegistryNotification(body);
  ASSERT_TRUE(repos.has_value()) << repos.error().message;
  EXPECT_THAT(*repos, ElementsAre("localhost:5000/team/app", "solo"));
}

TEST(ParseRegistryNotificationTest, RejectsGarbage) {
  EXPECT_FALSE(ParseRegistryNotification("not json").has_value());
  EXPECT_FALSE(ParseRegistryNotification(R"({"no":"events"})").has_value());
}

TEST(ParseDockerHubHookTest, ReadsRepoName) {
  auto repos =
      ParseDockerHubHook(R"({"push_data":{"tag":"v1"},"repository":{"repo_name":"org/app"}})");
  ASSERT_TRUE(repos.has_value());
  EXPECT_THAT(*repos, ElementsAre("docker.io/org/app"));
  EXPECT_FALSE(ParseDockerHubHook(R"({"push_data":{}})").has_value());
}

}  // namespace
}  // namespace tagflow::daemon
