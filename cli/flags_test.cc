#include "cli/flags.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "test/support/process.h"

namespace tagflow::cli {
namespace {

using std::chrono::milliseconds;
using ::testing::HasSubstr;

TEST(ParseDurationTest, ReadsUnitsAndSums) {
  EXPECT_EQ(ParseDuration("30s").value(), milliseconds(30'000));
  EXPECT_EQ(ParseDuration("5m").value(), milliseconds(300'000));
  EXPECT_EQ(ParseDuration("1h").value(), milliseconds(3'600'000));
  EXPECT_EQ(ParseDuration("1h30m").value(), milliseconds(5'400'000));
  EXPECT_EQ(ParseDuration("250ms").value(), milliseconds(250));
  EXPECT_EQ(ParseDuration("0").value(), milliseconds(0));
  EXPECT_EQ(ParseDuration("45").value(), milliseconds(45'000));
}

TEST(ParseDurationTest, RejectsGarbageWithTheText) {
  for (const char* bad : {"", "5x", "m", "1.5m", "-1s", "5m3", "99999999999s", "1h 2m"}) {
    Result<milliseconds> d = ParseDuration(bad);
    ASSERT_FALSE(d.has_value()) << bad;
    EXPECT_EQ(d.error().kind, ErrorKind::kInvalidInput);
    EXPECT_THAT(d.error().message, HasSubstr(std::string("\"") + bad + "\""));
  }
}

TEST(FormatDurationTest, RoundTrips) {
  for (const char* text : {"5m", "1h30m", "250ms", "0s", "1h0m1s"}) {
    auto d = ParseDuration(text).value();
    EXPECT_EQ(ParseDuration(FormatDuration(d)).value(), d) << text;
  }
  EXPECT_EQ(FormatDuration(milliseconds(5'400'000)), "1h30m");
}

TEST(EnvNameTest, UpperCasesAndReplacesDashes) {
  EXPECT_EQ(EnvName("--git-url"), "TAGFLOW_GIT_URL");
  EXPECT_EQ(EnvName("registry-rps"), "TAGFLOW_REGISTRY_RPS");
}

struct Command {
  CLI::App app;
  CLI::App* daemon;
  std::string url;
  std::vector<std::string> paths;
  milliseconds interval{std::chrono::minutes(5)};

  Command() {
    daemon = app.add_subcommand("daemon");
    daemon->add_option("--git-url", url);
    daemon->add_option("--git-path", paths)->delimiter(',');
    AddDurationOption(*daemon, "--automation-interval", &interval, "how often");
    daemon->add_option("--config");
    BindEnvironment(app);
  }
};

TEST(ApplyConfigFileTest, SetsDefaultsBelowTheEnvironmentWithoutExportingThem) {
  testing::TempDir dir;
  auto path = (dir.path() / "tagflow.yaml").string();
  testing::WriteFile(path,
                     "git-url: ssh://git@example/repo\ngit-path: [apps, infra]\n"
                     "automation-interval: 1m\n");
  setenv("TAGFLOW_GIT_URL", "file:///from-env", 1);
  Command cmd;
  Result<void> r = ApplyConfigFile(*cmd.daemon, path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  cmd.app.parse(std::vector<std::string>{"daemon"});
  unsetenv("TAGFLOW_GIT_URL");
  EXPECT_EQ(cmd.url, "file:///from-env");
  EXPECT_EQ(cmd.paths, (std::vector<std::string>{"apps", "infra"}));
  EXPECT_EQ(cmd.interval, milliseconds(60'000));
  // Nothing of the file reached the process environment.
  EXPECT_EQ(std::getenv("TAGFLOW_GIT_PATH"), nullptr);
  EXPECT_EQ(std::getenv("TAGFLOW_AUTOMATION_INTERVAL"), nullptr);
}

TEST(ApplyConfigFileTest, CommandLineBeatsTheFile) {
  testing::TempDir dir;
  auto path = (dir.path() / "tagflow.yaml").string();
  testing::WriteFile(path, "git-url: ssh://git@example/repo\n");
  Command cmd;
  ASSERT_TRUE(ApplyConfigFile(*cmd.daemon, path).has_value());
  cmd.app.parse(std::vector<std::string>{"file:///cli", "--git-url", "daemon"});
  EXPECT_EQ(cmd.url, "file:///cli");
}

TEST(ApplyConfigFileTest, InvalidValueNamesKeyAndFile) {
  testing::TempDir dir;
  auto path = (dir.path() / "tagflow.yaml").string();
  testing::WriteFile(path, "automation-interval: soon\n");
  Command cmd;
  Result<void> r = ApplyConfigFile(*cmd.daemon, path);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("automation-interval"));
  EXPECT_THAT(r.error().message, HasSubstr(path));
}

TEST(ApplyConfigFileTest, UnknownKeyNamesKeyAndFile) {
  testing::TempDir dir;
  auto path = (dir.path() / "tagflow.yaml").string();
  testing::WriteFile(path, "git-ulr: x\n");
  Command cmd;
  Result<void> r = ApplyConfigFile(*cmd.daemon, path);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("git-ulr"));
  EXPECT_THAT(r.error().message, HasSubstr(path));
}

TEST(ApplyConfigFileTest, MalformedYamlGivesLineAndColumn) {
  testing::TempDir dir;
  auto path = (dir.path() / "bad.yaml").string();
  testing::WriteFile(path, "git-url: [unclosed\n");
  Command cmd;
  Result<void> r = ApplyConfigFile(*cmd.daemon, path);
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("line "));
  EXPECT_THAT(r.error().message, HasSubstr(path));
}

TEST(ApplyConfigFileTest, MissingFileIsAnError) {
  Command cmd;
  Result<void> r = ApplyConfigFile(*cmd.daemon, "/nonexistent/tagflow.yaml");
  ASSERT_FALSE(r.has_value());
  EXPECT_THAT(r.error().message, HasSubstr("/nonexistent/tagflow.yaml"));
}

TEST(BindEnvironmentTest, CommandLineBeatsEnvironment) {
  setenv("TAGFLOW_GIT_URL", "file:///env", 1);
  setenv("TAGFLOW_AUTOMATION_INTERVAL", "2m", 1);
  setenv("TAGFLOW_GIT_PATH", "a,b", 1);
  {
    Command cmd;
    cmd.app.parse(std::vector<std::string>{"daemon"});
    EXPECT_EQ(cmd.url, "file:///env");
    EXPECT_EQ(cmd.interval, milliseconds(120'000));
    EXPECT_EQ(cmd.paths, (std::vector<std::string>{"a", "b"}));
  }
  {
    Command cmd;
    // CLI11 parses a reversed vector.
    cmd.app.parse(std::vector<std::string>{"file:///cli", "--git-url", "daemon"});
    EXPECT_EQ(cmd.url, "file:///cli");
  }
  unsetenv("TAGFLOW_GIT_URL");
  unsetenv("TAGFLOW_AUTOMATION_INTERVAL");
  unsetenv("TAGFLOW_GIT_PATH");
}

TEST(BindEnvironmentTest, BadDurationFromEnvironmentIsAValidationError) {
  setenv("TAGFLOW_AUTOMATION_INTERVAL", "soon", 1);
  Command cmd;
  EXPECT_THROW(cmd.app.parse(std::vector<std::string>{"daemon"}), CLI::ValidationError);
  unsetenv("TAGFLOW_AUTOMATION_INTERVAL");
}

}  // namespace
}  // namespace tagflow::cli
