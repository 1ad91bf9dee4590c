// The registry client against scripted local HTTP servers, for what a real
// docker-registry 2.8 cannot do: pagination, 429, garbage, odd auth flows.
#include "registry/client.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "registry/service.h"
#include "test/support/http_sink.h"

namespace tagflow::registry {
namespace {

using std::chrono::seconds;
using testing::HttpSink;
using Reply = HttpSink::Reply;

Reply Json(int status, std::string body, std::map<std::string, std::string> headers = {}) {
  return {.status = status,
          .body = std::move(body),
          .content_type = "application/json",
          .headers = std::move(headers)};
}

class ClientFakeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.insecure_hosts = {Host()};
    options_.timeout = std::chrono::milliseconds(2000);
    options_.rps = 0;
  }
  std::string Host() const { return "127.0.0.1:" + std::to_string(sink_.port()); }
  image::ImageRef Image(const std::string& path = "team/app") const {
    return *image::ImageRef::Parse(Host() + "/" + path);
  }
  RegistryService& Service() {
    if (!service_) {
      auto s = RegistryService::Create(options_, clock_);
      EXPECT_TRUE(s) << s.error().message;
      service_ = std::move(*s);
    }
    return *service_;
  }

  HttpSink sink_;
  FakeClock clock_;
  RegistryOptions options_;
  std::unique_ptr<RegistryService> service_;
};

TEST_F(ClientFakeServerTest, FollowsLinkPaginationAndSortsTags) {
  std::string base = "/v2/team/app/tags/list";
  sink_.QueueReplies({Json(200, "{}"),
                      Json(200, R"({"name":"team/app","tags":["b","a"]})",
                           {{"Link", "<" + base + "?n=2&last=b>; rel=\"next\""}}),
                      Json(200, R"({"name":"team/app","tags":["c","a"]})",
                           {{"Link", "<" + sink_.Url(base + "?n=2&last=c") + ">; rel=\"next\""}}),
                      Json(200, R"({"name":"team/app","tags":["10","d"]})")});
  auto tags = Service().client().ListTags(Image());
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"10", "a", "b", "c", "d"}));
  auto sent = sink_.Requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[0].path, "/v2/");
  EXPECT_EQ(sent[1].query, "n=1000");
  EXPECT_EQ(sent[2].query, "n=2&last=b");
  EXPECT_EQ(sent[3].query, "n=2&last=c");
}

TEST_F(ClientFakeServerTest, PageSizeRefusedFallsBackToServerDefault) {
  sink_.QueueReplies({Json(200, "{}"),
                      Json(400, R"({"errors":[{"code":"PAGINATION_NUMBER_INVALID"}]})"),
                      Json(200, R"({"tags":["x"]})")});
  auto tags = Service().client().ListTags(Image());
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"x"});
  EXPECT_EQ(sink_.Requests().at(2).query, "");
}

TEST_F(ClientFakeServerTest, PaginationToAnotherHostIsRefused) {
  HttpSink elsewhere;
  sink_.QueueReplies(
      {Json(200, "{}"), Json(200, R"({"tags":["a"]})",
                             {{"Link", "<" + elsewhere.Url("/v2/x") + ">; rel=\"next\""}})});
  auto tags = Service().client().ListTags(Image());
  ASSERT_FALSE(tags);
  EXPECT_EQ(elsewhere.RequestCount(), 0u);
}

TEST_F(ClientFakeServerTest, TooManyRequestsHonoursRetryAfter) {
  sink_.QueueReplies({Json(200, "{}"),
                      Json(429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})",
                           {{"Retry-After", "7"}}),
                      Json(200, R"({"tags":["only"]})")});
  auto tags = Service().client().ListTags(Image());
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"only"});
  EXPECT_EQ(clock_.slept(), seconds(7));  // waited on the fake clock, not for real
  auto m = Service().metrics().Read();
  EXPECT_EQ((m.requests[{Host(), RequestKind::kTags, 429}]), 1u);
  EXPECT_EQ((m.requests[{Host(), RequestKind::kTags, 200}]), 1u);
}

