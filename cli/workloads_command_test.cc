#include "cli/workloads_command.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "daemon/api.h"
#include "manifest/memory_filesystem.h"

namespace tagflow::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr std::string_view kWeb = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.app: semver:~1.0
spec:
  template:
    spec:
      containers:
      - name: app
        image: "registry.example.com/shop/web:1.0.0"
      - name: proxy
        image: envoyproxy/envoy:v1.25.0
)";

constexpr std::string_view kJobs = R"(kind: CronJob
metadata:
  name: nightly
  annotations:
    fluxcd.io/locked: "true"
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: backup
            image: ghcr.io/acme/backup:2.0
---
kind: Pod
metadata: {name: bare}
)";

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.AddFile("/repo/apps/web.yaml", std::string(kWeb));
    fs_.AddFile("/repo/jobs.yaml", std::string(kJobs));
  }

  // Runs `tagflow <args>` and returns the exit code; output in out_/err_.
  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    CLI::App app{"tagflow"};
    app.require_subcommand(1);
    CliContext ctx{fs_, out_, err_, latest_};
    AddWorkloadCommands(app, ctx);
    args.insert(args.begin(), "tagflow");
    return RunCli(app, args, ctx);
  }
  std::string Web() const { return *fs_.Contents("/repo/apps/web.yaml"); }

  manifest::InMemoryFilesystem fs_;
  manifest::LatestImageFn latest_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(CliTest, ListWorkloadsTableLikeFluxctl) {
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo"}), kExitOk) << err_.str();
  EXPECT_EQ(out_.str(),
            "WORKLOAD                 CONTAINER  IMAGE                                POLICY\n"
            "default:cronjob/nightly  backup     ghcr.io/acme/backup:2.0              locked\n"
            "default:pod/bare\n"
            "shop:deployment/web      app        registry.example.com/shop/web:1.0.0  automated\n"
            "                         proxy      envoyproxy/envoy:v1.25.0\n");
  EXPECT_THAT(err_.str(), IsEmpty());
}

TEST_F(CliTest, ListWorkloadsFilters) {
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo/", "-n", "shop", "--no-headers"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "shop:deployment/web  app    registry.example.com/shop/web:1.0.0  automated\n"
            "                     proxy  envoyproxy/envoy:v1.25.0\n");
  EXPECT_EQ(
      Run({"list-workloads", "--repo", "/repo", "-w", "cronjob/nightly,pod/bare", "--no-headers"}),
      kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("default:cronjob/nightly"));
  EXPECT_THAT(out_.str(), HasSubstr("default:pod/bare"));
  EXPECT_THAT(out_.str(), Not(HasSubstr("web")));
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--git-path", "apps", "--no-headers"}),
            kExitOk);
  EXPECT_THAT(out_.str(), Not(HasSubstr("nightly")));
}

TEST_F(CliTest, ListWorkloadsJsonUsesFluxctlFieldNames) {
  ASSERT_EQ(Run({"list-workloads", "--repo", "/repo", "-o", "json", "-w", "shop:deployment/web"}),
            kExitOk);
  nlohmann::json j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["ID"], "shop:deployment/web");
  EXPECT_EQ(j[0]["Containers"][0]["Name"], "app");
  EXPECT_EQ(j[0]["Containers"][0]["Current"]["ID"], "registry.example.com/shop/web:1.0.0");
  EXPECT_EQ(j[0]["Policies"]["automated"], "true");
  EXPECT_EQ(j[0]["Policies"]["tag.app"], "semver:~1.0");
  EXPECT_EQ(j[0]["Automated"], true);
  EXPECT_EQ(j[0]["Locked"], false);
  EXPECT_EQ(j[0]["Ignore"], false);
  std::string text = out_.str();
  EXPECT_LT(text.find("\"ID\""), text.find("\"Containers\""));
  EXPECT_LT(text.find("\"Containers\""), text.find("\"Policies\""));
  EXPECT_LT(text.find("\"Policies\""), text.find("\"Automated\""));
  EXPECT_EQ(daemon::WorkloadsJson({}).dump(), "[]");
}

TEST_F(CliTest, ListWorkloadsWithABrokenFileShowsTheRestAndFails) {
  fs_.AddFile("/repo/broken.yaml", "kind: Pod\nmetadata: [\n");
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--no-headers"}), kExitFailed);
  EXPECT_THAT(out_.str(), HasSubstr("shop:deployment/web"));
  EXPECT_THAT(err_.str(), HasSubstr("error: broken.yaml:3:1: does not parse"));
}

