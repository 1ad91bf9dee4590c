// --git-push-branch and --git-pr end to end: the real binary, a real
// registry and `git daemon`; the pull-request APIs are the stand-in of
// test/support/forge_api.h (GitHub, GitLab and Gitea cannot run here).
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/e2e/e2e_fixture.h"
#include "test/support/forge_api.h"

namespace tagflow::testing {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using Kind = ForgeApiServer::Kind;

constexpr char kPushBranch[] = "tagflow/images";
constexpr char kToken[] = "fake-forge-token-e2e-42";

class PushBranchE2eTest : public E2eTest {
 protected:
  // team/manifests.git with web automated at v1.
  std::filesystem::path Repo() {
    std::filesystem::create_directories(repos() / "team");
    return MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
                     {"README.md", "# manifests\n"}},
                    "team/manifests.git");
  }
  std::vector<std::string> Once(const std::string& url) {
    return DaemonFlags(url) + std::vector<std::string>{"--once", "--git-push-branch", kPushBranch};
  }
  // Runs tagflow with extra environment variables.
  RunResult TagflowWithEnv(const std::vector<std::string>& args,
                           std::map<std::string, std::string> env) {
    auto log = scratch_.path() / fmt::format("run-{}.log", FreePort());
    std::vector<std::string> argv = {TAGFLOW_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    env["HOME"] = scratch_.path().string();
    Subprocess proc({.argv = argv, .env = env, .log_path = log});
    RunResult r;
    r.exit_code = proc.Wait(std::chrono::seconds(60));
    r.output = ReadFile(log);
    return r;
  }
  // Commits on the push branch that are not on master.
  std::string Ahead(const std::filesystem::path& repo) {
    return GitOutput(repo, std::string("rev-list --count master..") + kPushBranch);
  }
  void ExpectOneCommitOnMaster(const std::filesystem::path& repo, const std::string& tag) {
    EXPECT_EQ(Ahead(repo), "1\n");
    EXPECT_EQ(GitRevParse(repo, std::string(kPushBranch) + "^"), GitRevParse(repo, "master"));
    EXPECT_EQ(Show(repo, "apps/web.yaml", kPushBranch),
              Deployment("web", web_ + ":" + tag, kAutomated));
  }
};

TEST_F(PushBranchE2eTest, SourceBranchUntouchedAndThePushBranchRewrittenForANewerTag) {
  auto repo = Repo();
  GitDaemon daemon(repos());
  std::string url = daemon.Url("team/manifests.git");
  std::string master = GitRevParse(repo, "master");

  RunResult first = Tagflow(Once(url));
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_EQ(GitRevParse(repo, "master"), master) << "--git-branch is never written";
  ExpectOneCommitOnMaster(repo, "v2");
  EXPECT_THAT(Log(repo, kPushBranch),
              ElementsAre("Auto-release " + web_ + ":v2", "Initial commit"));
  EXPECT_EQ(GitRevParse(repo, "flux-sync^{commit}"), master) << "the sync tag follows master";

  // Nothing new: the push branch keeps its commit (no churn for reviewers).
  std::string pushed = GitRevParse(repo, kPushBranch);
  RunResult idle = Tagflow(Once(url));
  ASSERT_EQ(idle.exit_code, 0) << idle.output;
  EXPECT_EQ(GitRevParse(repo, kPushBranch), pushed);

  // A human commits to master, a newer tag appears: one commit on the new head.
  PushChange(repo, {{"README.md", "# manifests, edited\n"}}, "human edit");
  registry_.PushImage("team/web", "v3", {.created = Day(5)});
  RunResult second = Tagflow(Once(url));
  ASSERT_EQ(second.exit_code, 0) << second.output;
  ExpectOneCommitOnMaster(repo, "v3");
  EXPECT_EQ(Show(repo, "README.md", kPushBranch), "# manifests, edited\n");
  EXPECT_EQ(Show(repo, "apps/web.yaml"), Deployment("web", web_ + ":v1", kAutomated));
  EXPECT_EQ(GitRevParse(repo, "flux-sync^{commit}"), GitRevParse(repo, "master"));

  // Merged (fast-forward): the next cycle has nothing to do and deletes the branch.
  GitOutput(repo, std::string("update-ref refs/heads/master ") + kPushBranch);
  RunResult merged = Tagflow(Once(url));
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(GitRevParse(repo, kPushBranch), "");
}

