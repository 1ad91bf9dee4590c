#include "cli/options.h"

#include <gtest/gtest.h>

#include "cli/flags.h"
#include "test/support/process.h"

namespace tagflow::cli {
namespace {

using std::chrono::milliseconds;

struct RegistryCommand {
  CLI::App app;
  CLI::App* daemon;
  registry::RegistryOptions options;

  RegistryCommand() {
    daemon = app.add_subcommand("daemon");
    AddRegistryFlags(*daemon, options);
    daemon->add_option("--config");
    BindEnvironment(app);
  }
};

TEST(RegistryFlagsTest, DockerConfigIsRepeatableAndOneValueStillWorks) {
  {
    RegistryCommand cmd;
    // CLI11 parses a reversed vector.
    cmd.app.parse(std::vector<std::string>{"/b.json", "--docker-config", "/a.json",
                                           "--docker-config", "daemon"});
    EXPECT_EQ(cmd.options.docker_configs, (std::vector<std::string>{"/a.json", "/b.json"}));
    EXPECT_EQ(cmd.options.credential_ttl, std::chrono::minutes(10));
  }
  {
    setenv("TAGFLOW_DOCKER_CONFIG", "/env.json", 1);
    setenv("TAGFLOW_REGISTRY_CREDENTIAL_TTL", "30s", 1);
    RegistryCommand cmd;
    cmd.app.parse(std::vector<std::string>{"daemon"});
    unsetenv("TAGFLOW_DOCKER_CONFIG");
    unsetenv("TAGFLOW_REGISTRY_CREDENTIAL_TTL");
    EXPECT_EQ(cmd.options.docker_configs, (std::vector<std::string>{"/env.json"}));
    EXPECT_EQ(cmd.options.credential_ttl, milliseconds(30'000));
  }
}

TEST(RegistryFlagsTest, ConfigFileTakesOneFileOrAList) {
  testing::TempDir dir;
  auto one = (dir.path() / "one.yaml").string();
  testing::WriteFile(one, "docker-config: /secrets/a/config.json\nregistry-credential-ttl: 1h\n");
  RegistryCommand a;
  ASSERT_TRUE(ApplyConfigFile(*a.daemon, one).has_value());
  a.app.parse(std::vector<std::string>{"daemon"});
  EXPECT_EQ(a.options.docker_configs, (std::vector<std::string>{"/secrets/a/config.json"}));
  EXPECT_EQ(a.options.credential_ttl, std::chrono::hours(1));

  auto list = (dir.path() / "list.yaml").string();
  testing::WriteFile(list, "docker-config: [/s/a.json, /s/b.json]\n");
  RegistryCommand b;
  ASSERT_TRUE(ApplyConfigFile(*b.daemon, list).has_value());
  b.app.parse(std::vector<std::string>{"daemon"});
  EXPECT_EQ(b.options.docker_configs, (std::vector<std::string>{"/s/a.json", "/s/b.json"}));

  auto bad = (dir.path() / "bad.yaml").string();
  testing::WriteFile(bad, "registry-credential-ttl: soon\n");
  RegistryCommand c;
  EXPECT_FALSE(ApplyConfigFile(*c.daemon, bad).has_value());
}

TEST(RegistryFlagsTest, AZeroCredentialTtlIsRefusedNamingTheFlag) {
  registry::RegistryOptions o;
  o.credential_ttl = milliseconds(0);
  auto r = registry::Validate(o);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("--registry-credential-ttl"), std::string::npos);
}

}  // namespace
}  // namespace tagflow::cli
