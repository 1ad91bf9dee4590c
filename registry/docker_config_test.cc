#include "registry/docker_config.h"

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "test/support/process.h"

namespace tagflow::registry {
namespace {

TEST(DockerConfigTest, ReadsAuthAndUsernamePasswordUnderAnyKeySpelling) {
  std::string json = R"({"auths": {
    "https://index.docker.io/v1/": {"auth": ")" +
                     Base64Encode("hubuser:hub:pass") + R"("},
    "ghcr.io": {"username": "gh", "password": "fake-secret"},
    "http://127.0.0.1:5000/v2/": {"auth": ")" +
                     Base64Encode("local:pw") + R"("},
    "Quay.IO": {"auth": ")" +
                     Base64Encode("q:p") + R"("}
  }})";
  auto config = DockerConfig::Parse(json, "test.json");
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->size(), 4u);
  for (const char* hub : {"docker.io", "registry-1.docker.io", "index.docker.io"}) {
    auto c = config->For(hub);
    ASSERT_TRUE(c) << hub;
    EXPECT_EQ(c->username, "hubuser");
    EXPECT_EQ(c->password, "hub:pass");  // only the first ':' separates
  }
  EXPECT_EQ(config->For("ghcr.io")->password, "fake-secret");
  EXPECT_EQ(config->For("127.0.0.1:5000")->username, "local");
  EXPECT_EQ(config->For("quay.io")->username, "q");
  EXPECT_FALSE(config->For("127.0.0.1:5001"));
  EXPECT_FALSE(config->For("example.com"));
}

TEST(DockerConfigTest, SkipsEntriesWithoutUsableCredentials) {
  auto config = DockerConfig::Parse(
      R"({"auths": {"a.io": {}, "b.io": {"email": "x"}}, "credsStore": "desktop"})", "t");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->size(), 0u);
  EXPECT_EQ(DockerConfig::Parse("{}", "t")->size(), 0u);
}

TEST(DockerConfigTest, ErrorsNameTheFileAndKeyButNoSecret) {
  auto bad_base64 = DockerConfig::Parse(R"({"auths": {"r.io": {"auth": "s3cr3t!!"}}})", "cfg.json");
  ASSERT_FALSE(bad_base64);
  EXPECT_EQ(bad_base64.error().kind, ErrorKind::kInvalidInput);
  EXPECT_NE(bad_base64.error().message.find("cfg.json"), std::string::npos);
  EXPECT_NE(bad_base64.error().message.find("r.io"), std::string::npos);
  EXPECT_EQ(bad_base64.error().message.find("s3cr3t"), std::string::npos);

  auto no_colon = DockerConfig::Parse(
      R"({"auths": {"r.io": {"auth": ")" + Base64Encode("justsecret") + "\"}}}", "c");
  ASSERT_FALSE(no_colon);
  EXPECT_EQ(no_colon.error().message.find("justsecret"), std::string::npos);

  EXPECT_FALSE(DockerConfig::Parse("not json", "c"));
  EXPECT_FALSE(DockerConfig::Parse(R"({"auths": []})", "c"));
}

TEST(DockerConfigTest, LoadsFromDisk) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "config.json",
                     R"({"auths": {"r.io": {"username": "u", "password": "p"}}})");
  auto config = DockerConfig::Load(dir.path() / "config.json");
  ASSERT_TRUE(config);
  EXPECT_EQ(config->For("r.io")->username, "u");
  auto missing = DockerConfig::Load(dir.path() / "nope.json");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
}

TEST(NormalizeRegistryHostTest, StripsSchemePathAndCase) {
  EXPECT_EQ(NormalizeRegistryHost("https://index.docker.io/v1/"), "docker.io");
  EXPECT_EQ(NormalizeRegistryHost("registry.hub.docker.com"), "docker.io");
  EXPECT_EQ(NormalizeRegistryHost("HTTP://Reg.Example:5000/v2/"), "reg.example:5000");
  EXPECT_EQ(NormalizeRegistryHost("ghcr.io"), "ghcr.io");
}

}  // namespace
}  // namespace tagflow::registry

