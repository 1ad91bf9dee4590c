// The automation cycle against a fake git remote, fake image scans and a
// fake clock; the work tree and the rewrite are real.
#include "daemon/cycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "git/fake_repo.h"
#include "manifest/real_filesystem.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TimePoint At(int s) { return TimePoint(std::chrono::seconds(1'700'000'000 + s)); }

std::string Deployment(const std::string& name, const std::string& image,
                       const std::string& extra_annotations = "") {
  return "# " + name + "\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  annotations:\n    fluxcd.io/automated: \"true\"\n" + extra_annotations +
         "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: \"" +
         image + "\"  # pinned by tagflow\n";
}

class CycleTest : public ::testing::Test {
 protected:
  CycleTest()
      : remote_({{"web.yaml", Deployment("web", "localhost:5000/web:v1")},
                 {"api.yaml", Deployment("api", "localhost:5000/api:v1")},
                 {"README.md", "not yaml\n"}}),
        repo_(remote_, tmp_.path() / "clone") {
    tags_["localhost:5000/web"] = {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}};
    tags_["localhost:5000/api"] = {{"v1", "", At(1), ""}, {"v3", "", At(3), ""}};
  }

  CycleReport RunCycle(CycleOptions options = {}) {
    CycleDeps deps{
        repo_,
        fs_,
        [this](const std::vector<registry::ScanTarget>& targets) {
          scan_calls_++;
          if (before_scan_) before_scan_();
          std::map<std::string, registry::RepositoryScan> out;
          for (const auto& t : targets) {
            std::string name = t.image.CanonicalName();
            auto it = tags_.find(name);
            Result<std::vector<TagMetadata>> tags =
                it != tags_.end()
                    ? Result<std::vector<TagMetadata>>(it->second)
                    : std::unexpected(Error{ErrorKind::kTransient, name + ": connection refused"});
            out.emplace(name, registry::RepositoryScan{t.image, false, tags});
          }
          return out;
        },
        [](const image::ImageRef&, const std::string&) {
          return Result<std::string>("sha256:" + std::string(64, 'e'));
        },
        clock_,
        &metrics_,
        nullptr,
        &stopping_};
    return Cycle(deps, options).Run({"test"});
  }
  std::string RemoteFile(const std::string& name) {
    return remote_.Find(remote_.Head())->files.at(name);
  }

  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  git::FakeGitRepo repo_;
  manifest::RealFilesystem fs_;
  FakeClock clock_;
  Metrics metrics_;
  std::atomic<bool> stopping_{false};
  std::map<std::string, std::vector<TagMetadata>> tags_;
  std::function<void()> before_scan_;
  int scan_calls_ = 0;
};

TEST_F(CycleTest, UpdatesCommitsPushesAndMovesTheSyncTag) {
  std::string before = remote_.Head();
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_TRUE(r.pushed);
  ASSERT_EQ(r.applied.size(), 2u);
  EXPECT_NE(remote_.Head(), before);
  EXPECT_EQ(remote_.Head(), r.commit);
  EXPECT_EQ(RemoteFile("web.yaml"), Deployment("web", "localhost:5000/web:v2"));
  EXPECT_EQ(RemoteFile("api.yaml"), Deployment("api", "localhost:5000/api:v3"));
  EXPECT_EQ(RemoteFile("README.md"), "not yaml\n");
  auto log = remote_.Log();
  EXPECT_EQ(
      log.front().message,
      "Auto-release multiple (2) images\n\n - localhost:5000/api:v3\n - localhost:5000/web:v2\n");
  EXPECT_EQ(log.front().author, "tagflow <tagflow@localhost>");
  EXPECT_EQ(remote_.Tags().at("flux-sync"), r.commit);
  EXPECT_TRUE(r.tag_moved);
  EXPECT_EQ(metrics_.Value("tagflow_commits_total"), 1);
  EXPECT_EQ(metrics_.Value("tagflow_cycles_total", {{"result", "ok"}}), 1);
}

TEST_F(CycleTest, SecondRunIsIdempotent) {
  ASSERT_TRUE(RunCycle().pushed);
  std::string head = remote_.Head();
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.pushed);
  EXPECT_FALSE(r.tag_moved);
  EXPECT_THAT(r.applied, IsEmpty());
  EXPECT_EQ(remote_.Head(), head);
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kPush), 1);
}

TEST_F(CycleTest, CiSkipAndSingleImageMessage) {
  tags_["localhost:5000/api"] = {{"v1", "", At(1), ""}};
  CycleOptions options;
  options.ci_skip = true;
  ASSERT_TRUE(RunCycle(options).pushed);
  EXPECT_EQ(remote_.Log().front().message, "Auto-release localhost:5000/web:v2\n\n[ci skip]\n");
}

TEST_F(CycleTest, ConcurrentWriterCausesReplanNotLostUpdateOrDuplicate) {
  // Another writer pushes between our sync and our push.
  before_scan_ = [this] {
    if (scan_calls_ == 1) remote_.PushCommit({{"other.yaml", "kind: ConfigMap\n"}}, "someone else");
  };
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(r.errors);
  EXPECT_TRUE(r.pushed);
  EXPECT_EQ(r.push_conflicts, 1);
  auto log = remote_.Log();
  ASSERT_GE(log.size(), 3u);
  EXPECT_THAT(log[0].message, HasSubstr("Auto-release"));
  EXPECT_EQ(log[1].message, "someone else");
  EXPECT_EQ(RemoteFile("other.yaml"), "kind: ConfigMap\n");
  EXPECT_EQ(RemoteFile("web.yaml"), Deployment("web", "localhost:5000/web:v2"));
  EXPECT_EQ(scan_calls_, 1) << "registry results are reused when re-planning";
  EXPECT_EQ(metrics_.Value("tagflow_push_conflicts_total"), 1);
}

