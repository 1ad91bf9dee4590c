// EditCommitPushBranch against the in-memory fake, and the push-branch
// methods of the libgit2 GitRepo against a real `git daemon`.
#include "git/push_branch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/fake_repo.h"
#include "git/libgit2_repo.h"
#include "test/support/git_server.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Op = FakeGitRemote::Op;

constexpr char kBranch[] = "tagflow/images";

// An edit that sets a.yaml to `contents` (nothing to commit when equal).
EditFn SetFile(std::string contents, std::string message = "Auto-release app:v2\n") {
  return [contents, message](const std::string& root, const std::string&) -> Result<WorkTreeEdit> {
    std::string path = root + "/a.yaml";
    if (testing::ReadFile(path) == contents) return WorkTreeEdit{};
    testing::WriteFile(path, contents);
    return WorkTreeEdit{{"a.yaml"}, message};
  };
}

PushBranchOptions Options() { return {.branch = "master", .push_branch = kBranch}; }

class PushBranchTest : public ::testing::Test {
 protected:
  testing::TempDir tmp_;
  FakeGitRemote remote_{FakeGitRemote::Files{{"a.yaml", "image: app:v1\n"}}};
  FakeGitRepo repo_{remote_, tmp_.path() / "clone"};
};

TEST_F(PushBranchTest, PushesOneCommitOnTopOfTheSourceHeadAndLeavesTheSourceAlone) {
  std::string source = remote_.Head();
  PushBranchOutcome out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(out.ok()) << out.result.error->message;
  EXPECT_EQ(remote_.Head(), source) << "--git-branch is never written";
  EXPECT_EQ(out.result.head, source) << "the sync tag follows the source head";
  EXPECT_EQ(remote_.Branch(kBranch), out.result.commit);
  EXPECT_EQ(out.pending, out.result.commit);
  EXPECT_FALSE(out.up_to_date);
  auto commit = remote_.Find(out.result.commit);
  ASSERT_TRUE(commit);
  EXPECT_EQ(commit->parent, source);
  EXPECT_EQ(commit->files.at("a.yaml"), "image: app:v2\n");
  EXPECT_EQ(remote_.Calls(Op::kPush), 0) << "never a plain push";
}

TEST_F(PushBranchTest, TheSameChangeAgainPushesNothing) {
  PushBranchOutcome first = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(first.ok());
  PushBranchOutcome again = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(again.ok()) << again.result.error->message;
  EXPECT_TRUE(again.up_to_date);
  EXPECT_EQ(again.result.commit, "");
  EXPECT_EQ(again.pending, first.result.commit);
  EXPECT_EQ(remote_.Branch(kBranch), first.result.commit);
  EXPECT_EQ(remote_.Calls(Op::kForcePush), 1);
}

TEST_F(PushBranchTest, ANewerChangeRewritesTheBranchOnTheNewSourceHead) {
  ASSERT_TRUE(EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options()).ok());
  std::string human = remote_.PushCommit({{"b.yaml", "kind: Service\n"}}, "human change");
  PushBranchOutcome out =
      EditCommitPushBranch(repo_, SetFile("image: app:v3\n", "Auto-release app:v3\n"), Options());
  ASSERT_TRUE(out.ok()) << out.result.error->message;
  auto commit = remote_.Find(remote_.Branch(kBranch));
  ASSERT_TRUE(commit);
  EXPECT_EQ(commit->parent, human) << "exactly one commit on top of the source head";
  EXPECT_EQ(commit->files.at("a.yaml"), "image: app:v3\n");
  EXPECT_EQ(commit->files.at("b.yaml"), "kind: Service\n");
  EXPECT_EQ(remote_.Head(), human);
}

TEST_F(PushBranchTest, AMovedSourceHeadRepushesEvenWithTheSameFiles) {
  ASSERT_TRUE(EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options()).ok());
  std::string old = remote_.Branch(kBranch);
  std::string human = remote_.PushCommit({{"b.yaml", "x\n"}}, "human change");
  PushBranchOutcome out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out.up_to_date);
  EXPECT_NE(remote_.Branch(kBranch), old);
  EXPECT_EQ(remote_.Find(remote_.Branch(kBranch))->parent, human);
}

TEST_F(PushBranchTest, AMergedBranchIsDeletedWhenThePlanIsEmpty) {
  ASSERT_TRUE(EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options()).ok());
  // Merged: the source branch holds the change, and the push branch's head
  // is contained in it (as after a merge commit or a fast-forward).
  remote_.PushCommit({{"a.yaml", "image: app:v2\n"}}, "Merge branch 'tagflow/images'");
  remote_.SetBranch(kBranch, remote_.Find(remote_.Head())->parent);
  PushBranchOutcome out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(out.ok()) << out.result.error->message;
  EXPECT_TRUE(out.deleted);
  EXPECT_EQ(remote_.Branch(kBranch), "");
}

