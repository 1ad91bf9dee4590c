// MakePlan with tagflow.io/digest, min-age and verify: pure, from values,
// with the time given (as the cycle takes it from an injected FakeClock).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "base/clock.h"
#include "daemon/plan.h"
#include "manifest/extract.h"
#include "manifest/memory_filesystem.h"
#include "manifest/scan.h"

namespace tagflow::daemon {
namespace {

using registry::SignatureState;
using registry::TagMetadata;
using std::chrono::minutes;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

const std::string kD1 = "sha256:" + std::string(64, '1');
const std::string kD2 = "sha256:" + std::string(64, '2');

std::string Deployment(const std::string& image, const std::string& annotations) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  annotations:\n"
         "    fluxcd.io/automated: \"true\"\n" +
         annotations +
         "spec:\n  template:\n    spec:\n      containers:\n      - name: app\n        image: " +
         image + "\n";
}

TagMetadata Tag(std::string tag, std::optional<TimePoint> created, std::string digest = "") {
  TagMetadata t;
  t.tag = std::move(tag);
  t.created = created;
  t.digest = std::move(digest);
  return t;
}

TagMetadata Signed(std::string tag, SignatureState state, std::string problem = "") {
  TagMetadata t = Tag(std::move(tag), std::nullopt, kD1);
  t.signature = state;
  t.signature_problem = std::move(problem);
  return t;
}

class PlanGatesTest : public ::testing::Test {
 protected:
  void Load(const std::string& yaml) {
    manifest::FileScan scan = manifest::ScanText("apps.yaml", yaml);
    workloads_ = std::move(scan.workloads);
    automated_ = FindAutomated(workloads_, &problems_);
  }
  void Tags(std::vector<TagMetadata> tags) {
    scans_["registry.test/web"] = registry::RepositoryScan{
        *image::ImageRef::Parse("registry.test/web"), false, std::move(tags)};
  }
  Plan Run(bool cosign_keys = true) {
    return MakePlan(
        automated_, scans_,
        [this](const image::ImageRef&, const std::string& tag) -> Result<std::string> {
          lookups_.push_back(tag);
          auto it = digests_.find(tag);
          if (it == digests_.end()) return Fail(ErrorKind::kNotFound, "no tag " + tag);
          return it->second;
        },
        PlanContext{clock_.Now(), cosign_keys});
  }
  std::vector<std::string> Refs(const Plan& plan) {
    std::vector<std::string> out;
    for (const PlannedChange& c : plan.changes) out.push_back(c.to.String());
    return out;
  }

  FakeClock clock_;
  std::vector<manifest::Workload> workloads_;
  std::vector<AutomatedContainer> automated_;
  std::vector<PlanProblem> problems_;
  std::map<std::string, registry::RepositoryScan> scans_;
  std::map<std::string, std::string> digests_;
  std::vector<std::string> lookups_;
};

TEST_F(PlanGatesTest, DigestTrackingPinsTheTagThenFollowsRepushes) {
  Load(Deployment("registry.test/web:latest",
                  "    fluxcd.io/tag.app: glob:latest\n"
                  "    tagflow.io/digest: \"true\"\n"));
  Tags({Tag("latest", clock_.Now())});
  digests_["latest"] = kD1;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:latest@" + kD1));
  EXPECT_THAT(lookups_, ElementsAre("latest"));

  // Written with the digest, nothing moved: one lookup, no change.
  Load(Deployment("registry.test/web:latest@" + kD1,
                  "    fluxcd.io/tag.app: glob:latest\n"
                  "    tagflow.io/digest.app: \"true\"\n"));
  lookups_.clear();
  EXPECT_THAT(Run().changes, IsEmpty());
  EXPECT_THAT(lookups_, ElementsAre("latest"));

  // Re-pushed: the new digest, same tag.
  digests_["latest"] = kD2;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:latest@" + kD2));
}

TEST_F(PlanGatesTest, WithoutDigestTrackingNoLookupUnlessTheTagChanges) {
  Load(Deployment("registry.test/web:latest@" + kD1, "    fluxcd.io/tag.app: glob:latest\n"));
  Tags({Tag("latest", clock_.Now())});
  digests_["latest"] = kD2;
  EXPECT_THAT(Run().changes, IsEmpty());
  EXPECT_THAT(lookups_, IsEmpty());
}

TEST_F(PlanGatesTest, DigestTrackingAlsoGivesANewTagItsDigest) {
  Load(Deployment("registry.test/web:1.0.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/digest: \"true\"\n"));
  Tags({Tag("1.0.0", std::nullopt), Tag("1.1.0", std::nullopt)});
  digests_["1.1.0"] = kD2;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:1.1.0@" + kD2));
  EXPECT_THAT(lookups_, ElementsAre("1.1.0"));
}

TEST_F(PlanGatesTest, AFailedLookupIsAProblemNotAChange) {
  Load(Deployment("registry.test/web:latest",
                  "    fluxcd.io/tag.app: glob:latest\n"
                  "    tagflow.io/digest: \"true\"\n"));
  Tags({Tag("latest", clock_.Now())});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_FALSE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("cannot resolve the digest of"));
}

