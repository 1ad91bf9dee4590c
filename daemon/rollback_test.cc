// Rollbacks respected: the pure rules (FindRollbacks, MakePlan's holds), the
// history walk over the fake remote, and whole cycles: tagflow releases,
// a person rolls back, tagflow holds until a newer tag appears.
#include "daemon/rollback.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "daemon/api.h"
#include "daemon/cycle.h"
#include "git/fake_repo.h"
#include "manifest/extract.h"
#include "manifest/real_filesystem.h"
#include "manifest/scan.h"
#include "notify/fake_sender.h"
#include "notify/notifier.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr char kHuman[] = "Jane Ops <jane@example.com>";

TimePoint At(int s) { return TimePoint(std::chrono::seconds(1'700'000'000 + s)); }

std::string Deployment(const std::string& name, const std::string& image,
                       const std::string& filter = "semver:~1") {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  annotations:\n    fluxcd.io/automated: \"true\"\n    fluxcd.io/tag.app: " + filter +
         "\nspec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: " +
         image + "\n";
}

manifest::Workload Scanned(const std::string& file, const std::string& text) {
  manifest::FileScan scan = manifest::ScanText(file, text);
  EXPECT_THAT(scan.workloads, SizeIs(1));
  return scan.workloads.at(0);
}

image::ImageRef Ref(const std::string& text) { return *image::ImageRef::Parse(text); }

// --- FindRollbacks: the rules, from values ---------------------------------

class FindRollbacksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    workloads_.push_back(Scanned("web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")));
    automated_ = FindAutomated(workloads_, nullptr);
    ASSERT_THAT(automated_, SizeIs(1));
  }
  std::vector<Rollback> Find(ImageChange change, const TagLookup& tags = nullptr) {
    std::map<ContainerKey, ImageChange> changes{{{"default:deployment/web", "app"}, change}};
    TagLookup lookup = tags ? tags : [](const AutomatedContainer&, const std::string& t) {
      return std::optional<image::TagInfo>(image::TagInfo{t, std::nullopt});
    };
    return FindRollbacks(automated_, changes, lookup, "tagflow@localhost");
  }
  ImageChange Change(const std::string& from, const std::string& to,
                     const std::string& email = "jane@example.com") {
    return ImageChange{"c0ffee", "Jane Ops <" + email + ">", email, email, Ref(from), Ref(to)};
  }

  std::vector<manifest::Workload> workloads_;
  std::vector<AutomatedContainer> automated_;
};

TEST_F(FindRollbacksTest, PersonMovingToAnOlderTagIsARollback) {
  auto found = Find(Change("reg.example.com/web:v1.3.0", "reg.example.com/web:v1.2.0"));
  ASSERT_THAT(found, SizeIs(1));
  EXPECT_EQ(found[0].from_tag, "v1.3.0");
  EXPECT_EQ(found[0].to_tag, "v1.2.0");
  EXPECT_EQ(found[0].commit, "c0ffee");
  EXPECT_EQ(found[0].Message(),
            "rollback of default:deployment/web from v1.3.0 to v1.2.0 detected; holding until a "
            "tag newer than v1.3.0");
}

TEST_F(FindRollbacksTest, TagflowsOwnCommitIsNoRollbackWhateverTheCase) {
  EXPECT_THAT(
      Find(Change("reg.example.com/web:v1.3.0", "reg.example.com/web:v1.2.0", "TagFlow@LocalHost")),
      IsEmpty());
}

TEST_F(FindRollbacksTest, CommittedByTagflowButAuthoredByAPersonCounts) {
  ImageChange c = Change("reg.example.com/web:v1.3.0", "reg.example.com/web:v1.2.0");
  c.committer_email = "tagflow@localhost";
  EXPECT_THAT(Find(c), SizeIs(1));
}

TEST_F(FindRollbacksTest, MovesUpSidewaysOrElsewhereAreNoRollbacks) {
  EXPECT_THAT(Find(Change("reg.example.com/web:v1.1.0", "reg.example.com/web:v1.2.0")), IsEmpty());
  // Another repository: a different image, not an older tag.
  EXPECT_THAT(Find(Change("reg.example.com/other:v1.3.0", "reg.example.com/web:v1.2.0")),
              IsEmpty());
  // From a tag the filter does not allow (semver:~1 excludes v2).
  EXPECT_THAT(Find(Change("reg.example.com/web:v2.0.0", "reg.example.com/web:v1.2.0")), IsEmpty());
  // The container moved on since (the change is not the current tag).
  EXPECT_THAT(Find(Change("reg.example.com/web:v1.3.0", "reg.example.com/web:v1.1.0")), IsEmpty());
}

