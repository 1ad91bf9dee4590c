#include "manifest/scan.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "manifest/memory_filesystem.h"

namespace tagflow::manifest {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

std::string Deployment(std::string_view name, std::string_view image = "app:1") {
  return fmt::format(
      "kind: Deployment\nmetadata:\n  name: {}\nspec:\n  template:\n    spec:\n      containers:\n"
      "      - name: app\n        image: {}\n",
      name, image);
}

std::vector<std::string> Ids(const ScanResult& r) {
  std::vector<std::string> out;
  for (const Workload& w : r.workloads) out.push_back(w.id);
  return out;
}

std::vector<std::string> Problems(const ScanResult& r) {
  std::vector<std::string> out;
  for (const Problem& p : r.problems)
    out.push_back(fmt::format("{}: {}", SeverityName(p.severity), p.ToString()));
  return out;
}

class ScanTest : public ::testing::Test {
 protected:
  ScanResult Run(std::vector<std::string> paths = {}, ScanOptions options = {}) {
    Result<ScanResult> r = Scan(fs_, "/repo", paths, options);
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(ScanResult{});
  }

  InMemoryFilesystem fs_;
};

TEST_F(ScanTest, FindsYamlFilesEverywhereButChartsAndGit) {
  fs_.AddFile("/repo/a.yaml", Deployment("a"));
  fs_.AddFile("/repo/apps/b.yml", Deployment("b"));
  fs_.AddFile("/repo/apps/deep/er/c.yaml", Deployment("c"));
  fs_.AddFile("/repo/apps/readme.md", Deployment("not-yaml"));
  fs_.AddFile("/repo/charts/mychart/Chart.yaml", "name: mychart\n");
  fs_.AddFile("/repo/charts/mychart/templates/d.yaml", Deployment("in-chart"));
  fs_.AddFile("/repo/.git/config.yaml", Deployment("in-git"));
  ScanResult r = Run();
  EXPECT_THAT(Ids(r),
              ElementsAre("default:deployment/a", "default:deployment/b", "default:deployment/c"));
  EXPECT_EQ(r.files, 3u);
  EXPECT_THAT(r.problems, IsEmpty());
  EXPECT_EQ(r.Find("default:deployment/b")->file, "apps/b.yml");
  EXPECT_EQ(r.Find("default:deployment/zzz"), nullptr);
}

TEST_F(ScanTest, ChartContentsAreSkippedEvenWhenNamedExplicitly) {
  fs_.AddFile("/repo/a.yaml", Deployment("a"));
  fs_.AddFile("/repo/charts/x/Chart.yaml", "name: x\n");
  fs_.AddFile("/repo/charts/x/templates/a.yaml", "{{ if .Values.on }}\nkind: [\n{{ end }}\n");
  ScanResult r = Run({"charts/x/templates/a.yaml", "charts/x/templates", "a.yaml"});
  EXPECT_THAT(Ids(r), ElementsAre("default:deployment/a"));
  EXPECT_FALSE(r.HasErrors());
  ASSERT_EQ(r.problems.size(), 2u);
  EXPECT_EQ(r.problems[0].severity, Severity::kNotice);
  EXPECT_THAT(r.problems[0].ToString(), HasSubstr("inside the Helm chart charts/x"));
}

TEST_F(ScanTest, OnlyTheGivenPaths) {
  fs_.AddFile("/repo/a.yaml", Deployment("a"));
  fs_.AddFile("/repo/apps/b.yaml", Deployment("b"));
  fs_.AddFile("/repo/infra/c.yaml", Deployment("c"));
  EXPECT_THAT(Ids(Run({"apps", "./infra/", "apps/b.yaml"})),
              ElementsAre("default:deployment/b", "default:deployment/c"));
  EXPECT_THAT(Ids(Run({"a.yaml"})), ElementsAre("default:deployment/a"));
}

TEST_F(ScanTest, RefusesPathsOutsideTheRootMissingOrThroughSymlinks) {
  fs_.AddFile("/repo/a.yaml", Deployment("a"));
  fs_.AddSymlink("/repo/link", "/etc");
  std::vector<std::string> outside = {"../etc"};
  EXPECT_EQ(Scan(fs_, "/repo", outside).error().kind, ErrorKind::kInvalidInput);
  std::vector<std::string> absolute = {"/etc"};
  EXPECT_EQ(Scan(fs_, "/repo", absolute).error().kind, ErrorKind::kInvalidInput);
  std::vector<std::string> missing = {"nope"};
  EXPECT_EQ(Scan(fs_, "/repo", missing).error().kind, ErrorKind::kNotFound);
  std::vector<std::string> link = {"link/x"};
  EXPECT_THAT(Scan(fs_, "/repo", link).error().message, HasSubstr("symlink"));
  EXPECT_EQ(Scan(fs_, "/nothing", {}).error().kind, ErrorKind::kNotFound);
}

TEST_F(ScanTest, BadInputNeverStopsTheScan) {
  fs_.AddFile("/repo/1-broken.yaml", "kind: Deployment\nmetadata:\n  name: [oops\n");
  fs_.AddFile("/repo/2-good.yaml", Deployment("good"));
  fs_.AddFile("/repo/3-huge.yaml", std::string(2048, '#'));
  fs_.AddSymlink("/repo/4-outside.yaml", "../../etc/passwd");
  fs_.AddSymlink("/repo/5-inside.yaml", "2-good.yaml");
  fs_.AddSymlink("/repo/6-abs-outside", "/etc");
  fs_.AddFile("/repo/7-empty.yaml", "");
  fs_.AddFile("/repo/8-dup.yaml", Deployment("dup"));
  fs_.AddFile("/repo/sub/9-dup.yaml", "# again\n" + Deployment("dup"));
  ScanOptions options;
  options.max_file_bytes = 1024;
  ScanResult r = Run({}, options);
  EXPECT_THAT(Ids(r), ElementsAre("default:deployment/good"));
  EXPECT_TRUE(r.HasErrors());
  EXPECT_THAT(
      Problems(r),
      UnorderedElementsAre(
          HasSubstr(
              "warning: 4-outside.yaml: symlink to ../../etc/passwd points outside the repository"),
          HasSubstr("notice: 5-inside.yaml: symlink to 2-good.yaml not followed"),
          HasSubstr("warning: 6-abs-outside: symlink to /etc points outside"),
          AllOf(HasSubstr("error: 1-broken.yaml:4:1:"), HasSubstr("does not parse")),
          HasSubstr(
              "error: 3-huge.yaml: file is 2048 bytes, over the limit of 1024 bytes; skipped"),
          HasSubstr("workload default:deployment/dup is defined more than once (8-dup.yaml:1, "
                    "sub/9-dup.yaml:2)")));
}

TEST_F(ScanTest, TrimSeesEachWorkloadButMarkerTargetsBeforeDuplicatesAreDropped) {
  fs_.AddFile("/repo/a.yaml", Deployment("a") + "---\n" + Deployment("dup"));
  fs_.AddFile("/repo/b.yaml", Deployment("dup"));
  fs_.AddFile("/repo/flux.yaml", R"(apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata: {name: app, namespace: flux-system}
spec: {image: registry.test/app}
---
apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImagePolicy
metadata: {name: app, namespace: flux-system}
spec:
  imageRepositoryRef: {name: app}
  policy: {semver: {range: ">=1.0.0"}}
)");
  fs_.AddFile("/repo/values.yaml",
              "image: registry.test/app:1.0.0 # {\"$imagepolicy\": \"flux-system:app\"}\n");
  std::mutex mu;
  std::vector<std::string> seen;
  ScanOptions options;
  options.threads = 3;
  options.trim = [&](Workload& w) {
    std::lock_guard lock(mu);
    seen.push_back(w.id);
    for (Container& c : w.containers) c.image_text = "trimmed";
  };
  ScanResult r = Run({}, options);
  EXPECT_THAT(seen, UnorderedElementsAre("default:deployment/a", "default:deployment/dup",
                                         "default:deployment/dup"));
  EXPECT_THAT(Ids(r), ElementsAre("default:deployment/a", "flux-system:imagepolicy/app"));
  EXPECT_EQ(r.workloads[0].containers[0].image_text, "trimmed");
  // The marker's target was resolved from its untouched source.
  ASSERT_EQ(r.workloads[1].containers.size(), 1u);
  EXPECT_EQ(r.workloads[1].containers[0].image.String(), "registry.test/app:1.0.0");
  EXPECT_THAT(Problems(r), ElementsAre(HasSubstr("defined more than once")));
}

TEST_F(ScanTest, ResultDoesNotDependOnThreads) {
  for (int i = 0; i < 60; ++i)
    fs_.AddFile(fmt::format("/repo/d{:02}/w.yaml", i), Deployment(fmt::format("w{}", i)));
  fs_.AddFile("/repo/d07/bad.yaml", "a: [");
  ScanOptions one;
  one.threads = 1;
  ScanOptions many;
  many.threads = 7;
  ScanResult a = Run({}, one);
  ScanResult b = Run({}, many);
  EXPECT_EQ(Ids(a), Ids(b));
  EXPECT_EQ(Problems(a), Problems(b));
  EXPECT_EQ(a.workloads.size(), 60u);
}

TEST(LinkPaths, CleanRelativePath) {
  EXPECT_EQ(CleanRelativePath("").value(), "");
  EXPECT_EQ(CleanRelativePath(".").value(), "");
  EXPECT_EQ(CleanRelativePath("./a//b/./c/").value(), "a/b/c");
  EXPECT_FALSE(CleanRelativePath("a/../b"));
  EXPECT_FALSE(CleanRelativePath("/a"));
  EXPECT_EQ(JoinPath("/repo", "a"), "/repo/a");
  EXPECT_EQ(JoinPath("/repo/", "a"), "/repo/a");
  EXPECT_EQ(JoinPath("/repo", ""), "/repo");
}

}  // namespace
}  // namespace tagflow::manifest
