#include "git/libgit2_history.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test/support/git_server.h"
#include "test/support/process.h"

namespace tagflow::git {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
namespace fs = std::filesystem;

// A work tree built with the git CLI, commit by commit.
class HistoryLogTest : public ::testing::Test {
 protected:
  // Runs `script` (shell) in the work tree, then commits everything.
  std::string Commit(const std::string& script) {
    std::string out;
    int rc = testing::RunShell("cd " + testing::ShellQuote(dir_.path().string()) + " && " + script +
                                   " && git add -A && git -c user.name=T -c user.email=t@x commit "
                                   "-q --allow-empty -m step && git rev-parse HEAD",
                               &out);
    EXPECT_EQ(rc, 0) << out;
    return out.substr(0, out.find('\n'));
  }
  std::string Blob(const std::string& commit, const std::string& path) {
    std::string out = testing::GitOutput(dir_.path(), "rev-parse " + commit + ":" + path);
    return out.substr(0, out.find('\n'));
  }
  void SetUp() override {
    ASSERT_EQ(testing::RunShell("git init -q -b main " + testing::ShellQuote(dir_.path().string())),
              0);
  }
  testing::TempDir dir_;
};

TEST_F(HistoryLogTest, ChangesAreOnlyThePathsThatDifferFromTheNextCommit) {
  std::string c1 = Commit(
      "mkdir -p apps/a apps/b && echo 1 > apps/a/x.yaml && "
      "echo 1 > apps/b/y.yaml && echo 1 > top.yaml");
  std::string c2 = Commit("echo 2 > apps/a/x.yaml");                     // one file
  std::string c3 = Commit("echo unrelated > notes.txt");                 // none of the paths
  std::string c4 = Commit("rm -r apps/b && echo 2 > top.yaml");          // a directory goes
  std::string c5 = Commit("mkdir -p apps/b && echo 1 > apps/b/y.yaml");  // and comes back
  Result<OpenedHistory> opened = OpenHistory(dir_.path());
  ASSERT_TRUE(opened) << opened.error().message;
  LogOptions options;
  options.paths = {"apps/a/x.yaml", "apps/b/y.yaml", "top.yaml", "apps/a/missing.yaml"};
  Result<LogResult> log = opened->history->Log(c5, options);
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(log->commits.size(), 5u);
  EXPECT_EQ(log->commits[0].id, c5);
  EXPECT_THAT(log->commits[0].changes, ElementsAre(PathChange{1, Blob(c5, "apps/b/y.yaml"), ""}));
  EXPECT_THAT(log->commits[1].changes,
              ElementsAre(PathChange{1, "", Blob(c3, "apps/b/y.yaml")},
                          PathChange{2, Blob(c4, "top.yaml"), Blob(c3, "top.yaml")}));
  EXPECT_THAT(log->commits[2].changes, IsEmpty());
  EXPECT_THAT(log->commits[3].changes,
              ElementsAre(PathChange{0, Blob(c2, "apps/a/x.yaml"), Blob(c1, "apps/a/x.yaml")}));
  EXPECT_THAT(log->commits[4].changes, IsEmpty());  // the last one: nothing to compare with

  // The limit: the oldest commit read is only the base of the one before.
  options.limit = 2;
  log = opened->history->Log(c5, options);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->commits.size(), 2u);
  EXPECT_TRUE(log->truncated);
  EXPECT_THAT(log->commits[0].changes, ElementsAre(PathChange{1, Blob(c5, "apps/b/y.yaml"), ""}));
  EXPECT_THAT(log->commits[1].changes, IsEmpty());
}

}  // namespace
}  // namespace tagflow::git
