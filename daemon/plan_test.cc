#include "daemon/plan.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/extract.h"
#include "manifest/memory_filesystem.h"
#include "manifest/scan.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TimePoint At(int s) { return TimePoint(seconds(1'700'000'000 + s)); }

std::string Deployment(const std::string& name, const std::string& image,
                       const std::string& annotations) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: " + name +
         "\n  annotations:\n" + annotations +
         "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: " +
         image + "\n---\n";
}

class PlanTest : public ::testing::Test {
 protected:
  void Load(const std::string& yaml) {
    manifest::FileScan scan = manifest::ScanText("apps.yaml", yaml);
    for (const manifest::Problem& p : scan.problems) {
      ASSERT_EQ(p.severity, manifest::Severity::kNotice) << p.ToString();
    }
    workloads_ = std::move(scan.workloads);
    automated_ = FindAutomated(workloads_, &problems_);
  }
  void Tags(const std::string& canonical, std::vector<TagMetadata> tags) {
    registry::RepositoryScan s{image::ImageRef::Parse(canonical).value(), false, std::move(tags)};
    scans_[canonical] = std::move(s);
  }
  Plan Run() {
    return MakePlan(automated_, scans_, [](const image::ImageRef&, const std::string& tag) {
      return Result<std::string>("sha256:" + std::string(63, 'f') + tag.substr(tag.size() - 1));
    });
  }

  std::vector<manifest::Workload> workloads_;
  std::vector<AutomatedContainer> automated_;
  std::vector<PlanProblem> problems_;
  std::map<std::string, registry::RepositoryScan> scans_;
};

const char kAutomated[] = "    fluxcd.io/automated: \"true\"\n";

