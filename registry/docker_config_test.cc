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
      R"({"auths": {"a.io": {}, "b.io": {"identitytoken": "x"}}, "credsStore": "desktop"})", "t");
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
