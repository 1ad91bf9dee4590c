#include "git/fake_repo.h"

#include <gtest/gtest.h>

#include "test/support/process.h"

namespace tagflow::git {
namespace {

using tagflow::testing::ReadFile;
using tagflow::testing::TempDir;
using tagflow::testing::WriteFile;

TEST(FakeGitTest, SyncCommitPushTag) {
  TempDir dir;
  FakeGitRemote remote({{"a.yaml", "a: 1\n"}, {"dir/b.yaml", "b: 1\n"}});
  FakeGitRepo repo(remote, dir.path() / "clone");
  ASSERT_FALSE(repo.Head());
  WriteFile(dir.path() / "clone" / "stale.txt", "left over");
  auto head = repo.Sync();
  ASSERT_TRUE(head);
  EXPECT_EQ(*head, remote.Head());
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "clone" / "stale.txt"));
  EXPECT_EQ(ReadFile(dir.path() / "clone" / "dir/b.yaml"), "b: 1\n");

  EXPECT_EQ(repo.Commit({"a.yaml"}, "nothing").error().kind, ErrorKind::kInvalidInput);
  WriteFile(repo.WorkTree() / "a.yaml", "a: 2\n");
  std::filesystem::remove(repo.WorkTree() / "dir/b.yaml");
  auto commit = repo.Commit({"a.yaml", "dir/b.yaml"}, "Auto-release x");
  ASSERT_TRUE(commit);
  EXPECT_EQ(remote.Head(), *head);  // not pushed yet
  ASSERT_TRUE(repo.Push());
  EXPECT_EQ(remote.Head(), *commit);
  auto log = remote.Log();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].message, "Auto-release x\n");
  EXPECT_EQ(log[0].author, "tagflow <tagflow@localhost>");
  EXPECT_EQ(log[0].files, (FakeGitRemote::Files{{"a.yaml", "a: 2\n"}}));

  EXPECT_EQ(repo.MoveTag("flux-sync", *commit), true);
  EXPECT_EQ(repo.MoveTag("flux-sync", *commit), false);
  EXPECT_EQ(remote.Tags().at("flux-sync"), *commit);
  EXPECT_EQ(repo.MoveTag("flux-sync", "nope").error().kind, ErrorKind::kNotFound);
}

TEST(FakeGitTest, ConcurrentWriterMakesPushConflict) {
  TempDir dir;
  FakeGitRemote remote(FakeGitRemote::Files{{"a.yaml", "a: 1\n"}});
  FakeGitRepo repo(remote, dir.path());
  ASSERT_TRUE(repo.Sync());
  WriteFile(dir.path() / "a.yaml", "a: 2\n");
  ASSERT_TRUE(repo.Commit({}, "mine"));
  std::string theirs = remote.PushCommit({{"b.yaml", "b\n"}}, "theirs");
  auto pushed = repo.Push();
  ASSERT_FALSE(pushed);
  EXPECT_EQ(pushed.error().kind, ErrorKind::kConflict);
  EXPECT_EQ(remote.Head(), theirs);
  EXPECT_EQ(repo.Sync(), theirs);
  EXPECT_EQ(ReadFile(dir.path() / "a.yaml"), "a: 1\n");
  EXPECT_EQ(ReadFile(dir.path() / "b.yaml"), "b\n");
}

TEST(FakeGitTest, InjectedFailuresAreOneShotAndCounted) {
  TempDir dir;
  FakeGitRemote remote;
  FakeGitRepo repo(remote, dir.path());
  remote.FailNext(FakeGitRemote::Op::kSync, {ErrorKind::kTransient, "network down"});
  auto failed = repo.Sync();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::kTransient);
  EXPECT_TRUE(repo.Sync());
  EXPECT_EQ(remote.Calls(FakeGitRemote::Op::kSync), 2);
  EXPECT_EQ(remote.Calls(FakeGitRemote::Op::kPush), 0);
}

}  // namespace
}  // namespace tagflow::git