TEST_F(PlanTest, PicksTheNewestTagByCreationTime) {
  Load(Deployment("web", "localhost:5000/web:master-a",
                  kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n")));
  Tags("localhost:5000/web", {{"master-a", "", At(1), ""},
                              {"master-c", "", At(3), ""},
                              {"master-b", "", At(2), ""},
                              {"dev-z", "", At(9), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].workload, "default:deployment/web");
  EXPECT_EQ(plan.changes[0].container, "app");
  EXPECT_EQ(plan.changes[0].file, "apps.yaml");
  EXPECT_EQ(plan.changes[0].to.String(), "localhost:5000/web:master-c");
  EXPECT_THAT(plan.problems, IsEmpty());
}

TEST_F(PlanTest, ScanTargetsAreOnePerRepositoryWithEachFilterAndTagOnce) {
  std::string glob = kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n");
  std::string semver = kAutomated + std::string("    fluxcd.io/tag.app: semver:~1\n");
  Load(Deployment("a", "localhost:5000/web:master-a", glob) +
       Deployment("b", "localhost:5000/web:master-a", glob) +
       Deployment("c", "localhost:5000/web:1.0.0", semver) +
       Deployment("d", "localhost:5000/api:master-b", glob));
  ASSERT_EQ(automated_.size(), 4u);
  // The four containers share two parsed filters.
  EXPECT_EQ(automated_[0].filter.spec(), "glob:master-*");
  EXPECT_EQ(automated_[3].filter.spec(), "glob:master-*");

  std::vector<registry::ScanTarget> targets = ScanTargets(automated_);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].image.CanonicalName(), "localhost:5000/web");
  ASSERT_EQ(targets[0].filters.size(), 2u);
  EXPECT_EQ(targets[0].filters[0].spec(), "glob:master-*");
  EXPECT_EQ(targets[0].filters[1].spec(), "semver:~1");
  EXPECT_THAT(targets[0].wanted, ElementsAre("master-a", "1.0.0"));
  EXPECT_THAT(targets[0].gated, IsEmpty());
  EXPECT_EQ(targets[1].image.CanonicalName(), "localhost:5000/api");
  EXPECT_THAT(targets[1].wanted, ElementsAre("master-b"));
}

TEST_F(PlanTest, AnInvalidFilterSharedByManyContainersIsReportedForEach) {
  std::string bad = kAutomated + std::string("    fluxcd.io/tag.app: regex:(\n");
  Load(Deployment("a", "localhost:5000/web:1", bad) + Deployment("b", "localhost:5000/web:1", bad));
  EXPECT_THAT(automated_, IsEmpty());
  ASSERT_EQ(problems_.size(), 2u);
  EXPECT_EQ(problems_[0].workload, "default:deployment/a");
  EXPECT_EQ(problems_[1].workload, "default:deployment/b");
}

TEST_F(PlanTest, TrimForPlanningKeepsWhatPlanningReads) {
  Load(Deployment("web", "localhost:5000/web:master-a",
                  kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n"
                                           "    tagflow.io/notify-channel: \"#web\"\n"
                                           "    team: payments\n")) +
       Deployment("manual", "localhost:5000/web:master-a", "    team: payments\n") +
       Deployment("frozen", "localhost:5000/web:master-a",
                  kAutomated + std::string("    fluxcd.io/locked: \"true\"\n")));
  ASSERT_EQ(workloads_.size(), 3u);
  for (manifest::Workload& w : workloads_) TrimForPlanning(w);

  const manifest::Workload& web = workloads_[0];
  EXPECT_EQ(web.id, "default:deployment/web");
  EXPECT_EQ(web.file, "apps.yaml");
  EXPECT_THAT(web.annotations,
              ElementsAre(std::pair<std::string, std::string>(kNotifyChannel, "#web")));
  ASSERT_EQ(web.containers.size(), 1u);
  EXPECT_EQ(web.containers[0].image.String(), "localhost:5000/web:master-a");
  EXPECT_THAT(web.containers[0].sources, IsEmpty());
  for (const manifest::Workload* w : {&workloads_[1], &workloads_[2]}) {
    EXPECT_THAT(w->containers, IsEmpty()) << w->id;
    EXPECT_THAT(w->annotations, IsEmpty()) << w->id;
  }

  // The trimmed scan plans exactly as the whole one did.
  automated_ = FindAutomated(workloads_, &problems_);
  ASSERT_EQ(automated_.size(), 1u);
  Tags("localhost:5000/web", {{"master-a", "", At(1), ""}, {"master-b", "", At(2), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].to.String(), "localhost:5000/web:master-b");
  EXPECT_EQ(plan.changes[0].file, "apps.yaml");
}

TEST_F(PlanTest, NoChangeWhenCurrentIsNewest) {
  Load(Deployment("web", "localhost:5000/web:master-c", kAutomated));
  Tags("localhost:5000/web", {{"master-a", "", At(1), ""}, {"master-c", "", At(3), ""}});
  EXPECT_THAT(Run().changes, IsEmpty());
}

TEST_F(PlanTest, NeverMovesDownToAnOlderAllowedTag) {
  // v2.0.0 is outside ~1 but newer than anything the filter allows.
  Load(Deployment("web", "localhost:5000/web:v2.0.0",
                  kAutomated + std::string("    fluxcd.io/tag.app: semver:~1\n")));
  Tags("localhost:5000/web", {{"v1.4.0", "", {}, ""}, {"v2.0.0", "", {}, ""}});
  EXPECT_THAT(Run().changes, IsEmpty());
}

TEST_F(PlanTest, MovesOffATagThatIsGoneOrNotAllowedAndOlder) {
  Load(Deployment("web", "localhost:5000/web:v0.9.0",
                  kAutomated + std::string("    fluxcd.io/tag.app: semver:~1\n")));
  Tags("localhost:5000/web", {{"v1.4.0", "", {}, ""}, {"v1.3.9", "", {}, ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].to.tag(), "v1.4.0");
}

TEST_F(PlanTest, SkipsLockedIgnoredAndManualWorkloads) {
  Load(Deployment("locked", "localhost:5000/web:v1",
                  kAutomated + std::string("    fluxcd.io/locked: \"true\"\n")) +
       Deployment("ignored", "localhost:5000/web:v1",
                  kAutomated + std::string("    fluxcd.io/ignore: \"true\"\n")) +
       Deployment("manual", "localhost:5000/web:v1", "    fluxcd.io/automated: \"false\"\n") +
       Deployment("auto", "localhost:5000/web:v1", kAutomated));
  Tags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  ASSERT_EQ(automated_.size(), 1u);
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].workload, "default:deployment/auto");
}

