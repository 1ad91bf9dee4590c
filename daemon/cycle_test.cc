// The automation cycle against a fake git remote, fake image scans and a
// fake clock; the work tree and the rewrite are real.
#include "daemon/cycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "git/fake_repo.h"
#include "manifest/real_filesystem.h"
#include "notify/fake_sender.h"
#include "notify/notifier.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

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
        notifier_.get(),
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
  std::unique_ptr<notify::Notifier> notifier_;  // null unless a test starts one
};

// The cycle -> notifier contract, read off the generic webhook's JSON (the
// structured event) through a Notifier over a scripted sender.
class CycleNotifyTest : public CycleTest {
 protected:
  CycleNotifyTest() {
    notify::NotifierOptions options;
    options.webhook_url = "https://hooks.example.com/tagflow/t0ken";
    options.max_wait = std::chrono::milliseconds(1);
    options.git_url = "ssh://git@github.com/org/fleet.git";
    notifier_ = std::move(notify::Notifier::Create(options, sender_, clock_).value());
  }
  ~CycleNotifyTest() override { notifier_.reset(); }

  // The events sent so far (waits for `n` of them).
  std::vector<nlohmann::json> Events(size_t n) {
    EXPECT_TRUE(sender_.WaitForRequests(n, std::chrono::seconds(10)));
    std::vector<nlohmann::json> out;
    for (const notify::PostRequest& r : sender_.Requests()) {
      out.push_back(nlohmann::json::parse(r.body));
    }
    return out;
  }
  static std::vector<std::string> Kinds(const std::vector<nlohmann::json>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.push_back(e["kind"]);
    return out;
  }
  static std::vector<std::string> Stages(const nlohmann::json& event) {
    std::vector<std::string> out;
    for (const auto& d : event["error_details"]) out.push_back(d["stage"]);
    return out;
  }

