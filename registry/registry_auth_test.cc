// The client against real docker-registry 2.8 servers behind htpasswd
// (bcrypt) and behind token auth with the test token issuer.
#include <gtest/gtest.h>

#include "base/encoding.h"
#include "registry/service.h"
#include "test/support/registry_server.h"

namespace tagflow::registry {
namespace {

using testing::RegistryServer;
using testing::SyntheticImage;

class AuthRegistryTest : public ::testing::Test {
 protected:
  // Writes a config.json with `password` for the server's user and builds a
  // service reading it ("" = no config file).
  std::unique_ptr<RegistryService> Service(RegistryServer& server, const std::string& password) {
    RegistryOptions o;
    o.insecure_hosts = {server.host()};
    o.rps = 0;
    o.timeout = std::chrono::seconds(5);
    if (!password.empty()) {
      auto path = dir_.path() / ("config-" + password + ".json");
      testing::WriteFile(path, R"({"auths":{"http://)" + server.host() + R"(/v2/":{"auth":")" +
                                   Base64Encode(server.options().username + ":" + password) +
                                   "\"}}}");
      o.docker_configs = {path.string()};
    }
    auto s = RegistryService::Create(o, clock_);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  static image::ImageRef Image(RegistryServer& server, const std::string& path) {
    return *image::ImageRef::Parse(server.host() + "/" + path);
  }
  static SyntheticImage At(const char* created) {
    SyntheticImage s;
    s.created = created;
    return s;
  }
  static void ExpectRefused(const Result<std::vector<std::string>>& r, RegistryServer& server,
                            const std::string& secret) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ErrorKind::kUnauthorized) << r.error().message;
    EXPECT_NE(r.error().message.find(server.host()), std::string::npos) << r.error().message;
    EXPECT_EQ(r.error().message.find(secret), std::string::npos) << r.error().message;
  }

  testing::TempDir dir_;
  SystemClock clock_;
};

TEST_F(AuthRegistryTest, Htpasswd) {
  RegistryServer server({.auth = RegistryServer::Auth::kHtpasswd});
  server.PushImage("private/app", "1.0", At("2024-01-01T00:00:00Z"));
  server.PushImage("private/app", "1.1", At("2024-02-01T00:00:00Z"));

  auto good = Service(server, server.options().password);
  auto tags = good->client().ListTags(Image(server, "private/app"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"1.0", "1.1"}));
  auto scan = good->scanner().ScanRepository(
      {Image(server, "private/app"), {*image::TagFilter::Parse("*")}, {}});
  ASSERT_TRUE(scan) << scan.error().message;
  EXPECT_EQ(FormatRfc3339(*scan->back().created), "2024-02-01T00:00:00Z");

  ExpectRefused(Service(server, "wrong-horse")->client().ListTags(Image(server, "private/app")),
                server, "wrong-horse");
  auto anonymous = Service(server, "")->client().ListTags(Image(server, "private/app"));
  ExpectRefused(anonymous, server, "correct-horse");
  EXPECT_NE(anonymous.error().message.find("--docker-config"), std::string::npos);
}

TEST_F(AuthRegistryTest, TokenAuthCachesTokensPerScope) {
  RegistryServer server({.auth = RegistryServer::Auth::kToken});
  server.PushImage("team/one", "v1", At("2024-01-01T00:00:00Z"));
  server.PushImage("team/two", "v1", At("2024-01-02T00:00:00Z"));
  SyntheticImage oci = At("2024-03-03T00:00:00Z");
  oci.oci = true;
  server.PushIndex("team/two", "v2", {oci});

  auto s = Service(server, server.options().password);
  std::vector<ScanTarget> targets = {
      {Image(server, "team/one"), {*image::TagFilter::Parse("*")}, {}},
      {Image(server, "team/two"), {*image::TagFilter::Parse("*")}, {}}};
  auto first = s->scanner().Scan(targets);
  for (const auto& [name, scan] : first)
    ASSERT_TRUE(scan.tags) << name << ": " << scan.tags.error().message;
  EXPECT_EQ(
      FormatRfc3339(*first.at(Image(server, "team/two").CanonicalName()).tags->back().created),
      "2024-03-03T00:00:00Z");
  int tokens_after_first = server.token_requests();
  EXPECT_EQ(tokens_after_first, 2);  // one per repository scope
  auto second = s->scanner().Scan(targets);
  for (const auto& [name, scan] : second) ASSERT_TRUE(scan.tags) << name;
  EXPECT_EQ(server.token_requests(), tokens_after_first);  // cached until expiry
  EXPECT_EQ(s->metrics().Read().Count(RequestKind::kToken), 2u);
}

TEST_F(AuthRegistryTest, TokenAuthRefusesWrongAndAnonymousCredentials) {
  RegistryServer server({.auth = RegistryServer::Auth::kToken});
  server.PushImage("team/one", "v1", At("2024-01-01T00:00:00Z"));
  auto wrong = Service(server, "wrong-horse")->client().ListTags(Image(server, "team/one"));
  ExpectRefused(wrong, server, "wrong-horse");
  EXPECT_NE(wrong.error().message.find(server.options().username), std::string::npos);
  // Anonymous tokens carry no pull access on this server: refused, not a crash.
  ExpectRefused(Service(server, "")->client().ListTags(Image(server, "team/one")), server,
                "correct-horse");
}

TEST_F(AuthRegistryTest, TokenAuthAnonymousPull) {
  RegistryServer server({.auth = RegistryServer::Auth::kToken, .anonymous_pull = true});
  server.PushImage("public/app", "v1", At("2024-01-01T00:00:00Z"));
  auto s = Service(server, "");
  auto tags = s->client().ListTags(Image(server, "public/app"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  auto missing = s->client().ListTags(Image(server, "public/none"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace tagflow::registry
