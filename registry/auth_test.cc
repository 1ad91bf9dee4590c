#include "registry/auth.h"

#include <gtest/gtest.h>

#include "base/fake_http.h"

namespace tagflow::registry {
namespace {

using std::chrono::seconds;

TEST(ChallengeTest, ParsesBearerWithQuotedParameters) {
  auto c = ParseChallenge(
      R"(Bearer realm="https://auth.example.io/token",service="registry.example.io",scope="repository:a/b:pull,push")");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->scheme, "bearer");
  EXPECT_EQ(c->Param("realm"), "https://auth.example.io/token");
  EXPECT_EQ(c->Param("service"), "registry.example.io");
  EXPECT_EQ(c->Param("scope"), "repository:a/b:pull,push");
  EXPECT_EQ(c->Param("missing"), "");
}

TEST(ChallengeTest, ParsesBasicUnquotedEscapesAndSpacing) {
  auto basic = ParseChallenge(R"(Basic realm="Registry Realm")");
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->scheme, "basic");
  EXPECT_EQ(basic->Param("realm"), "Registry Realm");

  auto loose = ParseChallenge(R"(  BEARER  Realm = token , service=svc, error="a\"b")");
  ASSERT_TRUE(loose);
  EXPECT_EQ(loose->scheme, "bearer");
  EXPECT_EQ(loose->Param("realm"), "token");
  EXPECT_EQ(loose->Param("service"), "svc");
  EXPECT_EQ(loose->Param("error"), "a\"b");
}

TEST(ChallengeTest, RejectsMalformedHeaders) {
  EXPECT_FALSE(ParseChallenge(""));
  EXPECT_FALSE(ParseChallenge("   "));
  EXPECT_FALSE(ParseChallenge(R"(Bearer realm="unterminated)"));
}

class AuthenticatorTest : public ::testing::Test {
 protected:
  Challenge Bearer() {
    return *ParseChallenge(R"(Bearer realm="https://auth.test/token",service="reg.test")");
  }

  FakeClock clock_;
  int expires_in_ = 300;
  FakeHttpClient http_{[this](const HttpRequest& r) -> Result<HttpResponse> {
    std::string auth;
    for (const auto& [k, v] : r.headers) {
      if (k == "Authorization") auth = v;
    }
    if (!auth.empty() && auth != BasicAuthorization({"alice", "right-password"})) {
      return FakeHttpClient::Reply(401, R"({"details":"bad"})");
    }
    return FakeHttpClient::Reply(200, R"({"token":"tok-)" +
                                          std::to_string(http_.requests().size()) +
                                          R"(","expires_in":)" + std::to_string(expires_in_) + "}");
  }};
  Authenticator auth_{http_, clock_, std::chrono::seconds(5)};
};

TEST_F(AuthenticatorTest, FetchesTokenWithServiceScopeAndCredentials) {
  auto header = auth_.Authorization("reg.test", Bearer(), "repository:team/app:pull",
                                    Credentials{"alice", "right-password"});
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(*header, "Bearer tok-1");
  auto sent = http_.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].url,
            "https://auth.test/token?service=reg.test&scope=repository%3Ateam%2Fapp%3Apull");
  EXPECT_EQ(sent[0].headers.at(0).second, BasicAuthorization({"alice", "right-password"}));
}

TEST_F(AuthenticatorTest, CachesTokensPerScopeUntilTheyExpire) {
  auto fetch = [&](const char* scope) {
    return *auth_.Authorization("reg.test", Bearer(), scope, std::nullopt);
  };
  EXPECT_EQ(fetch("repository:a:pull"), "Bearer tok-1");
  EXPECT_EQ(fetch("repository:a:pull"), "Bearer tok-1");
  EXPECT_EQ(fetch("repository:b:pull"), "Bearer tok-2");
  EXPECT_EQ(auth_.token_fetches(), 2u);
  clock_.Advance(seconds(280));  // within 300 s less the safety margin
  EXPECT_EQ(fetch("repository:a:pull"), "Bearer tok-1");
  clock_.Advance(seconds(15));
  EXPECT_EQ(fetch("repository:a:pull"), "Bearer tok-3");
  EXPECT_EQ(*auth_.Authorization("reg.test", Bearer(), "repository:a:pull", std::nullopt, true),
            "Bearer tok-4");
}

TEST_F(AuthenticatorTest, ShortTokensDefaultTo60Seconds) {
  expires_in_ = 0;  // absent or zero: 60 s
  EXPECT_EQ(*auth_.Authorization("reg.test", Bearer(), "s", std::nullopt), "Bearer tok-1");
  clock_.Advance(seconds(40));
  EXPECT_EQ(*auth_.Authorization("reg.test", Bearer(), "s", std::nullopt), "Bearer tok-1");
  clock_.Advance(seconds(20));
  EXPECT_EQ(*auth_.Authorization("reg.test", Bearer(), "s", std::nullopt), "Bearer tok-2");
}