TEST_F(PushBranchE2eTest, BadFlagCombinationsAreUsageErrors) {
  auto repo = Repo();
  std::string url = "file://" + repo.string();
  RunResult same =
      Tagflow(DaemonFlags(url) + std::vector<std::string>{"--once", "--git-branch", "master",
                                                          "--git-push-branch", "master"});
  EXPECT_EQ(same.exit_code, 2) << same.output;
  EXPECT_THAT(same.output, AllOf(HasSubstr("--git-push-branch"), HasSubstr("--git-branch")));
  RunResult no_branch =
      Tagflow(DaemonFlags(url) + std::vector<std::string>{"--once", "--git-pr", "github"});
  EXPECT_EQ(no_branch.exit_code, 2) << no_branch.output;
  EXPECT_THAT(no_branch.output, HasSubstr("--git-pr needs --git-push-branch"));
  RunResult no_token =
      TagflowWithEnv(Once(url) + std::vector<std::string>{"--git-pr", "gitlab", "--git-pr-api-url",
                                                          "http://127.0.0.1:9"},
                     {});
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_THAT(no_token.output, HasSubstr("TAGFLOW_GIT_PR_TOKEN"));
  EXPECT_EQ(GitRevParse(repo, kPushBranch), "") << "nothing ran";
}

class PullRequestE2eTest : public PushBranchE2eTest, public ::testing::WithParamInterface<Kind> {
 public:
  static std::string Provider(Kind kind) {
    return kind == Kind::kGitHub ? "github" : kind == Kind::kGitLab ? "gitlab" : "gitea";
  }
  static std::string Name(Kind kind) {
    return kind == Kind::kGitHub ? "GitHub" : kind == Kind::kGitLab ? "GitLab" : "Gitea";
  }
};