TEST_F(PlanTest, InvalidFilterIsAProblemAndOthersGoOn) {
  Load(Deployment("bad", "localhost:5000/web:v1",
                  kAutomated + std::string("    fluxcd.io/tag.app: semver:>>1\n")) +
       Deployment("good", "localhost:5000/web:v1", kAutomated));
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_EQ(problems_[0].workload, "default:deployment/bad");
  EXPECT_EQ(problems_[0].container, "app");
  EXPECT_THAT(problems_[0].message, HasSubstr("semver:>>1"));
  Tags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].workload, "default:deployment/good");
}

TEST_F(PlanTest, RegistryErrorBecomesAProblemOfEachContainer) {
  Load(Deployment("a", "localhost:5000/down:v1", kAutomated) +
       Deployment("b", "localhost:5000/up:v1", kAutomated));
  scans_["localhost:5000/down"] = registry::RepositoryScan{
      image::ImageRef::Parse("localhost:5000/down").value(), false,
      std::unexpected(Error{ErrorKind::kTransient, "localhost:5000: connection refused"})};
  Tags("localhost:5000/up", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].workload, "default:deployment/b");
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_EQ(plan.problems[0].kind, ErrorKind::kTransient);
  EXPECT_FALSE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("default:deployment/a"));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("connection refused"));
}

TEST_F(PlanTest, TagWithoutTimeIsANoticeAndDoesNotBlockOthers) {
  Load(Deployment("web", "localhost:5000/web:a", kAutomated));
  Tags("localhost:5000/web", {{"a", "", At(1), ""},
                              {"b", "", At(2), ""},
                              {"c", "", std::nullopt, "config has no created time"}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].to.tag(), "b");
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_TRUE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("tag c"));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("config has no created time"));
}

TEST_F(PlanTest, TagAtDigestGetsTheNewDigest) {
  std::string old_digest = "sha256:" + std::string(64, 'a');
  Load(Deployment("web", "localhost:5000/web:v1@" + old_digest, kAutomated));
  Tags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].to.String(),
            "localhost:5000/web:v2@sha256:" + std::string(63, 'f') + "2");
}

TEST_F(PlanTest, LatestIsNeverACandidateByDefault) {
  Load(Deployment("web", "localhost:5000/web:v1", kAutomated));
  Tags("localhost:5000/web", {{"v1", "", At(1), ""}, {"latest", "", At(5), ""}});
  EXPECT_THAT(Run().changes, IsEmpty());
}

TEST_F(PlanTest, TagsOutsideTheGrammarAreNeverCandidates) {
  Load(Deployment("web", "localhost:5000/web:a",
                  kAutomated + std::string("    fluxcd.io/tag.app: alphabetical:*\n")));
  // A hostile source: each of these sorts after "b" and would win.
  Tags("localhost:5000/web", {{"a", "", At(1), ""},
                              {"b", "", At(1), ""},
                              {"zz\nkind: Secret", "", At(1), ""},
                              {"zz\": x", "", At(1), ""},
                              {"zz#x", "", At(1), ""}});
  Plan plan = Run();
  ASSERT_EQ(plan.changes.size(), 1u);
  EXPECT_EQ(plan.changes[0].to.String(), "localhost:5000/web:b");
}

TEST_F(PlanTest, ADigestOutsideTheGrammarIsAProblemNotAnUpdate) {
  Load(Deployment("web", "localhost:5000/web:v1@sha256:" + std::string(64, 'a'), kAutomated));
  Tags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  Plan plan = MakePlan(automated_, scans_, [](const image::ImageRef&, const std::string&) {
    return Result<std::string>("sha256:not-hex\nkind: Secret");
  });
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("not algorithm:hex"));
}