  notify::FakeSender sender_;
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

TEST_F(CycleNotifyTest, AStopMidScanNotifiesNothingAndCountsNoFailure) {
  // The stop cancels the registry requests: every container would fail.
  before_scan_ = [this] {
    stopping_ = true;
    tags_.clear();
  };
  CycleReport r = RunCycle();
  EXPECT_TRUE(r.stopped);
  EXPECT_FALSE(r.errors.empty());  // kept in the report, for --once
  EXPECT_EQ(remote_.Calls(git::FakeGitRemote::Op::kPush), 0);
  EXPECT_EQ(metrics_.Value("tagflow_cycles_total", {{"result", "stopped"}}), 1);
  EXPECT_EQ(metrics_.Value("tagflow_cycles_total", {{"result", "error"}}), 0);
  notifier_.reset();  // flushes whatever was queued
  EXPECT_THAT(sender_.Requests(), IsEmpty());
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

TEST_F(CycleNotifyTest, SuccessCarriesEachChangeWithTagsAndTheCommitLink) {
  CycleReport r = RunCycle();
  ASSERT_TRUE(r.pushed);
  auto events = Events(1);
  ASSERT_EQ(Kinds(events), std::vector<std::string>{"success"});
  const auto& e = events[0];
  EXPECT_EQ(e["commit"], r.commit);
  EXPECT_EQ(e["commit_url"], "https://github.com/org/fleet/commit/" + r.commit);
  ASSERT_EQ(e["changes"].size(), 2u);
  EXPECT_EQ(e["changes"][0], nlohmann::json({{"workload", "default:deployment/api"},
                                             {"container", "app"},
                                             {"old", "localhost:5000/api:v1"},
                                             {"new", "localhost:5000/api:v3"},
                                             {"image", "localhost:5000/api"},
                                             {"old_tag", "v1"},
                                             {"new_tag", "v3"}}));
  EXPECT_EQ(e["errors"], nlohmann::json::array());
}

TEST_F(CycleNotifyTest, EachErrorHasItsStageAndParts) {
  tags_.erase("localhost:5000/api");                                              // registry
  remote_.PushCommit({{"broken.yaml", "kind: Deployment\nmetadata: {name: [\n"},  // scan
                      {"bad-filter.yaml", Deployment("bad", "localhost:5000/web:v1",
                                                     "    fluxcd.io/tag.app: regex:(\n")}},
                     "add trouble");
  remote_.FailNext(git::FakeGitRemote::Op::kMoveTag, {ErrorKind::kTransient, "tag push timed out"});
  CycleReport r = RunCycle();
  ASSERT_TRUE(r.pushed);
  ASSERT_EQ(r.errors.size(), r.error_details.size());
  for (size_t i = 0; i < r.errors.size(); ++i) EXPECT_EQ(r.errors[i], r.error_details[i].message);

  auto events = Events(2);
  ASSERT_EQ(Kinds(events), (std::vector<std::string>{"success", "failure"}));
  EXPECT_EQ(events[0]["errors"], events[1]["errors"])
      << "a push with errors is a success *with* errors: it never reads as a recovery";
  EXPECT_EQ(Stages(events[1]), (std::vector<std::string>{"scan", "scan", "registry", "sync tag"}));
  const auto& details = events[1]["error_details"];
  EXPECT_EQ(details[0]["file"], "broken.yaml");
  EXPECT_EQ(details[1]["workload"], "default:deployment/bad");
  EXPECT_EQ(details[1]["file"], "bad-filter.yaml");
  EXPECT_EQ(details[2]["workload"], "default:deployment/api");
  EXPECT_EQ(details[2]["container"], "app");
  EXPECT_EQ(details[2]["host"], "localhost:5000");
  EXPECT_THAT(details[3]["message"].get<std::string>(), HasSubstr("tag push timed out"));
}

TEST_F(CycleNotifyTest, GitSyncAndPushFailuresHaveTheirStages) {
  remote_.FailNext(git::FakeGitRemote::Op::kSync,
                   {ErrorKind::kTransient, "git.example: timed out"});
  RunCycle();
  remote_.FailNext(git::FakeGitRemote::Op::kPush,
                   {ErrorKind::kUnauthorized, "pre-receive hook declined"});
  RunCycle();
  auto events = Events(2);
  ASSERT_EQ(Kinds(events), (std::vector<std::string>{"failure", "failure"}));
  EXPECT_EQ(Stages(events[0]), std::vector<std::string>{"git sync"});
  EXPECT_EQ(Stages(events[1]), std::vector<std::string>{"push"});
}

TEST_F(CycleNotifyTest, FailingThenPushingWithTheSameErrorThenCleanResolvesOnlyAtTheEnd) {
  tags_["localhost:5000/web"] = {{"v1", "", At(1), ""}};
  tags_.erase("localhost:5000/api");
  RunCycle();  // failure: api's registry is down
  ASSERT_EQ(Kinds(Events(1)), std::vector<std::string>{"failure"});
  tags_["localhost:5000/web"].push_back({"v2", "", At(2), ""});
  RunCycle();  // pushes web, api still failing: success with errors, failure suppressed
  ASSERT_EQ(Kinds(Events(2)), (std::vector<std::string>{"failure", "success"}));
  EXPECT_TRUE(notifier_->failing());
  tags_["localhost:5000/api"] = {{"v1", "", At(1), ""}};
  clock_.Advance(std::chrono::minutes(3));
  RunCycle();  // clean, nothing to do
  auto events = Events(3);
  ASSERT_EQ(Kinds(events), (std::vector<std::string>{"failure", "success", "resolved"}));
  EXPECT_THAT(events[2]["text"].get<std::string>(), HasSubstr("after 3m"));
  EXPECT_FALSE(notifier_->failing());
}

// tagflow.io/notify-channel reaches the notifier: read off the Slack
// incoming webhook's legacy `channel` field, one message per channel.
class CycleChannelTest : public CycleTest {
 protected:
  CycleChannelTest() {
    remote_.PushCommit({{"web.yaml", Deployment("web", "localhost:5000/web:v1",
                                                "    tagflow.io/notify-channel: \"#team-web\"\n")}},
                       "web talks to its team");
    notify::NotifierOptions options;
    options.slack_url = "https://hooks.slack.com/services/T0/B0/secret";
    options.slack_channel = "#ops";
    options.max_wait = std::chrono::milliseconds(1);
    options.min_interval = std::chrono::milliseconds(0);
    notifier_ = std::move(notify::Notifier::Create(options, sender_, clock_).value());
  }
  ~CycleChannelTest() override { notifier_.reset(); }

  // channel -> text of each message sent (waits for `n`).
  std::map<std::string, std::string> Messages(size_t n) {
    EXPECT_TRUE(sender_.WaitForRequests(n, std::chrono::seconds(10)));
    EXPECT_FALSE(sender_.WaitForRequests(n + 1, std::chrono::milliseconds(100)));
    std::map<std::string, std::string> out;
    for (const notify::PostRequest& r : sender_.Requests()) {
      auto json = nlohmann::json::parse(r.body);
      out[json.value("channel", "")] += json["text"].get<std::string>();
    }
    return out;
  }

  notify::FakeSender sender_;
};

TEST_F(CycleChannelTest, ChangesGoToTheChannelOfTheirWorkload) {
  ASSERT_TRUE(RunCycle().pushed);
  auto messages = Messages(2);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_THAT(messages["#team-web"], HasSubstr("default:deployment/web"));
  EXPECT_THAT(messages["#team-web"], Not(HasSubstr("default:deployment/api")));
  EXPECT_THAT(messages["#ops"], HasSubstr("default:deployment/api"));
  EXPECT_THAT(messages["#ops"], Not(HasSubstr("default:deployment/web")));
}

TEST_F(CycleChannelTest, ErrorsGoToTheChannelOfTheirWorkload) {
  tags_.erase("localhost:5000/web");  // web's registry is down
  tags_["localhost:5000/api"] = {{"v1", "", At(1), ""}};
  ASSERT_FALSE(RunCycle().ok());
  auto messages = Messages(1);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_THAT(messages["#team-web"], HasSubstr("localhost:5000/web"));
}

TEST_F(CycleNotifyTest, DryRunNotifiesNothing) {
  CycleOptions options;
  options.dry_run = true;
  RunCycle(options);
  EXPECT_FALSE(sender_.WaitForRequests(1, std::chrono::milliseconds(200)));
}

}  // namespace
}  // namespace tagflow::daemon