TEST_F(PlanGatesTest, BadReleaseAnnotationIsAProblemOfThatContainer) {
  Load(Deployment("registry.test/web:1.0.0", "    tagflow.io/min-age.app: soon\n"));
  EXPECT_THAT(automated_, IsEmpty());
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_THAT(problems_[0].message,
              HasSubstr("default:deployment/web container app: tagflow.io/min-age.app"));
}

TEST_F(PlanGatesTest, MinAgeHoldsAYoungTagUntilItComesOfAge) {
  Load(Deployment("registry.test/web:1.0.0",
                  "    fluxcd.io/tag.app: glob:*\n"
                  "    tagflow.io/min-age: 30m\n"));
  TimePoint pushed = clock_.Now() - minutes(5);
  Tags({Tag("1.0.0", clock_.Now() - minutes(600)), Tag("1.1.0", pushed)});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_TRUE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("tag 1.1.0"));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("younger than tagflow.io/min-age 30m"));

  clock_.Advance(minutes(24));
  EXPECT_THAT(Run().changes, IsEmpty());  // 29 minutes old
  clock_.Advance(minutes(1));
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:1.1.0"));
}

TEST_F(PlanGatesTest, MinAgePicksTheNewestOldEnoughTagNeverBelowTheCurrent) {
  Load(Deployment("registry.test/web:1.1.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/min-age.app: 1h\n"));
  Tags({Tag("1.0.0", clock_.Now() - minutes(900)), Tag("1.1.0", std::nullopt),
        Tag("1.2.0", clock_.Now() - minutes(120)), Tag("1.3.0", clock_.Now() - minutes(10)),
        Tag("1.4.0", std::nullopt)});
  Plan plan = Run();
  // 1.4.0's age is unknown (the scan could not read it) and 1.3.0 is too
  // young: 1.2.0 it is.
  EXPECT_THAT(Refs(plan), ElementsAre("registry.test/web:1.2.0"));
  ASSERT_EQ(plan.problems.size(), 2u);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("tag 1.4.0"));
  EXPECT_THAT(plan.problems[0].message, HasSubstr("creation time is unknown"));
  EXPECT_THAT(plan.problems[1].message, HasSubstr("tag 1.3.0"));

  // Only 1.0.0 is old enough, and it is older than the current tag.
  Tags({Tag("1.0.0", clock_.Now() - minutes(900)), Tag("1.1.0", std::nullopt),
        Tag("1.2.0", clock_.Now() - minutes(10))});
  EXPECT_THAT(Run().changes, IsEmpty());
}