TEST_F(PushBranchTest, AnUnmergedBranchIsLeftAloneWhenThePlanIsEmpty) {
  ASSERT_TRUE(EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options()).ok());
  std::string pushed = remote_.Branch(kBranch);
  // A human made the same change on the source branch (or squash-merged).
  remote_.PushCommit({{"a.yaml", "image: app:v2\n"}}, "squash");
  PushBranchOutcome out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_TRUE(out.ok());
  EXPECT_FALSE(out.deleted);
  EXPECT_EQ(remote_.Branch(kBranch), pushed);

  PushBranchOptions told = Options();  // ... unless the pull request says it was merged
  std::string asked;
  told.merged = [&asked](const std::string& head) -> Result<bool> {
    asked = head;
    return true;
  };
  out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), told);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(asked, pushed);
  EXPECT_TRUE(out.deleted);
  EXPECT_EQ(remote_.Branch(kBranch), "");
}

TEST_F(PushBranchTest, DryRunsDeleteNothingAndFailuresNameTheBranch) {
  remote_.SetBranch(kBranch, remote_.Head());
  PushBranchOptions dry = Options();
  dry.delete_merged = false;
  ASSERT_TRUE(EditCommitPushBranch(repo_, SetFile("image: app:v1\n"), dry).ok());
  EXPECT_EQ(remote_.Branch(kBranch), remote_.Head());
  EXPECT_EQ(remote_.Calls(Op::kFetchBranch), 0);

  remote_.FailNext(Op::kForcePush, {ErrorKind::kUnauthorized, "protected"});
  PushBranchOutcome out = EditCommitPushBranch(repo_, SetFile("image: app:v2\n"), Options());
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.result.failed, EditCommitPushOutcome::Step::kPush);
  EXPECT_EQ(out.result.error->kind, ErrorKind::kUnauthorized);
  EXPECT_THAT(out.result.error->message, HasSubstr(kBranch));
  EXPECT_EQ(out.result.head, remote_.Head());
}

TEST(ValidatePushBranchTest, RefusesTheSourceBranchAndBadNames) {
  EXPECT_TRUE(ValidatePushBranch("main", "tagflow/main"));
  auto same = ValidatePushBranch("main", "main");
  ASSERT_FALSE(same);
  EXPECT_THAT(same.error().message, HasSubstr("--git-push-branch"));
  EXPECT_THAT(same.error().message, HasSubstr("--git-branch"));
  EXPECT_FALSE(ValidatePushBranch("main", "bad..name"));
  EXPECT_FALSE(ValidatePushBranch("main", ""));
}

// The libgit2 side against `git daemon`: fetch, forced push, ancestry, delete.
TEST(Libgit2PushBranchTest, ForcePushesReadsAndDeletesTheBranch) {
  testing::TempDir dir;
  auto bare = dir.path() / "repo.git";
  std::string seed = testing::CreateBareRepo(bare, {{"a.yaml", "image: app:v1\n"}});
  testing::GitDaemon daemon(dir.path());
  GitOptions options{.url = daemon.Url("repo.git"), .workdir = dir.path() / "clone"};
  auto opened = OpenGitRepo(options);
  ASSERT_TRUE(opened) << opened.error().message;
  GitRepo& repo = **opened;

  for (const char* tag : {"v2", "v3"}) {
    PushBranchOutcome out =
        EditCommitPushBranch(repo, SetFile(std::string("image: app:") + tag + "\n"), Options());
    ASSERT_TRUE(out.ok()) << out.result.error->message;
    EXPECT_EQ(testing::GitRevParse(bare, kBranch), out.result.commit) << tag;
    EXPECT_EQ(testing::GitRevParse(bare, std::string(kBranch) + "^"), seed) << tag;
  }
  EXPECT_EQ(testing::GitRevParse(bare, "master"), seed);
  PushBranchOutcome same = EditCommitPushBranch(repo, SetFile("image: app:v3\n"), Options());
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same.up_to_date);

  std::string pushed = testing::GitRevParse(bare, kBranch);
  auto summary = repo.ReadCommit(pushed);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_THAT(summary->parents, ElementsAre(seed));
  EXPECT_EQ(summary->message, "Auto-release app:v2\n");
  EXPECT_EQ(repo.IsAncestor(seed, pushed).value(), true);
  EXPECT_EQ(repo.IsAncestor(pushed, seed).value(), false);
  EXPECT_EQ(repo.IsAncestor(seed, seed).value(), true);
  EXPECT_EQ(repo.FetchBranch("no-such-branch").value(), "");

  // Merged by fast-forward: the next empty plan deletes the branch.
  testing::GitOutput(bare, "update-ref refs/heads/master " + pushed);
  PushBranchOutcome merged = EditCommitPushBranch(repo, SetFile("image: app:v3\n"), Options());
  ASSERT_TRUE(merged.ok()) << merged.result.error->message;
  EXPECT_TRUE(merged.deleted);
  EXPECT_EQ(testing::GitRevParse(bare, kBranch), "");
  EXPECT_TRUE(repo.DeleteBranch(kBranch)) << "already gone is fine";
  EXPECT_FALSE(repo.ForcePushBranch("master")) << "never --git-branch";
}

}  // namespace
}  // namespace tagflow::git