namespace tagflow::registry {
namespace {

TEST(DockerConfigSourceTest, CredHelpersBeatCredsStoreWhichBeatsAuths) {
  auto config = DockerConfig::Parse(R"({
    "auths": {"a.io": {"username": "u", "password": "p"},
              "https://index.docker.io/v1/": {"username": "hub", "password": "p"}},
    "credHelpers": {"a.io": "ecr-login", "https://Gcr.io": "gcr"},
    "credsStore": "desktop"})",
                                    "c.json");
  ASSERT_TRUE(config) << config.error().message;
  CredentialSource a = config->SourceFor("a.io");
  EXPECT_EQ(a.kind, CredentialSource::Kind::kHelper);
  EXPECT_EQ(a.helper, "ecr-login");
  EXPECT_EQ(a.key, "credHelpers");
  EXPECT_EQ(a.file, "c.json");
  EXPECT_EQ(config->SourceFor("gcr.io").helper, "gcr");
  // The store wins over auths; the auths entry stays as its fallback.
  CredentialSource hub = config->SourceFor("registry-1.docker.io");
  EXPECT_EQ(hub.kind, CredentialSource::Kind::kHelper);
  EXPECT_EQ(hub.helper, "desktop");
  ASSERT_TRUE(hub.fallback);
  EXPECT_EQ(hub.fallback->username, "hub");
  EXPECT_EQ(config->SourceFor("other.io").helper, "desktop");
  EXPECT_FALSE(config->SourceFor("other.io").fallback);

  auto plain =
      DockerConfig::Parse(R"({"auths": {"a.io": {"username": "u", "password": "p"}}})", "p.json");
  EXPECT_EQ(plain->SourceFor("a.io").kind, CredentialSource::Kind::kStatic);
  EXPECT_EQ(plain->SourceFor("b.io").kind, CredentialSource::Kind::kNone);
}

TEST(DockerConfigSourceTest, IdentityTokenIsTheTokenUser) {
  auto config = DockerConfig::Parse(
      R"({"auths": {"r.io": {"auth": ")" + Base64Encode("u:p") + R"(", "identitytoken": "idt"}}})",
      "c");
  ASSERT_TRUE(config);
  auto c = config->For("r.io");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->IsIdentityToken());
  EXPECT_EQ(c->username, "<token>");
  EXPECT_EQ(c->password, "idt");
}

TEST(DockerConfigSourceTest, HelperNamesThatAreNotProgramNamesAreRefused) {
  for (const char* bad : {R"({"credsStore": "../../bin/sh"})", R"({"credsStore": ""})",
                          R"({"credsStore": 3})", R"({"credHelpers": {"a.io": "x y"}})",
                          R"({"credHelpers": {"a.io": "a/b"}})", R"({"credHelpers": []})"}) {
    auto config = DockerConfig::Parse(bad, "bad.json");
    ASSERT_FALSE(config) << bad;
    EXPECT_EQ(config.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(config.error().message.find("bad.json"), std::string::npos);
  }
}

TEST(DockerConfigsTest, TheFirstFileNamingAHostWins) {
  auto first = DockerConfig::Parse(
      R"({"auths": {"a.io": {"username": "first", "password": "p"}}, "credsStore": "one"})", "1");
  auto second = DockerConfig::Parse(
      R"({"auths": {"a.io": {"username": "second", "password": "p"},
                    "b.io": {"username": "second-b", "password": "p"}},
          "credHelpers": {"c.io": "three"}, "credsStore": "two"})",
      "2");
  ASSERT_TRUE(first && second);
  DockerConfigs configs({*first, *second});
  // a.io: named by the first file, whose store then decides.
  EXPECT_EQ(configs.SourceFor("a.io").helper, "one");
  EXPECT_EQ(configs.SourceFor("a.io").fallback->username, "first");
  // b.io and c.io are named only by the second file.
  EXPECT_EQ(configs.SourceFor("b.io").helper, "two");
  EXPECT_EQ(configs.SourceFor("b.io").file, "2");
  EXPECT_EQ(configs.SourceFor("c.io").helper, "three");
  // Named by nobody: the first file with a store.
  EXPECT_EQ(configs.SourceFor("d.io").helper, "one");
  EXPECT_EQ(DockerConfigs().SourceFor("d.io").kind, CredentialSource::Kind::kNone);
}

TEST(DockerConfigsTest, LoadNamesTheMissingFile) {
  testing::TempDir dir;
  testing::WriteFile(dir.path() / "a.json", R"({"auths": {}})");
  auto ok = DockerConfigs::Load({(dir.path() / "a.json").string()});
  EXPECT_TRUE(ok);
  auto missing =
      DockerConfigs::Load({(dir.path() / "a.json").string(), (dir.path() / "b.json").string()});
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("b.json"), std::string::npos);
}

TEST(HelperServerUrlTest, DockerHubIsItsV1Url) {
  EXPECT_EQ(HelperServerUrl("docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(HelperServerUrl("registry-1.docker.io"), "https://index.docker.io/v1/");
  EXPECT_EQ(HelperServerUrl("127.0.0.1:5000"), "127.0.0.1:5000");
}

}  // namespace
}  // namespace tagflow::registry