TEST_F(AuthenticatorTest, RefusedCredentialsNameHostAndUserButNotPassword) {
  auto header = auth_.Authorization("reg.test", Bearer(), "repository:a:pull",
                                    Credentials{"alice", "wrong-password"});
  ASSERT_FALSE(header);
  EXPECT_EQ(header.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(header.error().message.find("reg.test"), std::string::npos);
  EXPECT_NE(header.error().message.find("alice"), std::string::npos);
  EXPECT_EQ(header.error().message.find("wrong-password"), std::string::npos);
}

TEST_F(AuthenticatorTest, BasicAndNoChallenge) {
  auto basic = *ParseChallenge(R"(Basic realm="r")");
  EXPECT_EQ(*auth_.Authorization("h", basic, "s", Credentials{"u", "p"}), "Basic dTpw");
  EXPECT_EQ(*auth_.Authorization("h", basic, "s", std::nullopt), "");
  EXPECT_EQ(*auth_.Authorization("h", Challenge{}, "s", Credentials{"u", "p"}), "");
  EXPECT_TRUE(http_.requests().empty());
}

TEST(AuthenticatorErrorsTest, TokenServiceFailuresAreClassified) {
  FakeClock clock;
  int status = 503;
  std::string body;
  FakeHttpClient http([&](const HttpRequest&) { return FakeHttpClient::Reply(status, body); });
  Authenticator auth(http, clock, std::chrono::seconds(5));
  auto challenge = *ParseChallenge(R"(Bearer realm="https://auth.test/token")");
  EXPECT_EQ(auth.Authorization("r", challenge, "s", std::nullopt).error().kind,
            ErrorKind::kTransient);
  status = 200;
  body = "<html>garbage</html>";
  auto garbage = auth.Authorization("r", challenge, "s", std::nullopt);
  ASSERT_FALSE(garbage);
  EXPECT_NE(garbage.error().message.find("no token"), std::string::npos);
  status = 401;
  auto anonymous = auth.Authorization("r", challenge, "s", std::nullopt);
  EXPECT_EQ(anonymous.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(anonymous.error().message.find("--docker-config"), std::string::npos);
  auto no_realm = auth.Authorization("r", *ParseChallenge("Bearer service=x"), "s", std::nullopt);
  EXPECT_EQ(no_realm.error().kind, ErrorKind::kInvalidInput);
}

}  // namespace
}  // namespace tagflow::registry

namespace tagflow::registry {
namespace {

TEST(RefreshGrantTest, AnIdentityTokenIsExchangedByPostingTheGrant) {
  FakeClock clock;
  FakeHttpClient http([](const HttpRequest& r) -> Result<HttpResponse> {
    if (r.method != "POST") return FakeHttpClient::Reply(405);
    return FakeHttpClient::Reply(200, R"({"access_token":"acc-1","expires_in":300})");
  });
  Authenticator auth(http, clock, std::chrono::seconds(5));
  Challenge bearer =
      *ParseChallenge(R"(Bearer realm="https://auth.test/token",service="reg.test")");
  Credentials identity{std::string(kIdentityTokenUser), "idt/with+chars"};
  auto header = auth.Authorization("reg.test", bearer, "repository:team/app:pull", identity);
  ASSERT_TRUE(header) << header.error().message;
  EXPECT_EQ(*header, "Bearer acc-1");
  auto sent = http.requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].url, "https://auth.test/token");
  EXPECT_EQ(sent[0].body,
            "grant_type=refresh_token&refresh_token=idt%2Fwith%2Bchars&client_id=tagflow"
            "&service=reg.test&scope=repository%3Ateam%2Fapp%3Apull");
  for (const auto& [k, v] : sent[0].headers) EXPECT_NE(k, "Authorization");  // no Basic
  // Cached like any token; a Basic challenge gets nothing from an identity token.
  ASSERT_TRUE(auth.Authorization("reg.test", bearer, "repository:team/app:pull", identity));
  EXPECT_EQ(http.requests().size(), 1u);
  EXPECT_EQ(*auth.Authorization("reg.test", *ParseChallenge("Basic realm=x"), "", identity), "");
}

TEST(RefreshGrantTest, ARefusedGrantNamesTheHostNotTheToken) {
  FakeClock clock;
  FakeHttpClient http([](const HttpRequest&) -> Result<HttpResponse> {
    return FakeHttpClient::Reply(400, R"({"error":"invalid_grant"})");
  });
  Authenticator auth(http, clock, std::chrono::seconds(5));
  Challenge bearer = *ParseChallenge(R"(Bearer realm="https://auth.test/token")");
  auto refused = auth.Authorization("reg.test", bearer, "repository:a:pull",
                                    Credentials{std::string(kIdentityTokenUser), "idt-secret-x"});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(refused.error().message.find("reg.test"), std::string::npos);
  EXPECT_NE(refused.error().message.find("identity token"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("idt-secret"), std::string::npos);
}

TEST(TokenCacheTest, NewCredentialsOfTheSameUserGetANewToken) {
  FakeClock clock;
  int n = 0;
  FakeHttpClient http([&](const HttpRequest&) -> Result<HttpResponse> {
    return FakeHttpClient::Reply(200, R"({"token":"t)" + std::to_string(++n) + R"("})");
  });
  Authenticator auth(http, clock, std::chrono::seconds(5));
  Challenge bearer = *ParseChallenge(R"(Bearer realm="https://auth.test/token")");
  EXPECT_EQ(*auth.Authorization("r", bearer, "s", Credentials{"u", "old"}), "Bearer t1");
  EXPECT_EQ(*auth.Authorization("r", bearer, "s", Credentials{"u", "old"}), "Bearer t1");
  EXPECT_EQ(*auth.Authorization("r", bearer, "s", Credentials{"u", "rotated"}), "Bearer t2");
}

}  // namespace
}  // namespace tagflow::registry