TEST_F(FindRollbacksTest, TimeOrderedFiltersNeedBothTimes) {
  workloads_ = {Scanned("web.yaml", Deployment("web", "reg.example.com/web:b", "glob:*"))};
  automated_ = FindAutomated(workloads_, nullptr);
  ImageChange c = Change("reg.example.com/web:a", "reg.example.com/web:b");
  std::map<std::string, std::optional<TimePoint>> times{{"a", At(20)}, {"b", At(10)}};
  auto lookup = [&](const AutomatedContainer&, const std::string& t) {
    return std::optional<image::TagInfo>(image::TagInfo{t, times[t]});
  };
  EXPECT_THAT(Find(c, lookup), SizeIs(1));  // a (day 20) -> b (day 10): older
  times["a"] = std::nullopt;
  EXPECT_THAT(Find(c, lookup), IsEmpty());  // unknown: never judged older
  times["a"] = At(5);
  EXPECT_THAT(Find(c, lookup), IsEmpty());  // b is newer: a move up
}

// --- MakePlan with holds -----------------------------------------------------

TEST(PlanHoldsTest, HeldContainerWaitsForATagNewerThanTheOneRolledBackFrom) {
  std::vector<manifest::Workload> workloads = {
      Scanned("web.yaml", Deployment("web", "reg.example.com/web:v1.2.0"))};
  std::vector<AutomatedContainer> automated = FindAutomated(workloads, nullptr);
  std::map<std::string, registry::RepositoryScan> scans;
  auto scan_with = [&](std::vector<std::string> tags) {
    std::vector<TagMetadata> meta;
    for (const std::string& t : tags) meta.push_back({t, "", std::nullopt, ""});
    scans.clear();
    scans.emplace("reg.example.com/web",
                  registry::RepositoryScan{Ref("reg.example.com/web:v1.2.0"), false, meta});
  };
  auto digest = [](const image::ImageRef&, const std::string&) -> Result<std::string> {
    return Fail(ErrorKind::kInternal, "not needed");
  };
  Holds holds{{{"default:deployment/web", "app"}, "v1.3.0"}};
  scan_with({"v1.1.0", "v1.2.0", "v1.3.0"});
  Plan held = MakePlan(automated, scans, digest, {}, &holds);
  EXPECT_THAT(held.changes, IsEmpty());
  ASSERT_THAT(held.problems, SizeIs(1));
  EXPECT_TRUE(held.problems[0].notice);
  EXPECT_THAT(held.problems[0].message, HasSubstr("held after a rollback"));
  // Without the hold, v1.3.0 comes back.
  Plan free = MakePlan(automated, scans, digest);
  ASSERT_THAT(free.changes, SizeIs(1));
  EXPECT_EQ(free.changes[0].to.tag(), "v1.3.0");
  // A newer tag ends the hold.
  scan_with({"v1.2.0", "v1.3.0", "v1.4.0"});
  Plan moved = MakePlan(automated, scans, digest, {}, &holds);
  ASSERT_THAT(moved.changes, SizeIs(1));
  EXPECT_EQ(moved.changes[0].to.tag(), "v1.4.0");
}

// --- LastImageChanges over a history ----------------------------------------

class HistoryTest : public ::testing::Test {
 protected:
  HistoryTest() : remote_({{"web.yaml", Deployment("web", "reg.example.com/web:v1.0.0")}}) {}
  std::map<ContainerKey, ImageChange> Changes(size_t window = kRollbackWindow) {
    git::FakeGitRepo repo(remote_, tmp_.path() / "clone");
    EXPECT_TRUE(repo.Sync());
    std::string text = remote_.Find(remote_.Head())->files.at("web.yaml");
    workloads_ = {Scanned("web.yaml", text)};
    auto changes = LastImageChanges(*repo.history(), remote_.Head(),
                                    FindAutomated(workloads_, nullptr), window);
    EXPECT_TRUE(changes) << changes.error().message;
    return changes ? *changes : std::map<ContainerKey, ImageChange>{};
  }
  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  std::vector<manifest::Workload> workloads_;
};

