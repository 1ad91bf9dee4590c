#include "daemon/hooks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "base/encoding.h"
#include "test/support/process.h"

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

// A payload recorded from the provider's documented example
// (daemon/testdata/hooks/).
std::string Fixture(const std::string& name) {
  std::string text =
      testing::ReadFile(std::filesystem::path(TAGFLOW_DAEMON_TESTDATA) / "hooks" / name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

TEST(HarborHookTest, PushArtifactNamesTheResourceImage) {
  auto images = ParseHarborHook(Fixture("harbor_push_artifact.json"));
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_THAT(*images, ElementsAre("harbor.example.com/team/web"));
  // Other events run nothing; a push without resources falls back to the path.
  EXPECT_THAT(*ParseHarborHook(R"({"type":"PULL_ARTIFACT","event_data":{}})"), ElementsAre());
  EXPECT_THAT(
      *ParseHarborHook(
          R"({"type":"PUSH_ARTIFACT","event_data":{"repository":{"repo_full_name":"p/r"}}})"),
      ElementsAre("p/r"));
  auto bad = ParseHarborHook(R"({"type":"PUSH_ARTIFACT","event_data":{}})");
  ASSERT_FALSE(bad);
  EXPECT_THAT(bad.error().message, ::testing::HasSubstr("Harbor webhook"));
}

TEST(QuayHookTest, RepositoryPushNamesDockerUrl) {
  auto images = ParseQuayHook(Fixture("quay_repository_push.json"));
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_THAT(*images, ElementsAre("quay.io/team/web"));
  EXPECT_FALSE(ParseQuayHook(R"({"updated_tags":["x"]})"));
}

TEST(GitHubHookTest, PackageAndRegistryPackageEventsNameTheGhcrImage) {
  auto package = ParseGitHubHook("package", Fixture("github_package_published.json"));
  ASSERT_TRUE(package) << package.error().message;
  EXPECT_THAT(*package, ElementsAre("ghcr.io/example-org/web"));
  auto registry =
      ParseGitHubHook("registry_package", Fixture("github_registry_package_published.json"));
  ASSERT_TRUE(registry) << registry.error().message;
  EXPECT_THAT(*registry, ElementsAre("ghcr.io/example-org/api"));
  // Without the header the event is told by the payload.
  EXPECT_THAT(*ParseGitHubHook("", Fixture("github_registry_package_published.json")),
              ElementsAre("ghcr.io/example-org/api"));
  EXPECT_THAT(*ParseGitHubHook("ping", R"({"zen":"Keep it simple.","hook_id":1})"), ElementsAre());
  EXPECT_THAT(
      *ParseGitHubHook("package",
                       R"({"action":"published","package":{"package_type":"npm","name":"x"}})"),
      ElementsAre());
  // No package_url: namespace and name.
  EXPECT_THAT(
      *ParseGitHubHook("package", R"({"action":"published","package":{"package_type":"container",
        "name":"App","namespace":"Org","package_version":{}}})"),
      ElementsAre("ghcr.io/org/app"));
  EXPECT_FALSE(ParseGitHubHook("package", R"({"action":"published"})"));
}

TEST(AcrHookTest, PushNamesHostAndRepository) {
  auto images = ParseAcrHook(Fixture("acr_push.json"));
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_THAT(*images, ElementsAre("example.azurecr.io/team/web"));
  EXPECT_THAT(*ParseAcrHook(R"({"action":"delete","target":{"repository":"a"}})"), ElementsAre());
  EXPECT_FALSE(ParseAcrHook(R"({"action":"push","target":{}})"));
}

TEST(GcrHookTest, PubSubEnvelopeWithBase64Message) {
  auto images = ParseGcrPushMessage(Fixture("gcr_pubsub_push.json"));
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_THAT(*images, ElementsAre("us-docker.pkg.dev/example-project/apps/web"));
  auto envelope = [](const std::string& data) {
    return R"({"message":{"data":")" + Base64Encode(data) + R"("},"subscription":"s"})";
  };
  EXPECT_THAT(*ParseGcrPushMessage(envelope(R"({"action":"INSERT","digest":"gcr.io/p/app@sha256:)" +
                                            std::string(64, 'a') + "\"}")),
              ElementsAre("gcr.io/p/app"));
  EXPECT_THAT(*ParseGcrPushMessage(envelope(R"({"action":"DELETE","tag":"gcr.io/p/app:v1"})")),
              ElementsAre());
  auto not_base64 = ParseGcrPushMessage(R"({"message":{"data":"%%%"}})");
  ASSERT_FALSE(not_base64);
  EXPECT_THAT(not_base64.error().message, ::testing::HasSubstr("base64"));
  EXPECT_FALSE(ParseGcrPushMessage(envelope("not json")));
  EXPECT_FALSE(ParseGcrPushMessage(R"({"subscription":"s"})"));
}

TEST(GenericHookTest, ImageWithOrWithoutTag) {
  auto images = ParseGenericHook(Fixture("generic.json"));
  ASSERT_TRUE(images) << images.error().message;
  EXPECT_THAT(*images, ElementsAre("registry.example.com:5000/team/web"));
  EXPECT_THAT(*ParseGenericHook(R"({"image":"localhost:5000/web:v2"})"),
              ElementsAre("localhost:5000/web"));
  EXPECT_FALSE(ParseGenericHook(R"({"tag":"v1"})"));
  EXPECT_FALSE(ParseGenericHook(R"({"image":"UPPER/Case:x"})"));
  EXPECT_FALSE(ParseGenericHook(R"({"image":42})"));
}

TEST(HookParsersTest, EveryReceiverRefusesMalformedBodies) {
  for (std::string body : {std::string("not json"), std::string("[1,2]"),
                           std::string("{\"image\":\"a\xff\"}"), std::string(100, '[')}) {
    EXPECT_FALSE(ParseHarborHook(body)) << body;
    EXPECT_FALSE(ParseQuayHook(body)) << body;
    EXPECT_FALSE(ParseGitHubHook("package", body)) << body;
    EXPECT_FALSE(ParseAcrHook(body)) << body;
    EXPECT_FALSE(ParseGcrPushMessage(body)) << body;
    auto generic = ParseGenericHook(body);
    ASSERT_FALSE(generic) << body;
    EXPECT_EQ(generic.error().kind, ErrorKind::kInvalidInput);
  }
}

TEST(AnnouncedImageMatchesTest, ComparesCanonicalNamesOrPathsWithoutHost) {
  auto ref = [](const char* s) { return *image::ImageRef::Parse(s); };
  EXPECT_TRUE(AnnouncedImageMatches("localhost:5000/web", ref("localhost:5000/web:v1")));
  EXPECT_FALSE(AnnouncedImageMatches("localhost:5001/web", ref("localhost:5000/web:v1")));
  EXPECT_TRUE(AnnouncedImageMatches("docker.io/library/nginx", ref("nginx:1.25")));
  EXPECT_TRUE(AnnouncedImageMatches("docker.io/org/app", ref("org/app:1")));
  EXPECT_TRUE(AnnouncedImageMatches("team/web", ref("reg.example/team/web:1")));
  EXPECT_FALSE(AnnouncedImageMatches("team/api", ref("reg.example/team/web:1")));
  EXPECT_FALSE(AnnouncedImageMatches("ghcr.io/example-org/web", ref("ghcr.io/example-org/api:1")));
}

}  // namespace
}  // namespace tagflow::daemon
