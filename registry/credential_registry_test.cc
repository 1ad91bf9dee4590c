// Credential helpers and identity tokens against real docker-registry 2.8
// servers: stand-in `docker-credential-*` scripts (the helper protocol: the
// server URL on stdin, {"ServerURL","Username","Secret"} on stdout) run from
// a temp directory through the same posix_spawn path the daemon uses.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "registry/service.h"
#include "test/support/registry_server.h"

namespace tagflow::registry {
namespace {

using testing::RegistryServer;
using testing::SyntheticImage;

class CredentialRegistryTest : public ::testing::Test {
 protected:
  // docker-credential-<name>: logs each request to <name>.requests and
  // prints <name>.json (rewritten by the test to rotate credentials).
  void Helper(const std::string& name, const std::string& username, const std::string& secret) {
    testing::WriteFile(
        dir_.path() / (name + ".json"),
        R"({"ServerURL":"","Username":")" + username + R"(","Secret":")" + secret + "\"}");
    Script(name, "read url\necho \"$url\" >> '" + (dir_.path() / (name + ".requests")).string() +
                     "'\ncat '" + (dir_.path() / (name + ".json")).string() + "'\n");
  }
  void Script(const std::string& name, const std::string& body) {
    auto path = dir_.path() / ("docker-credential-" + name);
    testing::WriteFile(path, "#!/bin/sh\n" + body);
    chmod(path.c_str(), 0755);
  }
  int Runs(const std::string& name) {
    std::string log = testing::ReadFile(dir_.path() / (name + ".requests"));
    return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
  }
  std::string Config(const std::string& file, const std::string& json) {
    auto path = dir_.path() / file;
    testing::WriteFile(path, json);
    return path.string();
  }
  std::unique_ptr<RegistryService> Service(const std::vector<std::string>& configs,
                                           std::vector<std::string> insecure) {
    RegistryOptions o;
    o.insecure_hosts = std::move(insecure);
    o.rps = 0;
    o.timeout = std::chrono::seconds(5);
    o.docker_configs = configs;
    o.credential_helper_path = dir_.path().string();
    o.credential_helper_timeout = std::chrono::milliseconds(700);
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

  testing::TempDir dir_;
  FakeClock clock_{std::chrono::system_clock::now()};
};

TEST_F(CredentialRegistryTest, RotatedPasswordIsFetchedAgainAfterTheRefusalAndAfterTheTtl) {
  RegistryServer server({.auth = RegistryServer::Auth::kHtpasswd, .password = "pw-one-aaaa"});
  server.PushImage("private/app", "1.0", At("2024-01-01T00:00:00Z"));
  Helper("rot", "tagflow-user", "pw-one-aaaa");
  auto s = Service({Config("c.json", R"({"credHelpers":{")" + server.host() + R"(":"rot"}})")},
                   {server.host()});
  auto tags = s->client().ListTags(Image(server, "private/app"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(Runs("rot"), 1);
  EXPECT_EQ(testing::ReadFile(dir_.path() / "rot.requests"), server.host() + "\n");
  ASSERT_TRUE(s->client().ListTags(Image(server, "private/app")));
  EXPECT_EQ(Runs("rot"), 1);  // cached

  // Rotation: the old password stops working; the helper hands out the new one.
  server.ChangePassword("pw-two-bbbb");
  Helper("rot", "tagflow-user", "pw-two-bbbb");
  tags = s->client().ListTags(Image(server, "private/app"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"1.0"});
  EXPECT_EQ(Runs("rot"), 2);  // asked again once, after the 401

  // The TTL (default 10m) makes it ask again without a refusal.
  clock_.Advance(std::chrono::minutes(10));
  ASSERT_TRUE(s->client().ListTags(Image(server, "private/app")));
  EXPECT_EQ(Runs("rot"), 3);

  // A helper still handing out a dead password: refused, naming the host.
  server.ChangePassword("pw-three-cccc");
  auto refused = s->client().ListTags(Image(server, "private/app"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(refused.error().message.find(server.host()), std::string::npos);
  EXPECT_EQ(refused.error().message.find("pw-two"), std::string::npos);
}

TEST_F(CredentialRegistryTest, CredHelpersBeatCredsStoreWhichBeatsAuthsAndTheFirstFileWins) {
  RegistryServer server({.auth = RegistryServer::Auth::kHtpasswd});
  server.PushImage("private/app", "1.0", At("2024-01-01T00:00:00Z"));
  std::string good = server.options().password;
  Helper("right", "tagflow-user", good);
  Helper("wrong", "tagflow-user", "not-the-password");
  std::string host = server.host();
  auto ok = [&](const std::vector<std::string>& configs) {
    return static_cast<bool>(
        Service(configs, {host})->client().ListTags(Image(server, "private/app")));
  };
  std::string auths_wrong =
      R"("auths":{")" + host + R"(":{"username":"tagflow-user","password":"nope"}})";
  // credHelpers[host] over credsStore over auths.
  EXPECT_TRUE(ok({Config("a.json", "{" + auths_wrong + R"(,"credsStore":"wrong","credHelpers":{")" +
                                       host + R"(":"right"}})")}));
  EXPECT_FALSE(
      ok({Config("b.json", "{" + auths_wrong + R"(,"credsStore":"wrong","credHelpers":{")" + host +
                               R"(":"wrong"}})")}));
  EXPECT_TRUE(ok({Config("c.json", "{" + auths_wrong + R"(,"credsStore":"right"})")}));
  EXPECT_FALSE(ok({Config("d.json", "{" + auths_wrong + "}")}));
  // Several files: the first naming the host wins, whatever follows.
  std::string names_right = Config("e.json", R"({"credHelpers":{")" + host + R"(":"right"}})");
  std::string names_wrong = Config("f.json", R"({"credHelpers":{")" + host + R"(":"wrong"}})");
  std::string unrelated = Config("g.json", R"({"credHelpers":{"other.example":"wrong"}})");
  EXPECT_TRUE(ok({unrelated, names_right, names_wrong}));
  EXPECT_FALSE(ok({unrelated, names_wrong, names_right}));
}

TEST_F(CredentialRegistryTest, AHangingOrMissingHelperFailsOnlyItsRegistry) {
  RegistryServer locked({.auth = RegistryServer::Auth::kHtpasswd});
  RegistryServer open;
  RegistryServer other({.auth = RegistryServer::Auth::kHtpasswd});
  locked.PushImage("team/a", "1", At("2024-01-01T00:00:00Z"));
  open.PushImage("team/b", "2", At("2024-01-02T00:00:00Z"));
  other.PushImage("team/c", "3", At("2024-01-03T00:00:00Z"));
  Script("hang", "exec sleep 60\n");
  auto s = Service({Config("d.json", R"({"credHelpers":{")" + locked.host() + R"(":"hang",")" +
                                         other.host() + R"(":"absent"}})")},
                   {locked.host(), open.host(), other.host()});
  auto start = std::chrono::steady_clock::now();
  auto scans = s->scanner().Scan({{Image(locked, "team/a"), {*image::TagFilter::Parse("*")}, {}},
                                  {Image(open, "team/b"), {*image::TagFilter::Parse("*")}, {}},
                                  {Image(other, "team/c"), {*image::TagFilter::Parse("*")}, {}}});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
  const auto& hung = scans.at(Image(locked, "team/a").CanonicalName()).tags;
  ASSERT_FALSE(hung);
  EXPECT_EQ(hung.error().kind, ErrorKind::kTransient);
  EXPECT_NE(hung.error().message.find("docker-credential-hang"), std::string::npos);
  EXPECT_NE(hung.error().message.find(locked.host()), std::string::npos);
  const auto& missing = scans.at(Image(other, "team/c").CanonicalName()).tags;
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("docker-credential-absent"), std::string::npos)
      << missing.error().message;
  EXPECT_NE(missing.error().message.find(other.host()), std::string::npos);
  const auto& fine = scans.at(Image(open, "team/b").CanonicalName()).tags;
  ASSERT_TRUE(fine) << fine.error().message;
  EXPECT_EQ(fine->size(), 1u);
}

TEST_F(CredentialRegistryTest, IdentityTokenThroughTheRefreshGrant) {
  RegistryServer server(
      {.auth = RegistryServer::Auth::kToken, .identity_token = "idt-test-refresh-0001"});
  server.PushImage("team/one", "v1", At("2024-01-01T00:00:00Z"));
  // From a helper (Username "<token>") and from auths identitytoken.
  Helper("idt", "<token>", "idt-test-refresh-0001");
  auto from_helper = Service(
      {Config("h.json", R"({"credHelpers":{")" + server.host() + R"(":"idt"}})")}, {server.host()});
  auto tags = from_helper->client().ListTags(Image(server, "team/one"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  EXPECT_EQ(server.refresh_grants(), 1);

  auto from_auths =
      Service({Config("a.json", R"({"auths":{")" + server.host() +
                                    R"(":{"identitytoken":"idt-test-refresh-0001"}}})")},
              {server.host()});
  ASSERT_TRUE(from_auths->client().ListTags(Image(server, "team/one")));
  EXPECT_EQ(server.refresh_grants(), 2);

  auto wrong = Service({Config("w.json", R"({"auths":{")" + server.host() +
                                             R"(":{"identitytoken":"idt-wrong-0002"}}})")},
                       {server.host()});
  auto refused = wrong->client().ListTags(Image(server, "team/one"));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
  EXPECT_NE(refused.error().message.find("identity token"), std::string::npos);
  EXPECT_EQ(refused.error().message.find("idt-wrong"), std::string::npos);
}

}  // namespace
}  // namespace tagflow::registry