TEST_F(PlanTest, NotMovedOnPartialKnowledge) {
  Load(Deployment("web", "localhost:5000/web:master-a",
                  kAutomated + std::string("    fluxcd.io/tag.app: glob:master-*\n")));
  TagMetadata waiting{"master-z", "", std::nullopt, "not fetched yet"};
  waiting.deferred = true;
  Tags("localhost:5000/web", {{"master-a", "", At(1), ""}, {"master-b", "", At(2), ""}, waiting});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_TRUE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("not complete yet"));
  // A deferred tag the filter does not match does not hold the workload back.
  Tags("localhost:5000/web", {{"master-a", "", At(1), ""},
                              {"master-b", "", At(2), ""},
                              {"dev-z", "", std::nullopt, "", true}});
  ASSERT_EQ(Run().changes.size(), 1u);
}

// Flux v2 markers: the policy's filter drives the marked values; each change
// names the marker's own file; a marker in a locked document is not planned.
TEST_F(PlanTest, FluxV2MarkersArePlannedInTheirOwnFiles) {
  manifest::InMemoryFilesystem fs;
  fs.AddFile("/repo/flux.yaml",
             "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n"
             "  name: web\n  namespace: flux-system\nspec:\n  image: localhost:5000/web\n---\n"
             "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n"
             "  name: web\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n"
             "    name: web\n  policy:\n    semver:\n      range: ^1.0.0\n");
  fs.AddFile("/repo/a/deploy.yaml",
             "image: localhost:5000/web:1.0.0 # {\"$imagepolicy\": \"flux-system:web\"}\n");
  fs.AddFile(
      "/repo/b/kustomization.yaml",
      "images:\n- name: web\n  newTag: 1.0.0 # {\"$imagepolicy\": \"flux-system:web:tag\"}\n");
  fs.AddFile("/repo/c/locked.yaml",
             "metadata:\n  annotations:\n    tagflow.io/locked: \"true\"\n"
             "image: localhost:5000/web:1.0.0 # {\"$imagepolicy\": \"flux-system:web\"}\n");
  Result<manifest::ScanResult> scan = manifest::Scan(fs, "/repo", {});
  ASSERT_TRUE(scan) << scan.error().message;
  workloads_ = std::move(scan->workloads);
  automated_ = FindAutomated(workloads_, &problems_);
  EXPECT_THAT(problems_, IsEmpty());
  Tags("localhost:5000/web", {{"1.0.0", "", std::nullopt, ""},
                              {"1.2.0", "", std::nullopt, ""},
                              {"2.0.0", "", std::nullopt, ""}});
  Plan plan = Run();
  EXPECT_THAT(plan.problems, IsEmpty());
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_EQ(plan.changes[0].workload, "flux-system:imagepolicy/web");
  EXPECT_EQ(plan.changes[0].container, "a/deploy.yaml:1");
  EXPECT_EQ(plan.changes[0].file, "a/deploy.yaml");
  EXPECT_EQ(plan.changes[0].to.String(), "localhost:5000/web:1.2.0");
  EXPECT_EQ(plan.changes[1].container, "b/kustomization.yaml:3");
  EXPECT_EQ(plan.changes[1].file, "b/kustomization.yaml");
  EXPECT_EQ(plan.changes[1].to.String(), "localhost:5000/web:1.2.0");
}

TEST(CommitMessageTest, FluxV1Format) {
  auto ref = [](const char* s) { return image::ImageRef::Parse(s).value(); };
  std::vector<PlannedChange> one = {
      {"default:deployment/a", "app", "a.yaml", ref("r/a:1"), ref("r/a:2")}};
  EXPECT_EQ(CommitMessage(one, false, "[ci skip]"), "Auto-release r/a:2\n");
  EXPECT_EQ(CommitMessage(one, true, "[ci skip]"), "Auto-release r/a:2\n\n[ci skip]\n");
  std::vector<PlannedChange> many = one;
  many.push_back({"default:deployment/b", "app", "b.yaml", ref("r/b:1"), ref("r/b:3")});
  many.push_back({"default:deployment/c", "app", "c.yaml", ref("r/a:1"), ref("r/a:2")});
  EXPECT_EQ(CommitMessage(many, false, ""),
            "Auto-release multiple (2) images\n\n - r/a:2\n - r/b:3\n");
}

}  // namespace
}  // namespace tagflow::daemon
