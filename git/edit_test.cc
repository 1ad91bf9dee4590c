#include "git/edit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/fake_repo.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

using ::testing::HasSubstr;

// An edit that appends a line to a.yaml, like a policy change would.
WorkTreeEdit AppendLine(const std::string& root, int* calls) {
  ++*calls;
  std::string path = root + "/a.yaml";
  testing::WriteFile(path, testing::ReadFile(path) + "# edited\n");
  return WorkTreeEdit{{"a.yaml"}, "Automated: default:deployment/a\n"};
}

TEST(EditCommitPushTest, CommitsAndPushesTheEdit) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  int calls = 0;
  auto r = EditCommitPush(repo, [&](const std::string& root, const std::string&) {
    return Result<WorkTreeEdit>(AppendLine(root, &calls));
  });
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(remote.Head(), r.commit);
  EXPECT_EQ(remote.Log().front().message, "Automated: default:deployment/a\n");
  EXPECT_EQ(remote.Find(remote.Head())->files.at("a.yaml"), "kind: Deployment\n# edited\n");
}

TEST(EditCommitPushTest, NothingChangedMeansNoCommit) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  std::string head = remote.Head();
  auto r = EditCommitPush(
      repo, [](const std::string&, const std::string&) { return Result<WorkTreeEdit>(); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.commit, "");
  EXPECT_EQ(remote.Head(), head);
  EXPECT_EQ(remote.Calls(FakeGitRemote::Op::kPush), 0);
}

TEST(EditCommitPushTest, ConflictReEditsOnTheNewHead) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  int calls = 0;
  auto r = EditCommitPush(repo, [&](const std::string& root, const std::string&) {
    if (calls == 0) remote.PushCommit({{"b.yaml", "kind: Service\n"}}, "someone else");
    return Result<WorkTreeEdit>(AppendLine(root, &calls));
  });
  ASSERT_TRUE(r.ok()) << r.error->message;
  EXPECT_EQ(r.conflicts, 1);
  EXPECT_EQ(calls, 2);
  auto log = remote.Log();
  EXPECT_EQ(log[1].message, "someone else");
  EXPECT_EQ(remote.Find(remote.Head())->files.at("b.yaml"), "kind: Service\n");
  EXPECT_EQ(remote.Find(remote.Head())->files.at("a.yaml"), "kind: Deployment\n# edited\n");
}

TEST(EditCommitPushTest, EditErrorsAndRejectedPushesPassThrough) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  auto bad = EditCommitPush(repo, [](const std::string&, const std::string&) {
    return Result<WorkTreeEdit>(
        std::unexpected(Error{ErrorKind::kNotFound, "no workload default:deployment/x"}));
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error->kind, ErrorKind::kNotFound);

  remote.FailNext(FakeGitRemote::Op::kPush, {ErrorKind::kUnauthorized, "protected branch"});
  int calls = 0;
  auto rejected = EditCommitPush(repo, [&](const std::string& root, const std::string&) {
    return Result<WorkTreeEdit>(AppendLine(root, &calls));
  });
  ASSERT_FALSE(rejected.ok());
  EXPECT_THAT(rejected.error->message, HasSubstr("protected branch"));
  EXPECT_EQ(calls, 1);
}

TEST(EditCommitPushTest, AStopAfterTheCommitPushesNothing) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  std::string head = remote.Head();
  std::atomic<bool> stop{false};
  int calls = 0;
  auto r = EditCommitPush(repo,
                          [&](const std::string& root, const std::string&) {
                            stop = true;  // SIGTERM arrives while the edit runs
                            return Result<WorkTreeEdit>(AppendLine(root, &calls));
                          },
                          {.stop = &stop});
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(r.commit, "");
  EXPECT_EQ(remote.Head(), head);
  EXPECT_EQ(remote.Calls(FakeGitRemote::Op::kPush), 0);
}

TEST(EditCommitPushTest, GivingUpOnConflictsStillSaysWhereTheBranchIs) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  int calls = 0;
  auto r = EditCommitPush(
      repo,
      [&](const std::string& root, const std::string&) {
        remote.PushCommit({{"b.yaml", std::to_string(calls) + "\n"}}, "someone else");
        return Result<WorkTreeEdit>(AppendLine(root, &calls));
      },
      {.attempts = 2, .branch = "main"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failed, EditCommitPushOutcome::Step::kPush);
  EXPECT_EQ(r.error->kind, ErrorKind::kConflict);
  EXPECT_THAT(r.error->message, HasSubstr("the branch main kept moving; gave up after 2 attempts"));
  EXPECT_EQ(r.conflicts, 2);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(r.commit, "");
  EXPECT_EQ(r.syncs, 2);
  EXPECT_FALSE(r.head.empty());
  EXPECT_NE(r.head, remote.Head());  // the other writer moved on after our last sync
}

TEST(EditCommitPushTest, AFailedSyncIsReportedAsSuch) {
  testing::TempDir tmp;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "kind: Deployment\n"}});
  FakeGitRepo repo(remote, tmp.path() / "clone");
  remote.FailNext(FakeGitRemote::Op::kSync, {ErrorKind::kTransient, "git.example: timed out"});
  int calls = 0;
  auto r = EditCommitPush(repo, [&](const std::string& root, const std::string&) {
    return Result<WorkTreeEdit>(AppendLine(root, &calls));
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.failed, EditCommitPushOutcome::Step::kSync);
  EXPECT_EQ(r.syncs, 0);
  EXPECT_EQ(r.head, "");
  EXPECT_EQ(calls, 0);
}

}  // namespace
}  // namespace tagflow::git