TEST_P(PullRequestE2eTest, CreatesUpdatesNeverDuplicatesAndReports401) {
  auto repo = Repo();
  GitDaemon daemon(repos());
  ForgeApiServer forge(GetParam(), "team", "manifests", kToken);
  auto token_file = scratch_.path() / "pr-token";
  WriteFile(token_file, std::string(kToken) + "\n");
  std::vector<std::string> args =
      Once(daemon.Url("team/manifests.git")) +
      std::vector<std::string>{"--git-pr",     Provider(GetParam()), "--git-pr-api-url",
                               forge.ApiUrl(), "--git-pr-label",     "automation"};

  // 1. Created, from the token file.
  RunResult created =
      Tagflow(args + std::vector<std::string>{"--git-pr-token-file", token_file.string()});
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto pulls = forge.PullRequests();
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].head, kPushBranch);
  EXPECT_EQ(pulls[0].base, "master");
  EXPECT_EQ(pulls[0].state, "open");
  EXPECT_EQ(pulls[0].title, "Auto-release " + web_ + ":v2");
  EXPECT_THAT(pulls[0].body, AllOf(HasSubstr("default:deployment/web"), HasSubstr(web_ + ":v1"),
                                   HasSubstr(web_ + ":v2")));
  EXPECT_THAT(pulls[0].labels, ElementsAre("automation"));
  EXPECT_THAT(created.output, HasSubstr("pull request"));
  ExpectOneCommitOnMaster(repo, "v2");

  // 2. Nothing new (token from TAGFLOW_GIT_PR_TOKEN this time): no write.
  size_t before = forge.Requests().size();
  RunResult idle = TagflowWithEnv(args, {{"TAGFLOW_GIT_PR_TOKEN", kToken}});
  ASSERT_EQ(idle.exit_code, 0) << idle.output;
  for (size_t i = before; i < forge.Requests().size(); ++i) {
    EXPECT_EQ(forge.Requests()[i].method, "GET") << forge.Requests()[i].path;
  }
  EXPECT_EQ(forge.PullRequests().size(), 1u);

  // 3. A newer tag: the same pull request, updated; never a second one.
  registry_.PushImage("team/web", "v3", {.created = Day(5)});
  RunResult updated = TagflowWithEnv(args, {{"TAGFLOW_GIT_PR_TOKEN", kToken}});
  ASSERT_EQ(updated.exit_code, 0) << updated.output;
  pulls = forge.PullRequests();
  ASSERT_EQ(pulls.size(), 1u);
  EXPECT_EQ(pulls[0].title, "Auto-release " + web_ + ":v3");
  EXPECT_THAT(pulls[0].body, HasSubstr(web_ + ":v3"));
  ExpectOneCommitOnMaster(repo, "v3");

  // 3b. Closed without merging: a "no" to this change, not reopened.
  forge.Close(1, /*merged=*/false);
  RunResult declined = TagflowWithEnv(args, {{"TAGFLOW_GIT_PR_TOKEN", kToken}});
  ASSERT_EQ(declined.exit_code, 0) << declined.output;
  ASSERT_EQ(forge.PullRequests().size(), 1u);
  EXPECT_EQ(forge.PullRequests()[0].state, "closed");
  EXPECT_THAT(declined.output, HasSubstr("closed without merging"));

  // 4. A rejected token: a clear failure, the branch still pushed, no token in the logs.
  registry_.PushImage("team/web", "v4", {.created = Day(6)});
  RunResult refused = TagflowWithEnv(args, {{"TAGFLOW_GIT_PR_TOKEN", "fake-wrong-token-7"}});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, AllOf(HasSubstr(Name(GetParam()) + " API"), HasSubstr("HTTP 401"),
                                    Not(HasSubstr("fake-wrong-token-7")), Not(HasSubstr(kToken))));
  ExpectOneCommitOnMaster(repo, "v4");
  EXPECT_EQ(forge.PullRequests().size(), 1u);
  ASSERT_TRUE(slack_.WaitForRequests(1, std::chrono::seconds(10)));
  for (const RecordedRequest& r : slack_.Requests()) {
    EXPECT_THAT(r.body, AllOf(Not(HasSubstr("fake-wrong-token-7")), Not(HasSubstr(kToken))));
  }
  for (const RecordedRequest& r : forge.Requests()) {
    EXPECT_EQ(r.body.find(kToken), std::string::npos) << "the token goes in a header only";
  }

  // 5. Squash-merged (the change lands as a new commit on master): the plan is
  // empty, the provider says the pull request was merged, the branch goes.
  PushChange(repo, {{"apps/web.yaml", Deployment("web", web_ + ":v4", kAutomated)}},
             "Auto-release v4 (#1)");
  forge.Close(1, /*merged=*/true);
  RunResult merged = TagflowWithEnv(args, {{"TAGFLOW_GIT_PR_TOKEN", kToken}});
  ASSERT_EQ(merged.exit_code, 0) << merged.output;
  EXPECT_EQ(GitRevParse(repo, kPushBranch), "");
  EXPECT_EQ(forge.PullRequests().size(), 1u) << "nothing to propose: no new pull request";
}

INSTANTIATE_TEST_SUITE_P(Providers, PullRequestE2eTest,
                         ::testing::Values(Kind::kGitHub, Kind::kGitLab, Kind::kGitea),
                         [](const auto& info) { return PullRequestE2eTest::Name(info.param); });

}  // namespace
}  // namespace tagflow::testing
