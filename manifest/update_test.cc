#include "manifest/update.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/memory_filesystem.h"

namespace tagflow::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kWeb = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        image: registry.example.com/shop/web:1.0.0
      - name: proxy
        image: envoyproxy/envoy:v1.25.0
)";

constexpr std::string_view kApi = R"(kind: Deployment
metadata:
  name: api
  namespace: shop
  annotations:
    fluxcd.io/locked: "true"
    fluxcd.io/locked_msg: incident 42
spec:
  template:
    spec:
      containers:
      - name: app
        image: "registry.example.com/shop/web:1.0.0"
)";

class UpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs_.AddFile("/repo/web.yaml", std::string(kWeb));
    fs_.AddFile("/repo/api/api.yaml", std::string(kApi));
    Rescan();
  }
  void Rescan() {
    Result<ScanResult> r = Scan(fs_, "/repo", {});
    ASSERT_TRUE(r) << r.error().message;
    scan_ = std::move(*r);
  }
  std::string Web() const { return *fs_.Contents("/repo/web.yaml"); }
  std::string Api() const { return *fs_.Contents("/repo/api/api.yaml"); }

  InMemoryFilesystem fs_;
  ScanResult scan_;
};

PolicyUpdate Automate() { return PolicyUpdate{{{"automated", "true"}}, std::nullopt}; }

TEST_F(UpdateTest, AutomateWritesTheAnnotationAndTheFluxCommitMessage) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_THAT(out->files, ElementsAre("web.yaml"));
  EXPECT_EQ(out->commit_message, "Automated: shop:deployment/web");
  ASSERT_EQ(out->results.size(), 1u);
  EXPECT_EQ(out->results[0].status, WorkloadResult::Status::kSuccess);
  EXPECT_THAT(
      Web(),
      HasSubstr("  namespace: shop\n  annotations:\n    fluxcd.io/automated: \"true\"\nspec:"));
  EXPECT_EQ(Api(), kApi);
  Rescan();
  EXPECT_TRUE(scan_.Find("shop:deployment/web")->policies.automated());
}

TEST_F(UpdateTest, AlreadyAutomatedIsUnchangedAndNoCommit) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  ASSERT_TRUE(UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false));
  Rescan();
  int writes = fs_.writes();
  Result<ChangeSet> again = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false);
  ASSERT_TRUE(again);
  EXPECT_THAT(again->files, IsEmpty());
  EXPECT_EQ(again->commit_message, "");
  EXPECT_EQ(again->results[0].status, WorkloadResult::Status::kUnchanged);
  EXPECT_EQ(fs_.writes(), writes);
}

TEST_F(UpdateTest, UnknownWorkloadChangesNothing) {
  std::vector<std::string> ids = {"shop:deployment/web", "shop:deployment/nope", "x:pod/y"};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false);
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().kind, ErrorKind::kNotFound);
  EXPECT_THAT(out.error().message, HasSubstr("shop:deployment/nope, x:pod/y"));
  EXPECT_EQ(Web(), kWeb);
  EXPECT_EQ(fs_.writes(), 0);
}

TEST_F(UpdateTest, UnlockRemovesLockMessageAndUserWithCause) {
  std::vector<std::string> ids = {"shop:deployment/api"};
  PolicyUpdate unlock{
      {{"locked", std::nullopt}, {"locked_msg", std::nullopt}, {"locked_user", std::nullopt}}, {}};
  Result<ChangeSet> out =
      UpdatePolicies(fs_, "/repo", scan_, ids, unlock, Cause{"incident over", "ann"}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->commit_message, "incident over\n\n- Unlocked: shop:deployment/api");
  EXPECT_THAT(Api(), ::testing::Not(HasSubstr("annotations")));
}

TEST_F(UpdateTest, SeveralKindsOfChangeListEvents) {
  std::vector<std::string> ids = {"shop:deployment/web", "shop:deployment/api"};
  PolicyUpdate update{{{"automated", "true"}, {"tag.app", "semver:^1"}}, std::nullopt};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, update, {}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_THAT(out->files, ElementsAre("api/api.yaml", "web.yaml"));
  EXPECT_EQ(out->commit_message,
            "Updated workload policies\n\n- Automated: shop:deployment/web, shop:deployment/api\n"
            "- Updated policies: shop:deployment/web, shop:deployment/api");
}

TEST_F(UpdateTest, TagAllAndUnknownContainer) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  Result<ChangeSet> out =
      UpdatePolicies(fs_, "/repo", scan_, ids, PolicyUpdate{{}, "glob:v*"}, {}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_THAT(
      Web(),
      HasSubstr("    fluxcd.io/tag.app: \"glob:v*\"\n    fluxcd.io/tag.proxy: \"glob:v*\"\n"));
  Result<ChangeSet> bad = UpdatePolicies(fs_, "/repo", scan_, ids,
                                         PolicyUpdate{{{"tag.nope", "glob:*"}}, {}}, {}, false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().kind, ErrorKind::kNotFound);
}