TEST_F(CliTest, UnknownWorkloadIsAnErrorAndChangesNothing) {
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "-w", "shop:deployment/nope"}), kExitFailed);
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "-w",
                 "deployment/nope"}),
            kExitFailed);
  EXPECT_THAT(err_.str(), HasSubstr("no workload default:deployment/nope"));
  EXPECT_EQ(fs_.writes(), 0);
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "-w", "shop:deployment/web"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--no-commit"));
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "--no-commit"}), kExitUsage);
  EXPECT_EQ(Run({"automate", "--no-commit", "-w", "shop:deployment/web"}), kExitUsage);
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "--no-commit", "-w", "web"}), kExitUsage);
  EXPECT_EQ(Run({"automate", "--repo", "/nowhere", "--no-commit", "-w", "shop:deployment/web"}),
            kExitUsage);
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "-o", "yaml"}), kExitUsage);
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--git-path", "../etc"}), kExitUsage);
  EXPECT_EQ(Run({"no-such-command"}), kExitUsage);
  EXPECT_EQ(Run({"list-workloads", "--help"}), kExitOk);
  EXPECT_EQ(fs_.writes(), 0);
}

TEST_F(CliTest, UsageErrorsDoNotEchoSecrets) {
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--slack-ur",
                 "https://hooks.slack.com/services/T0/B0/S3CRETPATH"}),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("https://hooks.slack.com/***"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("S3CRETPATH")));
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--webhok-secret", "hunter2-value"}),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--webhok-secret"));  // the flag itself is named
  EXPECT_THAT(err_.str(), Not(HasSubstr("hunter2-value")));
  EXPECT_EQ(Run({"list-workloads", "--repo", "/repo", "--slack-token=fake-token-123-456"}), kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--slack-token=***"));
  EXPECT_THAT(err_.str(), Not(HasSubstr("fake-token-123-456")));
}

TEST(RedactUsageErrorTest, HidesSecretValuesAndUrlPaths) {
  std::vector<std::string> args = {"tagflow",          "daemon",
                                   "--teams-url",      "https://x.webhook.office.com/webhookb2/abc",
                                   "--cache-password", "pw123"};
  EXPECT_EQ(RedactUsageError("bad: https://x.webhook.office.com/webhookb2/abc pw123 daemon", args),
            "bad: https://x.webhook.office.com/*** *** daemon");
}

TEST_F(CliTest, AutomateDeautomateRoundTripsTheFile) {
  EXPECT_EQ(Run({"deautomate", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(Web(), Not(HasSubstr("automated")));
  EXPECT_THAT(out_.str(), HasSubstr("shop:deployment/web  success  -automated"));
  EXPECT_THAT(out_.str(), HasSubstr("Edited apps/web.yaml (not committed: --no-commit)"));
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web"}),
            kExitOk);
  EXPECT_THAT(Web(),
              HasSubstr("    fluxcd.io/tag.app: semver:~1.0\n    fluxcd.io/automated: \"true\"\n"));
  EXPECT_EQ(Run({"automate", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web"}),
            kExitOk);
  EXPECT_THAT(out_.str(), HasSubstr("No files changed."));
}

TEST_F(CliTest, LockAndUnlockSeveralWorkloads) {
  ASSERT_EQ(Run({"lock", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web,pod/bare",
                 "-m", "freeze", "--user", "ann"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(Web(),
              HasSubstr("    fluxcd.io/locked: \"true\"\n    fluxcd.io/locked_msg: \"freeze\"\n"
                        "    fluxcd.io/locked_user: \"ann\"\n"));
  EXPECT_THAT(
      *fs_.Contents("/repo/jobs.yaml"),
      HasSubstr(
          "metadata: {name: bare, annotations: {fluxcd.io/locked: \"true\", fluxcd.io/locked_msg: "
          "\"freeze\", fluxcd.io/locked_user: \"ann\"}}"));
  ASSERT_EQ(Run({"unlock", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "-w",
                 "pod/bare"}),
            kExitOk);
  EXPECT_EQ(Web(), kWeb);
  EXPECT_THAT(*fs_.Contents("/repo/jobs.yaml"),
              HasSubstr("metadata: {name: bare, annotations: {}}"));
}

TEST_F(CliTest, PolicyValidatesAndCanonicalisesFilters) {
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "--tag",
                 "app=regex:^("}),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("regex:^("));
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "--tag",
                 "=glob:x"}),
            kExitUsage);
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web"}),
            kExitUsage);
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--automate", "--deautomate"}),
            kExitUsage);
  EXPECT_EQ(fs_.writes(), 0);
  ASSERT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "--tag",
                 "app=*", "--tag", "proxy=v1.*", "--lock"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(
      Web(),
      HasSubstr(
          "  annotations:\n    fluxcd.io/automated: \"true\"\n    fluxcd.io/locked: \"true\"\n"
          "    fluxcd.io/tag.proxy: \"glob:v1.*\"\nspec:"));
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--tag-all", "semver:^2"}),
            kExitOk);
  EXPECT_THAT(
      Web(),
      HasSubstr("fluxcd.io/tag.proxy: \"semver:^2\"\n    fluxcd.io/tag.app: \"semver:^2\"\n"));
  EXPECT_EQ(Run({"policy", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web", "--tag",
                 "nope=v1"}),
            kExitFailed);
}