TEST_F(HistoryTest, NewestChangeOfTheImageWins) {
  remote_.PushCommitAs("tagflow <tagflow@localhost>",
                       {{"web.yaml", Deployment("web", "reg.example.com/web:v1.3.0")}},
                       "Auto-release");
  std::string rollback = remote_.PushCommitAs(
      kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")}}, "roll back web");
  // Later commits that do not touch the image: an annotation edit, another file.
  remote_.PushCommit({{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0", "semver:~1.0")}},
                     "tighten the filter");
  remote_.PushCommit({{"other.yaml", "kind: ConfigMap\n"}}, "unrelated");
  auto changes = Changes();
  ASSERT_THAT(changes, SizeIs(1));
  const ImageChange& c = changes.begin()->second;
  EXPECT_EQ(c.commit, rollback);
  EXPECT_EQ(c.from.tag(), "v1.3.0");
  EXPECT_EQ(c.to.tag(), "v1.2.0");
  EXPECT_EQ(c.author_email, "jane@example.com");
}

TEST_F(HistoryTest, EachContainerOfAFileGetsItsOwnNewestChange) {
  auto both = [](const std::string& web, const std::string& api) {
    return Deployment("web", "reg.example.com/web:" + web) + "---\n" +
           Deployment("api", "reg.example.com/api:" + api);
  };
  remote_.PushCommit({{"web.yaml", both("v1.0.0", "v2.0.0")}}, "add api");
  std::string web_change =
      remote_.PushCommitAs(kHuman, {{"web.yaml", both("v0.9.0", "v2.0.0")}}, "roll back web");
  std::string api_change =
      remote_.PushCommitAs(kHuman, {{"web.yaml", both("v0.9.0", "v1.9.0")}}, "roll back api");
  remote_.PushCommit({{"web.yaml", both("v0.9.0", "v1.9.0") + "# a comment\n"}}, "comment");
  git::FakeGitRepo repo(remote_, tmp_.path() / "clone2");
  ASSERT_TRUE(repo.Sync());
  manifest::FileScan scan =
      manifest::ScanText("web.yaml", remote_.Find(remote_.Head())->files.at("web.yaml"));
  ASSERT_THAT(scan.workloads, SizeIs(2));
  auto changes = LastImageChanges(*repo.history(), remote_.Head(),
                                  FindAutomated(scan.workloads, nullptr), kRollbackWindow);
  ASSERT_TRUE(changes) << changes.error().message;
  ASSERT_THAT(*changes, SizeIs(2));
  const ImageChange& web = changes->at({"default:deployment/web", "app"});
  EXPECT_EQ(web.commit, web_change);
  EXPECT_EQ(web.from.String(), "reg.example.com/web:v1.0.0");
  EXPECT_EQ(web.to.String(), "reg.example.com/web:v0.9.0");
  const ImageChange& api = changes->at({"default:deployment/api", "app"});
  EXPECT_EQ(api.commit, api_change);
  EXPECT_EQ(api.from.tag(), "v2.0.0");
  EXPECT_EQ(api.to.tag(), "v1.9.0");
}

TEST_F(HistoryTest, WindowBoundsTheWalk) {
  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v0.9.0")}},
                       "roll back");
  for (int i = 0; i < 5; ++i) remote_.PushCommit({{"n.txt", std::to_string(i)}}, "noise");
  EXPECT_THAT(Changes(/*window=*/10), SizeIs(1));
  EXPECT_THAT(Changes(/*window=*/3), IsEmpty());
}

TEST_F(HistoryTest, AFileThatDidNotParseIsSkippedNotFatal) {
  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v0.9.0")}},
                       "roll back");
  remote_.PushCommit({{"web.yaml", "key: [unclosed\n"}}, "broken");
  remote_.PushCommit({{"web.yaml", Deployment("web", "reg.example.com/web:v0.9.0")}}, "fixed");
  auto changes = Changes();
  ASSERT_THAT(changes, SizeIs(1));
  EXPECT_EQ(changes.begin()->second.to.tag(), "v0.9.0");
}

TEST_F(HistoryTest, ACreatedContainerHasNoEarlierChange) {
  remote_.PushCommitAs(kHuman, {{"web.yaml", "kind: ConfigMap\n"}}, "remove");
  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v0.9.0")}},
                       "re-create older");
  EXPECT_THAT(Changes(), IsEmpty());
}

// --- Whole cycles ------------------------------------------------------------