TEST_F(CycleTest, ConcurrentWriterWithTheSameChangeMeansNoDuplicateCommit) {
  before_scan_ = [this] {
    if (scan_calls_ == 1) {
      remote_.PushCommit({{"web.yaml", Deployment("web", "localhost:5000/web:v2")},
                          {"api.yaml", Deployment("api", "localhost:5000/api:v3")}},
                         "a human did it first");
    }
  };
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.ok());
  EXPECT_FALSE(r.pushed);
  EXPECT_EQ(r.push_conflicts, 1);
  EXPECT_EQ(remote_.Log().front().message, "a human did it first");
  EXPECT_EQ(remote_.Tags().at("flux-sync"), remote_.Head());
}

TEST_F(CycleTest, GivesUpAfterBoundedConflicts) {
  before_scan_ = [] {};
  for (int i = 0; i < 3; ++i)
    remote_.FailNext(git::FakeGitRemote::Op::kPush, {ErrorKind::kConflict, "non-fast-forward"});
  CycleReport r = RunCycle();
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.pushed);
  EXPECT_EQ(r.push_conflicts, 3);
  EXPECT_THAT(r.errors.back(), HasSubstr("gave up after 3 attempts"));
}

TEST_F(CycleTest, RejectedPushIsAnErrorAndNothingIsForced) {
  remote_.FailNext(git::FakeGitRemote::Op::kPush,
                   {ErrorKind::kUnauthorized, "pre-receive hook declined"});
  std::string head = remote_.Head();
  CycleReport r = RunCycle();
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.errors, ElementsAre(HasSubstr("pre-receive hook declined")));
  EXPECT_EQ(remote_.Head(), head);
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kPush), 1);
}

TEST_F(CycleTest, RegistryDownForOneImageStillUpdatesTheOther) {
  tags_.erase("localhost:5000/api");
  CycleReport r = RunCycle();
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(r.pushed);
  ASSERT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.applied[0].workload, "default:deployment/web");
  EXPECT_THAT(r.errors, ElementsAre(AllOf(HasSubstr("default:deployment/api"),
                                          HasSubstr("connection refused"))));
  EXPECT_EQ(RemoteFile("api.yaml"), Deployment("api", "localhost:5000/api:v1"));
}

TEST_F(CycleTest, MalformedFileAndInvalidFilterDoNotStopOtherUpdates) {
  remote_.PushCommit({{"broken.yaml", "kind: Deployment\nmetadata: {name: [\n"},
                      {"bad-filter.yaml", Deployment("bad", "localhost:5000/web:v1",
                                                     "    fluxcd.io/tag.app: regex:(\n")}},
                     "add trouble");
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.pushed);
  EXPECT_EQ(r.applied.size(), 2u);
  ASSERT_EQ(r.errors.size(), 2u) << ::testing::PrintToString(r.errors);
  EXPECT_THAT(r.errors, ::testing::Contains(HasSubstr("broken.yaml")));
  EXPECT_THAT(r.errors, ::testing::Contains(
                            AllOf(HasSubstr("default:deployment/bad"), HasSubstr("regex:("))));
  EXPECT_EQ(RemoteFile("bad-filter.yaml"),
            Deployment("bad", "localhost:5000/web:v1", "    fluxcd.io/tag.app: regex:(\n"));
}

TEST_F(CycleTest, LockedWorkloadIsUntouched) {
  remote_.PushCommit({{"web.yaml", Deployment("web", "localhost:5000/web:v1",
                                              "    fluxcd.io/locked: \"true\"\n")}},
                     "lock web");
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(r.applied.size(), 1u);
  EXPECT_EQ(r.applied[0].workload, "default:deployment/api");
}

TEST_F(CycleTest, DryRunAndReadonlyChangeNothing) {
  std::string head = remote_.Head();
  for (bool dry : {true, false}) {
    CycleOptions options;
    options.dry_run = dry;
    options.readonly = !dry;
    CycleReport r = RunCycle(options);
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r.planned.size(), 2u);
    EXPECT_THAT(r.applied, IsEmpty());
    EXPECT_EQ(remote_.Head(), head);
    EXPECT_TRUE(remote_.Tags().empty());
  }
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kPush), 0);
}

TEST_F(CycleTest, StopRequestBeforePushLeavesTheRemoteUntouched) {
  before_scan_ = [this] { stopping_ = true; };
  std::string head = remote_.Head();
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.stopped);
  EXPECT_EQ(remote_.Head(), head);
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kPush), 0);
  EXPECT_TRUE(remote_.Tags().empty());
}

TEST_F(CycleTest, GitSyncFailureIsReportedAndNothingElseRuns) {
  remote_.FailNext(git::FakeGitRemote::Op::kSync,
                   {ErrorKind::kTransient, "git.example: timed out"});
  CycleReport r = RunCycle();
  EXPECT_FALSE(r.synced);
  EXPECT_THAT(r.errors, ElementsAre(HasSubstr("timed out")));
  EXPECT_EQ(scan_calls_, 0);
}

TEST_F(CycleTest, SyncTagCanBeDisabled) {
  CycleOptions options;
  options.sync_tag = "";
  ASSERT_TRUE(RunCycle(options).pushed);
  EXPECT_TRUE(remote_.Tags().empty());
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kMoveTag), 0);
}

}  // namespace
}  // namespace tagflow::daemon