TEST_F(ClientFakeServerTest, PersistentRateLimitIsATransientErrorForThatHost) {
  sink_.QueueReplies({Json(200, "{}")});
  sink_.SetDefaultReply(Json(429, "", {{"Retry-After", "900"}}));
  auto tags = Service().client().ListTags(Image());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind, ErrorKind::kTransient);
  EXPECT_NE(tags.error().message.find(Host()), std::string::npos);
  EXPECT_EQ(clock_.slept(), seconds(0));
  EXPECT_TRUE(Service().limiter().BackoffUntil(Host()).has_value());
}

TEST_F(ClientFakeServerTest, GarbageBodiesAreErrorsNotCrashes) {
  sink_.QueueReplies({Json(200, "{}"), Json(200, "<html>oops</html>"),
                      Json(200, R"({"tags":"nope"})"), Json(200, "\x01\x02 binary"),
                      Json(200, "garbage config")});
  auto& client = Service().client();
  auto not_json = client.ListTags(Image());
  ASSERT_FALSE(not_json);
  EXPECT_EQ(not_json.error().kind, ErrorKind::kTransient);
  EXPECT_NE(not_json.error().message.find("not JSON"), std::string::npos);
  EXPECT_FALSE(client.ListTags(Image()));

  auto manifest = client.GetManifest(Image(), "v1");
  ASSERT_TRUE(manifest) << manifest.error().message;  // the digest is still known
  EXPECT_EQ(manifest->digest, Sha256Digest("\x01\x02 binary"));
  EXPECT_FALSE(manifest->problem.empty());

  auto config = client.GetImageConfig(Image(), Sha256Digest("the real config"));
  ASSERT_FALSE(config);
  EXPECT_NE(config.error().message.find("mismatch"), std::string::npos);
}

TEST_F(ClientFakeServerTest, ManifestDigestHeaderIsVerified) {
  std::string body =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:c"}})";
  sink_.QueueReplies(
      {Json(200, "{}"), Json(200, body, {{"Docker-Content-Digest", Sha256Digest(body)}}),
       Json(200, body, {{"Docker-Content-Digest", Sha256Digest("other")}}), Json(200, body)});
  auto& client = Service().client();
  auto good = client.GetManifest(Image(), "v1");
  ASSERT_TRUE(good);
  EXPECT_EQ(good->digest, Sha256Digest(body));
  EXPECT_EQ(good->manifest.config_digest, "sha256:c");
  EXPECT_EQ(sink_.Requests()[1].Header("accept"), ManifestAccept());
  EXPECT_FALSE(client.GetManifest(Image(), "v1"));
  auto by_wrong_digest = client.GetManifest(Image(), Sha256Digest("x"));
  ASSERT_FALSE(by_wrong_digest);
  EXPECT_EQ(by_wrong_digest.error().kind, ErrorKind::kInternal);
}