TEST_F(CliTest, ReleaseUpdateImage) {
  EXPECT_EQ(Run({"release", "--repo", "/repo", "-w", "shop:deployment/web", "--update-image",
                 "registry.example.com/shop/web:1.2.0", "--dry-run"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("would change"));
  EXPECT_THAT(out_.str(), HasSubstr("Dry run: would edit apps/web.yaml"));
  EXPECT_EQ(Web(), kWeb);
  ASSERT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-image", "registry.example.com/shop/web:1.2.0"}),
            kExitOk);
  std::string want(kWeb);
  want.replace(want.find("web:1.0.0"), 9, "web:1.2.0");
  EXPECT_EQ(Web(), want);
}

TEST_F(CliTest, ReleaseToALockedWorkloadFailsUnlessForced) {
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "cronjob/nightly",
                 "--update-image", "ghcr.io/acme/backup:2.1"}),
            kExitFailed);
  EXPECT_THAT(out_.str(), HasSubstr("skipped  locked"));
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "cronjob/nightly",
                 "--update-image", "ghcr.io/acme/backup:2.1", "--force"}),
            kExitOk);
  EXPECT_THAT(*fs_.Contents("/repo/jobs.yaml"), HasSubstr("image: ghcr.io/acme/backup:2.1\n"));
}

TEST_F(CliTest, ReleaseUsage) {
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web"}),
            kExitUsage);
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-image", "x:1", "--update-all-images"}),
            kExitUsage);
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-image", "Bad Ref"}),
            kExitUsage);
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-image", "nginx"}),
            kExitUsage);
  EXPECT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-all-images", "--registry-platform", "not-a-platform"}),
            kExitUsage);
  EXPECT_THAT(err_.str(), HasSubstr("--registry-platform"));
}

TEST_F(CliTest, ReleaseAllImagesUsesTheLatestImageHook) {
  latest_ = [](const manifest::Workload&,
               const manifest::Container& c) -> Result<std::optional<image::ImageRef>> {
    return c.image.WithTag(c.name == "app" ? "1.0.1" : c.image.tag());
  };
  ASSERT_EQ(Run({"release", "--repo", "/repo", "--no-commit", "-w", "shop:deployment/web",
                 "--update-all-images"}),
            kExitOk)
      << err_.str();
  EXPECT_THAT(Web(), HasSubstr("image: \"registry.example.com/shop/web:1.0.1\""));
}

TEST(CliHelpers, FormatTableAndCanonicalFilter) {
  EXPECT_EQ(FormatTable({{"A", "BB", "C"}, {"long", "", ""}, {"", "x", "y"}}),
            "A     BB  C\nlong\n      x   y\n");
  EXPECT_EQ(CanonicalFilter("1.*").value(), "glob:1.*");
  EXPECT_EQ(CanonicalFilter("semver:~1").value(), "semver:~1");
  EXPECT_EQ(CanonicalFilter("*").value(), std::nullopt);
  EXPECT_EQ(CanonicalFilter("glob:*").value(), std::nullopt);
  EXPECT_FALSE(CanonicalFilter("bogus:x"));
}

}  // namespace
}  // namespace tagflow::cli