TEST_F(UpdateTest, DryRunWritesNothingButReportsTheFiles) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, true);
  ASSERT_TRUE(out);
  EXPECT_THAT(out->files, ElementsAre("web.yaml"));
  EXPECT_EQ(Web(), kWeb);
  EXPECT_EQ(fs_.writes(), 0);
}

TEST_F(UpdateTest, ReleaseChangesMatchingContainersOfUnlockedWorkloads) {
  std::vector<std::string> ids = {"shop:deployment/web", "shop:deployment/api"};
  ReleaseSpec spec{
      image::ImageRef::Parse("registry.example.com/shop/web:1.1.0").value(), {}, false};
  Result<ChangeSet> out = ReleaseImages(fs_, "/repo", scan_, ids, spec, {}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_THAT(out->files, ElementsAre("web.yaml"));
  EXPECT_EQ(out->commit_message,
            "Release registry.example.com/shop/web:1.1.0 to shop:deployment/web");
  // As fluxctl: workloads sorted by id, the current reference then the new tag.
  ASSERT_EQ(out->results.size(), 2u);
  EXPECT_EQ(out->results[0].workload, "shop:deployment/api");
  EXPECT_EQ(out->results[0].status, WorkloadResult::Status::kSkipped);
  EXPECT_THAT(out->results[0].details, ElementsAre("locked"));
  EXPECT_EQ(out->results[1].workload, "shop:deployment/web");
  EXPECT_EQ(out->results[1].status, WorkloadResult::Status::kSuccess);
  EXPECT_THAT(out->results[1].details,
              ElementsAre("app: registry.example.com/shop/web:1.0.0 -> 1.1.0"));
  std::string want(kWeb);
  want.replace(want.find("web:1.0.0"), 9, "web:1.1.0");
  EXPECT_EQ(Web(), want);
  EXPECT_EQ(Api(), kApi);
}

TEST_F(UpdateTest, ReleaseWithForceAndCause) {
  std::vector<std::string> ids = {"shop:deployment/api"};
  ReleaseSpec spec{image::ImageRef::Parse("registry.example.com/shop/web:2.0.0").value(), {}, true};
  Result<ChangeSet> out = ReleaseImages(fs_, "/repo", scan_, ids, spec, Cause{"hotfix", ""}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->commit_message,
            "hotfix\n\nRelease registry.example.com/shop/web:2.0.0 to shop:deployment/api");
  EXPECT_THAT(Api(), HasSubstr("image: \"registry.example.com/shop/web:2.0.0\"\n"));
}

TEST_F(UpdateTest, ReleaseOfAnImageNoContainerUsesIsSkipped) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  ReleaseSpec spec{image::ImageRef::Parse("redis:7").value(), {}, false};
  Result<ChangeSet> out = ReleaseImages(fs_, "/repo", scan_, ids, spec, {}, false);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->results[0].status, WorkloadResult::Status::kSkipped);
  EXPECT_THAT(out->results[0].details, ElementsAre("no container uses redis"));
  EXPECT_THAT(out->files, IsEmpty());
}

TEST_F(UpdateTest, ReleaseAllImagesAsksTheLatestFunction) {
  std::vector<std::string> ids = {"shop:deployment/web"};
  ReleaseSpec spec;
  spec.latest = [](const Workload&, const Container& c) -> Result<std::optional<image::ImageRef>> {
    if (c.name == "proxy") return c.image.WithTag("v1.26.0");
    return std::nullopt;
  };
  Result<ChangeSet> out = ReleaseImages(fs_, "/repo", scan_, ids, spec, {}, false);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(out->commit_message, "Release latest images to shop:deployment/web");
  EXPECT_THAT(Web(), HasSubstr("image: envoyproxy/envoy:v1.26.0\n"));
  EXPECT_FALSE(ReleaseImages(fs_, "/repo", scan_, ids, ReleaseSpec{}, {}, false));
}

TEST_F(UpdateTest, AFileThatCannotBeRewrittenStopsEverything) {
  fs_.AddFile("/repo/z.yaml",
              "kind: Pod\nmetadata:\n  name: z\nspec:\n  containers:\n  - name: c\n    image: "
              "!!str app:1\n");
  Rescan();
  std::vector<std::string> ids = {"shop:deployment/web", "default:pod/z"};
  ReleaseSpec spec{image::ImageRef::Parse("app:2").value(), {}, false};
  Result<ChangeSet> out = ReleaseImages(fs_, "/repo", scan_, ids, spec, {}, false);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("z.yaml"));
  EXPECT_THAT(out.error().message, HasSubstr("explicit tag"));
  EXPECT_EQ(fs_.writes(), 0);
}

TEST_F(UpdateTest, WriteFailuresAreReported) {
  fs_.FailWritesTo("/repo/web.yaml");
  std::vector<std::string> ids = {"shop:deployment/web"};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("/repo/web.yaml"));
}

TEST_F(UpdateTest, NeverWritesThroughASymlinkedDirectory) {
  fs_.AddSymlink("/repo/api", "/elsewhere");
  std::vector<std::string> ids = {"shop:deployment/api"};
  Result<ChangeSet> out = UpdatePolicies(fs_, "/repo", scan_, ids, Automate(), {}, false);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("not a directory"));
}

}  // namespace
}  // namespace tagflow::manifest
