// --git-verify-signatures in the cycle, against the fake remote (whose
// commits are all unsigned): the cycle acts on nothing and fails, naming the
// commit; without the option the same remote is released as usual.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "daemon/cycle.h"
#include "git/fake_repo.h"
#include "manifest/real_filesystem.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class VerifyCycleTest : public ::testing::Test {
 protected:
  VerifyCycleTest()
      : remote_(git::FakeGitRemote::Files{
            {"web.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
             "    fluxcd.io/automated: \"true\"\nspec:\n  template:\n    spec:\n"
             "      containers:\n      - name: app\n        image: reg.example.com/web:v1\n"}}),
        repo_(remote_, tmp_.path() / "clone") {}

  CycleReport Run(git::VerifyMode mode) {
    CycleOptions options;
    options.verify_signatures = mode;
    CycleDeps deps{
        repo_,
        fs_,
        [this](const std::vector<registry::ScanTarget>& targets) {
          ++scans_;
          std::map<std::string, registry::RepositoryScan> out;
          std::vector<registry::TagMetadata> tags = {
              {"v1", "", TimePoint(std::chrono::seconds(1)), ""},
              {"v2", "", TimePoint(std::chrono::seconds(2)), ""}};
          for (const auto& t : targets) {
            out.emplace(t.image.CanonicalName(), registry::RepositoryScan{t.image, false, tags});
          }
          return out;
        },
        nullptr,
        clock_,
        &metrics_};
    return Cycle(deps, options).Run();
  }

  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  git::FakeGitRepo repo_;
  manifest::RealFilesystem fs_;
  FakeClock clock_;
  Metrics metrics_;
  int scans_ = 0;
};

TEST_F(VerifyCycleTest, UnsignedHeadIsNotActedOnAndTheFailureNamesIt) {
  remote_.PushCommitAs("Jane <jane@example.com>", {{"README.md", "hi\n"}}, "Add a readme");
  std::string head = remote_.Head();
  DescribeCycleMetrics(metrics_);
  CycleReport report = Run(git::VerifyMode::kAll);
  EXPECT_TRUE(report.unverified);
  EXPECT_FALSE(report.pushed);
  EXPECT_FALSE(report.tag_moved);
  EXPECT_EQ(scans_, 0) << "no registry traffic for an untrusted head";
  EXPECT_EQ(remote_.Head(), head);
  EXPECT_TRUE(remote_.Tags().empty());
  ASSERT_THAT(report.errors, SizeIs(1));  // no sync tag yet: the head alone
  EXPECT_THAT(report.errors[0], HasSubstr(head.substr(0, 12)));
  EXPECT_THAT(report.errors[0], HasSubstr("unsigned"));
  EXPECT_THAT(report.errors[0], HasSubstr("jane@example.com"));
  EXPECT_THAT(metrics_.Render(), HasSubstr("tagflow_cycles_total{result=\"error\"} 1"));
}

TEST_F(VerifyCycleTest, EveryCommitSinceTheSyncTagIsNamed) {
  ASSERT_TRUE(Run(git::VerifyMode::kNone).pushed);  // releases v2 and tags it
  std::string first = remote_.PushCommit({{"a.txt", "a"}}, "one");
  std::string second = remote_.PushCommit({{"b.txt", "b"}}, "two");
  CycleReport report = Run(git::VerifyMode::kFirstParent);
  ASSERT_THAT(report.errors, SizeIs(2));
  EXPECT_THAT(report.errors[0], HasSubstr(second.substr(0, 12)));
  EXPECT_THAT(report.errors[1], HasSubstr(first.substr(0, 12)));
  EXPECT_EQ(remote_.Head(), second);
}

}  // namespace
}  // namespace tagflow::daemon