TEST_F(PlanGatesTest, VerifySkipsBadSignaturesAndPicksTheNextSignedTag) {
  Load(Deployment("registry.test/web:1.0.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/verify: cosign\n"));
  Tags({Signed("1.0.0", SignatureState::kUnchecked), Signed("1.1.0", SignatureState::kValid),
        Signed("1.2.0", SignatureState::kInvalid, "not signed (no sha256-1.sig tag)"),
        Signed("1.3.0", SignatureState::kInvalid, "bad signature: does not verify")});
  Plan plan = Run();
  EXPECT_THAT(Refs(plan), ElementsAre("registry.test/web:1.1.0"));
  ASSERT_EQ(plan.skips.size(), 2u);
  EXPECT_EQ(plan.skips[0].tag, "1.3.0");
  EXPECT_EQ(plan.skips[0].reason, "bad signature: does not verify");
  EXPECT_EQ(plan.skips[0].digest, kD1);
  EXPECT_THAT(plan.skips[0].message,
              HasSubstr("workload default:deployment/web container app: skipped "
                        "registry.test/web:1.3.0"));
  EXPECT_EQ(plan.skips[1].tag, "1.2.0");
}

TEST_F(PlanGatesTest, VerifyNeverPicksBelowTheCurrentTag) {
  Load(Deployment("registry.test/web:1.1.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/verify: cosign\n"));
  Tags({Signed("1.0.0", SignatureState::kValid), Signed("1.1.0", SignatureState::kUnchecked),
        Signed("1.2.0", SignatureState::kInvalid, "not signed")});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  EXPECT_EQ(plan.skips.size(), 1u);
}

TEST_F(PlanGatesTest, VerifyOnAnUncheckedTagDecidesNothing) {
  Load(Deployment("registry.test/web:1.0.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/verify: cosign\n"));
  Tags({Signed("1.0.0", SignatureState::kUnchecked), Signed("1.1.0", SignatureState::kValid),
        Signed("1.2.0", SignatureState::kUnchecked)});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_TRUE(plan.problems[0].notice);
}

TEST_F(PlanGatesTest, VerifyWithoutKeysIsAnError) {
  Load(Deployment("registry.test/web:1.0.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/verify.app: cosign\n"));
  Tags({Signed("1.0.0", SignatureState::kUnchecked), Signed("1.1.0", SignatureState::kValid)});
  Plan plan = Run(/*cosign_keys=*/false);
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_FALSE(plan.problems[0].notice);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("--cosign-key"));
}

TEST_F(PlanGatesTest, ARepushedDigestPassesTheGatesBeforeItIsFollowed) {
  Load(Deployment("registry.test/web:latest@" + kD1,
                  "    fluxcd.io/tag.app: glob:latest\n"
                  "    tagflow.io/digest: \"true\"\n"
                  "    tagflow.io/verify: cosign\n"
                  "    tagflow.io/min-age: 10m\n"));
  digests_["latest"] = kD2;
  auto latest = [&](const std::string& digest, SignatureState state, TimePoint created) {
    TagMetadata t = Tag("latest", created, digest);
    t.signature = state;
    t.signature_problem = state == SignatureState::kInvalid ? "not signed" : "";
    return t;
  };
  TimePoint old = clock_.Now() - minutes(60);
  // The scan still knows the old digest: wait for it to read the new one.
  Tags({latest(kD1, SignatureState::kValid, old)});
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("not followed yet"));
  // Read, but unsigned: skipped, said once by the cycle.
  Tags({latest(kD2, SignatureState::kInvalid, old)});
  plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.skips.size(), 1u);
  EXPECT_EQ(plan.skips[0].digest, kD2);
  // Signed but too young.
  Tags({latest(kD2, SignatureState::kValid, clock_.Now() - minutes(3))});
  plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("younger than tagflow.io/min-age 10m"));
  // Signed and old enough.
  clock_.Advance(minutes(7));
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:latest@" + kD2));
}

TEST_F(PlanGatesTest, AGatedNewTagIsWrittenWithTheDigestItsGatesChecked) {
  Load(Deployment("registry.test/web:1.0.0@" + kD1,
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/digest: \"true\"\n"
                  "    tagflow.io/verify: cosign\n"));
  TagMetadata next = Signed("1.1.0", SignatureState::kValid);  // checked as kD1
  Tags({Signed("1.0.0", SignatureState::kUnchecked), next});
  digests_["1.1.0"] = kD2;  // moved since
  Plan plan = Run();
  EXPECT_THAT(plan.changes, IsEmpty());
  ASSERT_EQ(plan.problems.size(), 1u);
  EXPECT_THAT(plan.problems[0].message, HasSubstr("not the image its gates checked"));
  digests_["1.1.0"] = kD1;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:1.1.0@" + kD1));
}