class RollbackCycleTest : public ::testing::Test {
 protected:
  RollbackCycleTest()
      : remote_({{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")}}),
        repo_(remote_, tmp_.path() / "clone") {
    tags_ = {"v1.2.0", "v1.3.0"};
    notify::NotifierOptions options;
    options.webhook_url = "https://hooks.example.com/tagflow/hook";
    options.max_wait = std::chrono::milliseconds(1);
    notifier_ = std::move(notify::Notifier::Create(options, sender_, clock_).value());
  }
  ~RollbackCycleTest() override { notifier_.reset(); }

  Cycle& TheCycle(bool respect = true) {
    if (!cycle_) {
      CycleOptions options;
      options.respect_rollbacks = respect;
      CycleDeps deps{
          repo_,
          fs_,
          [this](const std::vector<registry::ScanTarget>& targets) {
            std::map<std::string, registry::RepositoryScan> out;
            std::vector<TagMetadata> meta;
            for (const std::string& t : tags_) meta.push_back({t, "", At(1), ""});
            for (const auto& t : targets) {
              out.emplace(t.image.CanonicalName(), registry::RepositoryScan{t.image, false, meta});
            }
            return out;
          },
          nullptr,
          clock_,
          nullptr,
          notifier_.get()};
      cycle_ = std::make_unique<Cycle>(deps, options);
    }
    return *cycle_;
  }
  std::string WebTag() {
    std::string text = remote_.Find(remote_.Head())->files.at("web.yaml");
    return text.substr(text.rfind(':') + 1, text.size() - text.rfind(':') - 2);
  }
  std::vector<nlohmann::json> Notices() {
    std::vector<nlohmann::json> out;
    for (const notify::PostRequest& r : sender_.Requests()) {
      auto j = nlohmann::json::parse(r.body);
      if (j["kind"] == "notice") out.push_back(j);
    }
    return out;
  }

  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  git::FakeGitRepo repo_;
  manifest::RealFilesystem fs_;
  FakeClock clock_;
  std::vector<std::string> tags_;
  notify::FakeSender sender_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<Cycle> cycle_;
};

TEST_F(RollbackCycleTest, HoldsAfterARollbackAndMovesOnWithANewerTag) {
  CycleReport first = TheCycle().Run();
  ASSERT_TRUE(first.pushed) << ::testing::PrintToString(first.errors);
  EXPECT_EQ(WebTag(), "v1.3.0");

  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")}},
                       "Roll web back to v1.2.0");
  for (int i = 0; i < 3; ++i) {
    CycleReport held = TheCycle().Run();
    EXPECT_TRUE(held.ok()) << ::testing::PrintToString(held.errors);
    EXPECT_FALSE(held.pushed);
    EXPECT_EQ(WebTag(), "v1.2.0");
    ASSERT_THAT(held.rollbacks, SizeIs(1));
    EXPECT_EQ(held.rollbacks[0].from_tag, "v1.3.0");
  }
  // Told once, whatever the number of cycles.
  ASSERT_TRUE(sender_.WaitForRequests(2, std::chrono::seconds(10)));
  std::vector<nlohmann::json> notices = Notices();
  ASSERT_THAT(notices, SizeIs(1));
  EXPECT_THAT(notices[0]["text"].get<std::string>(),
              HasSubstr("rollback of default:deployment/web from v1.3.0 to v1.2.0 detected; "
                        "holding until a tag newer than v1.3.0"));

  tags_.push_back("v1.4.0");
  CycleReport moved = TheCycle().Run();
  EXPECT_TRUE(moved.pushed);
  EXPECT_EQ(WebTag(), "v1.4.0");
  EXPECT_THAT(moved.rollbacks, SizeIs(1));  // seen at the start of the cycle
  CycleReport after = TheCycle().Run();
  EXPECT_THAT(after.rollbacks, IsEmpty());  // tagflow's commit is the newest change now
}

TEST_F(RollbackCycleTest, TurnedOffTheRolledBackTagComesBack) {
  ASSERT_TRUE(TheCycle(/*respect=*/false).Run().pushed);
  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")}},
                       "Roll web back");
  CycleReport again = TheCycle().Run();
  EXPECT_TRUE(again.pushed);
  EXPECT_EQ(WebTag(), "v1.3.0");
  EXPECT_THAT(again.rollbacks, IsEmpty());
}

TEST_F(RollbackCycleTest, ListImagesMarksTheHeldTags) {
  ASSERT_TRUE(TheCycle().Run().pushed);
  remote_.PushCommitAs(kHuman, {{"web.yaml", Deployment("web", "reg.example.com/web:v1.2.0")}},
                       "Roll web back");
  tags_.push_back("v1.1.0");
  CycleReport held = TheCycle().Run();
  ASSERT_THAT(held.rollbacks, SizeIs(1));
  registry::ImageListing listing;
  listing.image = Ref("reg.example.com/web:v1.2.0");
  for (const char* t : {"v1.3.0", "v1.2.0", "v1.1.0"}) listing.available.push_back({t, "", {}});
  listing.latest_filtered = listing.available[0];
  std::vector<WorkloadImages> images = {{"default:deployment/web", {{"app", listing, ""}}}};
  AttachRollbacks(images, held.rollbacks);
  nlohmann::ordered_json j = ImagesJson(images);
  const auto& c = j[0]["Containers"][0];
  EXPECT_EQ(c["Rollback"]["From"], "v1.3.0");
  EXPECT_EQ(c["Rollback"]["To"], "v1.2.0");
  EXPECT_EQ(c["Available"][0]["Held"], true);
  EXPECT_FALSE(c["Available"][1].contains("Held"));  // the current tag
  EXPECT_FALSE(c["Available"][2].contains("Held"));
  EXPECT_FALSE(c.contains("LatestFiltered"));  // v1.3.0 was listed as picked, but is held
}

}  // namespace
}  // namespace tagflow::daemon