TEST_F(ClientFakeServerTest, ErrorsByStatus) {
  sink_.QueueReplies(
      {Json(200, "{}"),
       Json(
           404,
           R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"),
       Json(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"),
       Json(503, "down for maintenance"), Json(403, R"({"errors":[{"code":"DENIED"}]})"),
       Json(500, "internal server error")});
  auto& client = Service().client();
  auto unknown = client.ListTags(Image("no/such"));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(unknown.error().message.find("no/such"), std::string::npos);
  auto tag = client.GetManifest(Image(), "gone");
  EXPECT_EQ(tag.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(tag.error().message.find("MANIFEST_UNKNOWN"), std::string::npos);
  EXPECT_EQ(client.ListTags(Image()).error().kind, ErrorKind::kTransient);
  EXPECT_EQ(client.ListTags(Image()).error().kind, ErrorKind::kUnauthorized);
  auto broken = client.ListTags(Image());
  ASSERT_FALSE(broken);
  EXPECT_EQ(broken.error().kind, ErrorKind::kTransient);
  EXPECT_NE(broken.error().message.find("127.0.0.1"), std::string::npos) << broken.error().message;
}

TEST_F(ClientFakeServerTest, AnswersAFreshBearerChallengeOnceWithAToken) {
  HttpSink tokens;
  tokens.SetDefaultReply(Json(200, R"({"token":"t1","expires_in":300})"));
  std::string challenge = "Bearer realm=\"" + tokens.Url("/token") + "\",service=\"fake\"";
  sink_.QueueReplies(
      {Json(200, "{}"),  // /v2/ says open, the repository does not
       Json(401, "", {{"WWW-Authenticate", challenge + ",scope=\"repository:team/app:pull\""}}),
       Json(200, R"({"tags":["a"]})"), Json(200, R"({"tags":["b"]})")});
  auto& client = Service().client();
  ASSERT_TRUE(client.ListTags(Image()));
  auto again = client.ListTags(Image());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, std::vector<std::string>{"b"});
  auto sent = sink_.Requests();
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[1].Header("authorization"), "");
  EXPECT_EQ(sent[2].Header("authorization"), "Bearer t1");
  EXPECT_EQ(sent[3].Header("authorization"), "Bearer t1");  // cached, learned challenge kept
  ASSERT_EQ(tokens.RequestCount(), 1u);
  EXPECT_EQ(tokens.Requests()[0].query, "service=fake&scope=repository%3Ateam%2Fapp%3Apull");
  service_.reset();  // close kept-alive connections before `tokens` stops
}

TEST_F(ClientFakeServerTest, TagsOutsideTheGrammarAreNeverListed) {
  sink_.QueueReplies(
      {Json(200, "{}"),
       Json(200, R"({"tags":["v1","zz\nkind: Secret","zz\": x","zz#x","-x",)"
                 R"("","v2_b.3-c",")" +
                     std::string(129, 'a') + R"(",")" + std::string(128, 'a') + R"("]})")});
  auto tags = Service().client().ListTags(Image());
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{std::string(128, 'a'), "v1", "v2_b.3-c"}));
}

TEST(CredentialsForRealmTest, AnHttpRealmOfAnHttpsRegistryGetsNoCredentials) {
  std::optional<Credentials> creds = Credentials{"bot", "pw"};
  auto challenge = [](std::string realm) {
    Challenge c;
    c.scheme = "bearer";
    c.params["realm"] = std::move(realm);
    return c;
  };
  EXPECT_FALSE(
      CredentialsForRealm(creds, "https://reg.example", challenge("http://reg.example/t"), false));
  // Docker Hub: the realm is on another host, over https.
  EXPECT_TRUE(CredentialsForRealm(creds, "https://registry-1.docker.io",
                                  challenge("https://auth.docker.io/token"), false));
  // A registry that is plain http anyway, or named insecure, keeps them.
  EXPECT_TRUE(
      CredentialsForRealm(creds, "http://reg.example", challenge("http://reg.example/t"), false));
  EXPECT_TRUE(
      CredentialsForRealm(creds, "https://reg.example", challenge("http://reg.example/t"), true));
  EXPECT_FALSE(CredentialsForRealm(std::nullopt, "https://reg.example",
                                   challenge("https://reg.example/t"), false));
}

TEST_F(ClientFakeServerTest, NonRegistryHostIsInvalid) {
  options_.timeout = std::chrono::milliseconds(300);  // the https retry gets nowhere
  sink_.SetDefaultReply({.status = 404, .body = "not here"});
  auto ping = Service().client().Ping(Host());
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(ping.error().message.find("v2 API"), std::string::npos);
}

TEST_F(ClientFakeServerTest, HangingRegistryTimesOut) {
  options_.timeout = std::chrono::milliseconds(300);
  sink_.SetDefaultReply({.delay = std::chrono::milliseconds(10'000)});
  auto start = std::chrono::steady_clock::now();
  auto tags = Service().client().ListTags(Image());
  ASSERT_FALSE(tags);
  EXPECT_EQ(tags.error().kind, ErrorKind::kTransient);
  EXPECT_NE(tags.error().message.find(Host()), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, seconds(3));
}

}  // namespace
}  // namespace tagflow::registry