TEST_F(PlanGatesTest, AKustomizationEntryIsTrackedByDigestToo) {
  manifest::FileScan scan = manifest::ScanText(
      "kustomization.yaml",
      "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n"
      "  name: web\n  annotations:\n    fluxcd.io/automated: \"true\"\n"
      "    fluxcd.io/tag.web: glob:latest\n    tagflow.io/digest.web: \"true\"\n"
      "images:\n- name: registry.test/web\n  newTag: latest\n");
  workloads_ = std::move(scan.workloads);
  automated_ = FindAutomated(workloads_, &problems_);
  ASSERT_EQ(automated_.size(), 1u) << (scan.problems.empty() ? "" : scan.problems[0].ToString());
  EXPECT_TRUE(automated_[0].release.track_digest);
  Tags({Tag("latest", clock_.Now())});
  digests_["latest"] = kD1;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:latest@" + kD1));
}

TEST_F(PlanGatesTest, AFluxImagePolicyCarriesTheReleaseAnnotations) {
  manifest::InMemoryFilesystem fs;
  fs.AddFile("/repo/flux.yaml",
             "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImageRepository\nmetadata:\n"
             "  name: web\n  namespace: flux-system\nspec:\n  image: registry.test/web\n---\n"
             "apiVersion: image.toolkit.fluxcd.io/v1\nkind: ImagePolicy\nmetadata:\n"
             "  name: web\n  namespace: flux-system\n  annotations:\n"
             "    tagflow.io/digest: \"true\"\n    tagflow.io/min-age: 1h\n"
             "spec:\n  imageRepositoryRef:\n    name: web\n  policy:\n    semver:\n"
             "      range: ^1.0.0\n");
  fs.AddFile("/repo/deploy.yaml",
             "image: registry.test/web:1.0.0 # {\"$imagepolicy\": \"flux-system:web\"}\n");
  Result<manifest::ScanResult> scan = manifest::Scan(fs, "/repo", {});
  ASSERT_TRUE(scan) << scan.error().message;
  workloads_ = std::move(scan->workloads);
  automated_ = FindAutomated(workloads_, &problems_);
  ASSERT_EQ(automated_.size(), 1u);
  EXPECT_TRUE(automated_[0].release.track_digest);
  EXPECT_EQ(automated_[0].release.min_age, minutes(60));
  Tags({Tag("1.0.0", std::nullopt), Tag("1.1.0", clock_.Now() - minutes(90), kD2)});
  digests_["1.1.0"] = kD2;
  EXPECT_THAT(Refs(Run()), ElementsAre("registry.test/web:1.1.0@" + kD2));
}

TEST_F(PlanGatesTest, GatedContainersAskTheScanForTheWalk) {
  Load(Deployment("registry.test/web:1.1.0",
                  "    fluxcd.io/tag.app: semver:*\n"
                  "    tagflow.io/verify: cosign\n"
                  "    tagflow.io/min-age: 2h\n"));
  std::vector<registry::ScanTarget> targets = ScanTargets(automated_);
  ASSERT_EQ(targets.size(), 1u);
  ASSERT_EQ(targets[0].gated.size(), 1u);
  EXPECT_EQ(targets[0].gated[0].current, "1.1.0");
  EXPECT_EQ(targets[0].gated[0].min_age, minutes(120));
  EXPECT_TRUE(targets[0].gated[0].verify_cosign);
  EXPECT_EQ(targets[0].gated[0].filter.spec(), "semver:*");

  Load(Deployment("registry.test/web:1.1.0", "    tagflow.io/digest: \"true\"\n"));
  EXPECT_THAT(ScanTargets(automated_)[0].gated, IsEmpty());
}

}  // namespace
}  // namespace tagflow::daemon
