// The workload and image commands end to end: the real binary against a
// real registry and a real git remote.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CliE2eTest : public E2eTest {
 protected:
  std::filesystem::path Repo() {
    return MakeRepo({{"web.yaml", Deployment("web", web_ + ":v1", "")},
                     {"api.yaml", Deployment("api", api_ + ":master-a", kAutomated)}});
  }
};

TEST_F(CliE2eTest, AutomateLockAndReleaseCommitAndPushOverGit) {
  auto repo = Repo();
  std::string url = "file://" + repo.string();
  RunResult automate = Tagflow({"automate", "--git-url", url, "-w", "default:deployment/web"});
  ASSERT_EQ(automate.exit_code, 0) << automate.output;
  RunResult lock =
      Tagflow({"lock", "--git-url", url, "-w", "deployment/api", "-m", "incident 42", "--user",
               "alice", "--git-user", "Alice", "--git-email", "alice@example.com"});
  ASSERT_EQ(lock.exit_code, 0) << lock.output;
  RunResult release = Tagflow({"release", "--git-url", url, "-w", "default:deployment/web",
                               "--update-image", web_ + ":v2"});
  ASSERT_EQ(release.exit_code, 0) << release.output;

  auto log = Log(repo);
  ASSERT_EQ(log.size(), 4u);
  EXPECT_THAT(log[0], HasSubstr("Release " + web_ + ":v2 to default:deployment/web"));
  EXPECT_THAT(log[1], HasSubstr("incident 42"));
  EXPECT_THAT(log[2], HasSubstr("Automated: default:deployment/web"));
  std::string web = Show(repo, "web.yaml");
  EXPECT_THAT(web, HasSubstr("fluxcd.io/automated: \"true\""));
  EXPECT_THAT(web, HasSubstr("image: '" + web_ + ":v2'  # kept quoted"));
  std::string api = Show(repo, "api.yaml");
  EXPECT_THAT(api, HasSubstr("fluxcd.io/locked: \"true\""));
  EXPECT_THAT(api, HasSubstr("alice"));
  std::string author;
  RunShell("git --git-dir " + ShellQuote(repo.string()) + " log -1 --skip=1 --format='%an <%ae>'",
           &author);
  EXPECT_EQ(author, "Alice <alice@example.com>\n");

  // Locked now: the daemon leaves api alone.
  RunResult daemon = Tagflow(DaemonFlags(url) + std::vector<std::string>{"--once"});
  ASSERT_EQ(daemon.exit_code, 0) << daemon.output;
  EXPECT_THAT(Show(repo, "api.yaml"), HasSubstr(api_ + ":master-a"));
}

TEST_F(CliE2eTest, ReleaseAllImagesFollowsEachContainersFilter) {
  auto repo = MakeRepo({{"api.yaml", Deployment("api", api_ + ":master-a",
                                                "    fluxcd.io/tag.app: glob:master-*\n")}});
  RunResult r = Tagflow({"release", "--git-url", "file://" + repo.string(), "-w",
                         "default:deployment/api", "--update-all-images",
                         "--registry-insecure-host", registry_.host(), "--cache-dir", ""});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // master-b is the newest master-* (dev-c is newer but filtered out).
  EXPECT_THAT(Show(repo, "api.yaml"), HasSubstr("image: '" + api_ + ":master-b'"));
  RunResult again = Tagflow({"release", "--git-url", "file://" + repo.string(), "-w",
                             "default:deployment/api", "--update-all-images",
                             "--registry-insecure-host", registry_.host(), "--cache-dir", ""});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(Log(repo).size(), 2u) << "nothing newer: no second commit";
}

TEST_F(CliE2eTest, UnknownWorkloadChangesNothing) {
  auto repo = Repo();
  std::string head = GitRevParse(repo, "master");
  RunResult r = Tagflow(
      {"automate", "--git-url", "file://" + repo.string(), "-w", "default:deployment/nope"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("default:deployment/nope"));
  EXPECT_EQ(GitRevParse(repo, "master"), head);
}

TEST_F(CliE2eTest, ListWorkloadsAndListImagesFromAClone) {
  auto repo = Repo();
  std::string url = "file://" + repo.string();
  RunResult workloads = Tagflow({"list-workloads", "--git-url", url, "--no-headers"});
  ASSERT_EQ(workloads.exit_code, 0) << workloads.output;
  EXPECT_THAT(workloads.output, HasSubstr("default:deployment/api"));
  EXPECT_THAT(workloads.output, HasSubstr("automated"));

  RunResult images = Tagflow({"list-images", "--git-url", url, "--registry-insecure-host",
                              registry_.host(), "--cache-dir", "", "-w", "default:deployment/api"});
  ASSERT_EQ(images.exit_code, 0) << images.output;
  // Newest first under glob:* by creation time; master-a is current.
  EXPECT_THAT(images.output, HasSubstr("WORKLOAD"));
  size_t dev = images.output.find("dev-c"), b = images.output.find("master-b"),
         a = images.output.find("'-> master-a");
  ASSERT_NE(a, std::string::npos) << images.output;
  EXPECT_LT(dev, b);
  EXPECT_LT(b, a);

  RunResult json = Tagflow({"list-images", "--git-url", url, "--registry-insecure-host",
                            registry_.host(), "--cache-dir", "", "-o", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"LatestFiltered\""));
  EXPECT_THAT(json.output, HasSubstr("\"CreatedAt\": \"2026-01-04T10:00:00Z\""));

  // As fluxctl: --limit applies to Available in JSON too; a negative one is bad usage.
  RunResult limited =
      Tagflow({"list-images", "--git-url", url, "--registry-insecure-host", registry_.host(),
               "--cache-dir", "", "-o", "json", "-l", "1", "-w", "default:deployment/api"});
  ASSERT_EQ(limited.exit_code, 0) << limited.output;
  nlohmann::json doc = nlohmann::json::parse(limited.output);
  ASSERT_EQ(doc.size(), 1u);
  EXPECT_EQ(doc[0]["Containers"][0]["Available"].size(), 1u) << limited.output;
  RunResult negative = Tagflow({"list-images", "--git-url", url, "--limit", "-1"});
  EXPECT_EQ(negative.exit_code, 2) << negative.output;
  EXPECT_THAT(negative.output, HasSubstr("--limit"));
}

TEST_F(CliE2eTest, ListImagesShowsRegistryErrorsPerContainer) {
  auto repo = MakeRepo({{"x.yaml", Deployment("x", registry_.host() + "/no/such:v1", kAutomated)}});
  RunResult r =
      Tagflow({"list-images", "--repo", "/nonexistent", "--git-url", "file://" + repo.string()});
  EXPECT_EQ(r.exit_code, 2) << "two sources is bad usage";
  RunResult images = Tagflow({"list-images", "--git-url", "file://" + repo.string(),
                              "--registry-insecure-host", registry_.host(), "--cache-dir", ""});
  EXPECT_EQ(images.exit_code, 0) << images.output;
  EXPECT_THAT(images.output, HasSubstr("default:deployment/x"));
  EXPECT_THAT(images.output, HasSubstr("no/such"));
}

}  // namespace
}  // namespace tagflow::testing
