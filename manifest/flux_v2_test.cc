// Flux v2 markers and ImagePolicy/ImageRepository documents. The shapes
// follow Flux v2's documentation and the setters testdata of
// fluxcd/image-automation-controller as remembered (`image: x:v1 #
// {"$imagepolicy": "ns:policy"}`, `newTag: v1 # {"$imagepolicy":
// "ns:policy:tag"}`), not a copy of them.
#include "manifest/flux_v2.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "manifest/memory_filesystem.h"
#include "manifest/rewrite.h"
#include "manifest/scan.h"
#include "manifest/update.h"

namespace tagflow::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

constexpr std::string_view kRepository = R"(apiVersion: image.toolkit.fluxcd.io/v1beta2
kind: ImageRepository
metadata:
  name: podinfo
  namespace: flux-system
spec:
  image: ghcr.io/stefanprodan/podinfo
  interval: 5m
)";

std::string Policy(std::string_view name, std::string_view policy,
                   std::string_view api = "image.toolkit.fluxcd.io/v1beta2") {
  return fmt::format(
      "apiVersion: {}\nkind: ImagePolicy\nmetadata:\n  name: {}\n  namespace: flux-system\n"
      "spec:\n  imageRepositoryRef:\n    name: podinfo\n  policy:\n{}",
      api, name, policy);
}

constexpr std::string_view kDeployment = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      containers:
      - name: podinfod
        image: ghcr.io/stefanprodan/podinfo:5.0.0 # {"$imagepolicy": "flux-system:semver"}
      - name: sidecar
        image: "ghcr.io/stefanprodan/podinfo:5.0.0"  # {"$imagepolicy": "flux-system:alpha"}
)";

constexpr std::string_view kKustomization = R"(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
images:
- name: podinfo
  newName: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "flux-system:semver:name"}
  newTag: 5.0.0 # {"$imagepolicy": "flux-system:semver:tag"}
- {name: other, newTag: '5.0.0'} # {"$imagepolicy": "flux-system:alpha:tag"}
)";

TEST(ParseMarkerLineTest, ReadsEachForm) {
  auto m = ParseMarkerLine(R"(  image: x:1 # {"$imagepolicy": "flux-system:podinfo"})");
  ASSERT_TRUE(m && *m);
  EXPECT_EQ((*m)->ns, "flux-system");
  EXPECT_EQ((*m)->name, "podinfo");
  EXPECT_EQ((*m)->field, MarkerField::kWhole);
  EXPECT_EQ((*m)->column, 13u);  // of the '#', 0-based
  struct Case {
    std::string_view line;
    MarkerField field;
  };
  for (const Case& c :
       {Case{R"(t: 1 # {"$imagepolicy": "a:b:tag"})", MarkerField::kTag},
        Case{R"(t: 1 #{ "$imagepolicy" : "a:b:name" })", MarkerField::kName},
        Case{"t: 1\t#\t{\"$imagepolicy\":\"a:b:digest\"}\r", MarkerField::kDigest}}) {
    auto r = ParseMarkerLine(c.line);
    ASSERT_TRUE(r && *r) << c.line;
    EXPECT_EQ((*r)->field, c.field) << c.line;
  }
}

TEST(ParseMarkerLineTest, NoMarker) {
  auto m = ParseMarkerLine("image: x:1 # a comment");
  ASSERT_TRUE(m);
  EXPECT_FALSE(*m);
}

TEST(ParseMarkerLineTest, MalformedMarkersSayWhy) {
  for (std::string_view line :
       {R"(t: 1 # {"$imagepolicy": "nonamespace"})", R"(t: 1 # {"$imagepolicy": "a:b:size"})",
        R"(t: 1 # {"$imagepolicy": "a:b")", R"(t: 1 {"$imagepolicy": "a:b"})",
        R"(t: 1 # {"$imagepolicy": a:b})", R"(t: 1 # {"$imagepolicy" "a:b"})",
        R"(t: 1 # {"$imagepolicy": ":b"})"}) {
    auto m = ParseMarkerLine(line);
    ASSERT_FALSE(m) << line;
    EXPECT_THAT(m.error().message, HasSubstr("malformed $imagepolicy marker")) << line;
  }
}

Result<std::string> FilterOf(std::string_view policy) {
  Result<YamlStream> stream = ParseYaml(Policy("p", policy));
  if (!stream) return Fail(stream.error());
  return FluxPolicyFilter(*stream->documents.front().root.Get("spec"));
}

TEST(FluxPolicyFilterTest, EachPolicyKind) {
  EXPECT_EQ(FilterOf("    semver:\n      range: '>=1.0.0 <2.0.0'\n").value_or("?"),
            "semver:>=1.0.0 <2.0.0");
  EXPECT_EQ(FilterOf("    alphabetical:\n      order: asc\n").value_or("?"), "alphabetical:*");
  EXPECT_EQ(FilterOf("    alphabetical: {}\n").value_or("?"), "alphabetical:*");
  EXPECT_EQ(FilterOf("    numerical:\n      order: asc\n").value_or("?"), "numerical:*");
}

// The ImagePolicy examples of Flux's documentation
// (fluxcd.io/flux/components/image/imagepolicies/).
TEST(FluxPolicyFilterTest, FilterTagsAndDescendingOrders) {
  EXPECT_EQ(FilterOf("    numerical:\n      order: asc\n  filterTags:\n"
                     "    pattern: '^main-[a-fA-F0-9]+-(?P<ts>.*)'\n    extract: '$ts'\n")
                .value_or("?"),
            R"j(flux:{"extract":"$ts","order":"asc","pattern":"^main-[a-fA-F0-9]+-(?P<ts>.*)",)j"
            R"j("policy":"numerical"})j");
  EXPECT_EQ(FilterOf("    alphabetical:\n      order: desc\n").value_or("?"),
            R"j(flux:{"order":"desc","policy":"alphabetical"})j");
  EXPECT_EQ(FilterOf("    semver:\n      range: '>=1.0.0-rc.0'\n  filterTags:\n"
                     "    pattern: '.*-rc.*'\n")
                .value_or("?"),
            R"j(flux:{"pattern":".*-rc.*","policy":"semver","range":">=1.0.0-rc.0"})j");
  // An empty pattern is no pre-filter.
  EXPECT_EQ(FilterOf("    numerical: {}\n  filterTags: {pattern: ''}\n").value_or("?"),
            "numerical:*");
}

TEST(FluxPolicyFilterTest, UnusableOrMissingIsAnError) {
  EXPECT_THAT(FilterOf("    alphabetical:\n      order: down\n").error().message,
              HasSubstr("order \"down\" is not asc or desc"));
  EXPECT_THAT(FilterOf("    semver: {}\n").error().message, HasSubstr("range is missing"));
  EXPECT_THAT(FilterOf("    other: {}\n").error().message, HasSubstr("none of semver"));
  EXPECT_THAT(
      FilterOf("    numerical: {}\n  filterTags:\n    pattern: '^main-(['\n").error().message,
      HasSubstr("invalid pattern"));
  EXPECT_THAT(FilterOf("    numerical: {}\n  filterTags:\n    pattern: '^main-(?P<ts>.*)'\n"
                       "    extract: '$timestamp'\n")
                  .error()
                  .message,
              HasSubstr("$timestamp, which the pattern does not define"));
  EXPECT_THAT(FilterOf("    numerical: {}\n  filterTags: [x]\n").error().message,
              HasSubstr("filterTags is not a mapping"));
  EXPECT_THAT(FilterOf("    numerical: {}\n  filterTags: {pattern: [x]}\n").error().message,
              HasSubstr("filterTags.pattern is not a string"));
}

class FluxScanTest : public ::testing::Test {
 protected:
  ScanResult Run() { return Run(fs_); }
  ScanResult Run(const InMemoryFilesystem& fs) {
    Result<ScanResult> r = Scan(fs, "/repo", {});
    EXPECT_TRUE(r) << r.error().message;
    return r.value_or(ScanResult{});
  }
  std::vector<std::string> Problems(const ScanResult& r) {
    std::vector<std::string> out;
    for (const Problem& p : r.problems) out.push_back(p.ToString());
    return out;
  }

  InMemoryFilesystem fs_;
};

TEST_F(FluxScanTest, MarkersBecomeContainersOfThePolicyWorkload) {
  for (std::string_view api : {"image.toolkit.fluxcd.io/v1beta1", "image.toolkit.fluxcd.io/v1"}) {
    InMemoryFilesystem fs;
    fs.AddFile("/repo/flux/repo.yaml", std::string(kRepository));
    fs.AddFile("/repo/flux/policies.yaml",
               Policy("semver", "    semver:\n      range: 5.x\n", api) + "---\n" +
                   Policy("alpha", "    alphabetical:\n      order: asc\n", api));
    fs.AddFile("/repo/app/deploy.yaml", std::string(kDeployment));
    fs.AddFile("/repo/app/kustomization.yaml", std::string(kKustomization));
    ScanResult r = Run(fs);
    const Workload* semver = r.Find("flux-system:imagepolicy/semver");
    ASSERT_NE(semver, nullptr) << api;
    EXPECT_EQ(semver->kind, "ImagePolicy");
    EXPECT_EQ(semver->file, "app/deploy.yaml");
    ASSERT_EQ(semver->containers.size(), 2u);
    const Container& whole = semver->containers[0];
    EXPECT_EQ(whole.name, "app/deploy.yaml:10");
    EXPECT_EQ(whole.file, "app/deploy.yaml");
    EXPECT_EQ(whole.image.String(), "ghcr.io/stefanprodan/podinfo:5.0.0");
    ASSERT_NE(whole.Source(ImageField::kImage), nullptr);
    // The :name and :tag markers of one images entry are one container.
    const Container& tag = semver->containers[1];
    EXPECT_EQ(tag.name, "app/kustomization.yaml:5");
    ASSERT_NE(tag.Source(ImageField::kRepository), nullptr);
    EXPECT_EQ(tag.Source(ImageField::kRepository)->value, "ghcr.io/stefanprodan/podinfo");
    EXPECT_EQ(tag.image.String(), "ghcr.io/stefanprodan/podinfo:5.0.0");
    ASSERT_NE(tag.Source(ImageField::kTag), nullptr);
    EXPECT_EQ(tag.Source(ImageField::kTag)->value, "5.0.0");
    EXPECT_TRUE(semver->policies.automated());
    EXPECT_EQ(semver->policies.TagFilter(tag.name).value_or(""), "semver:5.x");

    const Workload* alpha = r.Find("flux-system:imagepolicy/alpha");
    ASSERT_NE(alpha, nullptr);
    ASSERT_EQ(alpha->containers.size(), 2u);
    EXPECT_EQ(alpha->containers[0].name, "app/deploy.yaml:12");
    EXPECT_EQ(alpha->containers[1].name, "app/kustomization.yaml:7");  // flow mapping
    EXPECT_EQ(alpha->policies.TagFilter("app/deploy.yaml:12").value_or(""), "alphabetical:*");
    EXPECT_THAT(Problems(r), ElementsAre());
    // The Deployment and the Kustomization are still workloads of their own.
    EXPECT_NE(r.Find("default:deployment/podinfo"), nullptr);
  }
}

TEST_F(FluxScanTest, MissingPolicyOrRepositoryIsAnErrorNamingFileLineAndPolicy) {
  fs_.AddFile("/repo/flux/policies.yaml",
              Policy("semver", "    semver:\n      range: 5.x\n") + "---\n" +
                  Policy("alpha", "    alphabetical:\n      order: sideways\n"));
  fs_.AddFile("/repo/app/deploy.yaml", std::string(kDeployment));
  fs_.AddFile("/repo/app/other.yaml",
              "kind: ConfigMap\ndata:\n  image: x:1 # {\"$imagepolicy\": \"flux-system:none\"}\n"
              "  bad: x # {\"$imagepolicy\": \"nonamespace\"}\n"
              "# {\"$imagepolicy\": \"flux-system:semver\"}\n");
  ScanResult r = Run();
  EXPECT_TRUE(r.HasErrors());
  EXPECT_THAT(
      Problems(r),
      ElementsAre(
          HasSubstr("app/other.yaml:4: malformed $imagepolicy marker"),
          HasSubstr("app/other.yaml:5:1: $imagepolicy marker flux-system:semver is not on the "
                    "line of a value; ignored"),
          HasSubstr("app/deploy.yaml:10:16: $imagepolicy marker: ImagePolicy flux-system/semver: "
                    "its ImageRepository flux-system/podinfo is not in the scanned paths"),
          HasSubstr("app/deploy.yaml:12:16: $imagepolicy marker: ImagePolicy flux-system/alpha: "
                    "ImagePolicy flux-system/alpha (flux/policies.yaml:13): "
                    "invalid tag filter"),
          HasSubstr("app/other.yaml:3:10: $imagepolicy marker: ImagePolicy flux-system/none: it is "
                    "not in the scanned paths")));
  EXPECT_EQ(r.Find("flux-system:imagepolicy/semver"), nullptr);
  EXPECT_NE(r.Find("default:deployment/podinfo"), nullptr);  // the rest goes on
}

TEST_F(FluxScanTest, LockedDocumentLocksItsMarkers) {
  fs_.AddFile("/repo/flux.yaml", std::string(kRepository) + "---\n" +
                                     Policy("semver", "    semver:\n      range: 5.x\n"));
  std::string locked(kDeployment);
  locked.replace(locked.find("  name: podinfo\n"), 0,
                 "  annotations:\n    tagflow.io/locked: \"true\"\n");
  fs_.AddFile("/repo/deploy.yaml", locked);
  ScanResult r = Run();
  const Workload* w = r.Find("flux-system:imagepolicy/semver");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->containers.size(), 1u);
  EXPECT_TRUE(w->containers[0].locked);
}

TEST_F(FluxScanTest, ReleaseEditsTheMarkedFilesAndPolicyEditsAreRefused) {
  fs_.AddFile("/repo/flux.yaml", std::string(kRepository) + "---\n" +
                                     Policy("semver", "    semver:\n      range: 5.x\n"));
  fs_.AddFile("/repo/app/deploy.yaml", std::string(kDeployment));
  fs_.AddFile("/repo/app/kustomization.yaml", std::string(kKustomization));
  ScanResult scan = Run();
  std::vector<std::string> ids = {"flux-system:imagepolicy/semver"};
  ReleaseSpec spec{image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0").value(), {}};
  Result<ChangeSet> released = ReleaseImages(fs_, "/repo", scan, ids, spec, {}, false);
  ASSERT_TRUE(released) << released.error().message;
  EXPECT_THAT(released->files, ElementsAre("app/deploy.yaml", "app/kustomization.yaml"));
  EXPECT_THAT(fs_.ReadFile("/repo/app/kustomization.yaml").value_or(""),
              HasSubstr("newTag: 5.1.0 # {\"$imagepolicy\": \"flux-system:semver:tag\"}"));

  PolicyUpdate lock{{{"locked", "true"}}, std::nullopt};
  Result<ChangeSet> locked = UpdatePolicies(fs_, "/repo", scan, ids, lock, {}, false);
  ASSERT_FALSE(locked);
  EXPECT_THAT(locked.error().message, HasSubstr("is a Flux v2 ImagePolicy"));
}

TEST_F(FluxScanTest, NameMarkerGetsThePolicyImageAndNeedsATagMarkerBesideIt) {
  // Helm values as Flux documents them: repository and tag set apart.
  fs_.AddFile("/repo/flux.yaml", std::string(kRepository) + "---\n" +
                                     Policy("semver", "    semver:\n      range: 5.x\n"));
  constexpr std::string_view kValues =
      "image:\n"
      "  repository: docker.io/stefanprodan/podinfo # {\"$imagepolicy\": "
      "\"flux-system:semver:name\"}\n"
      "  tag: 5.0.0 # {\"$imagepolicy\": \"flux-system:semver:tag\"}\n"
      "sidecar:\n"
      "  repository: lonely # {\"$imagepolicy\": \"flux-system:semver:name\"}\n";
  fs_.AddFile("/repo/values.yaml", std::string(kValues));
  ScanResult scan = Run();
  const Workload* w = scan.Find("flux-system:imagepolicy/semver");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->containers.size(), 1u);
  EXPECT_EQ(w->containers[0].name, "values.yaml:2");
  EXPECT_THAT(Problems(scan),
              ElementsAre(HasSubstr("values.yaml:5:15: $imagepolicy marker flux-system:semver:name "
                                    "has no :tag marker of the same policy in its mapping")));
  ReleaseSpec spec{image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0").value(), {}};
  std::vector<std::string> ids = {"flux-system:imagepolicy/semver"};
  Result<ChangeSet> released = ReleaseImages(fs_, "/repo", scan, ids, spec, {}, false);
  ASSERT_TRUE(released) << released.error().message;
  // The name follows the ImageRepository (as Flux's setter writes it).
  std::string want(kValues);
  want.replace(want.find("docker.io"), 9, "ghcr.io");
  want.replace(want.find("5.0.0"), 5, "5.1.0");
  EXPECT_EQ(fs_.ReadFile("/repo/values.yaml").value_or(""), want);
}

TEST_F(FluxScanTest, DigestMarkerTracksTheDigestOfTheTagBesideIt) {
  fs_.AddFile("/repo/flux.yaml", std::string(kRepository) + "---\n" +
                                     Policy("semver", "    semver:\n      range: 5.x\n"));
  const std::string old_digest = "sha256:" + std::string(64, 'a');
  const std::string new_digest = "sha256:" + std::string(64, 'b');
  const std::string values =
      "image:\n"
      "  tag: 5.0.0 # {\"$imagepolicy\": \"flux-system:semver:tag\"}\n"
      "  digest: \"" + old_digest + "\" # {\"$imagepolicy\": \"flux-system:semver:digest\"}\n"
      "lonely:\n"
      "  digest: x # {\"$imagepolicy\": \"flux-system:semver:digest\"}\n";
  fs_.AddFile("/repo/values.yaml", values);
  ScanResult scan = Run();
  const Workload* w = scan.Find("flux-system:imagepolicy/semver");
  ASSERT_NE(w, nullptr);
  ASSERT_EQ(w->containers.size(), 1u);
  const Container& c = w->containers[0];
  EXPECT_EQ(c.image.String(), "ghcr.io/stefanprodan/podinfo:5.0.0@" + old_digest);
  // The :digest marker turns digest tracking on for that image.
  Result<ReleasePolicy> release = w->policies.Release(c.name);
  ASSERT_TRUE(release) << release.error().message;
  EXPECT_TRUE(release->track_digest);
  EXPECT_THAT(Problems(scan), ElementsAre(HasSubstr(
                                  "values.yaml:5:11: $imagepolicy marker flux-system:semver:digest "
                                  "has no :tag marker of the same policy in its mapping")));

  std::vector<std::string> ids = {"flux-system:imagepolicy/semver"};
  ReleaseSpec spec{
      image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0@" + new_digest).value(), {}};
  Result<ChangeSet> released = ReleaseImages(fs_, "/repo", scan, ids, spec, {}, false);
  ASSERT_TRUE(released) << released.error().message;
  std::string want = values;
  want.replace(want.find("5.0.0"), 5, "5.1.0");
  want.replace(want.find(old_digest), old_digest.size(), new_digest);
  EXPECT_EQ(fs_.ReadFile("/repo/values.yaml").value_or(""), want);

  // A tag alone cannot fill a :digest marker.
  ReleaseSpec bare{image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.2.0").value(), {}};
  Result<ChangeSet> refused = ReleaseImages(fs_, "/repo", Run(), ids, bare, {}, false);
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("needs both a tag and a digest"));
}

TEST(FluxRewriteTest, OnlyTheMarkedValuesChange) {
  std::vector<Edit> edits = {
      ImageEdit{"flux-system:imagepolicy/semver", "app/deploy.yaml:10",
                image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0").value()},
      ImageEdit{"flux-system:imagepolicy/alpha", "app/deploy.yaml:12",
                image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:6.0.0").value()}};
  Result<std::string> out = RewriteManifest("app/deploy.yaml", kDeployment, edits);
  ASSERT_TRUE(out) << out.error().message;
  std::string want(kDeployment);
  want.replace(want.find("podinfo:5.0.0 #"), 13, "podinfo:5.1.0");
  want.replace(want.find("podinfo:5.0.0\""), 13, "podinfo:6.0.0");
  EXPECT_EQ(*out, want);

  std::vector<Edit> tags = {
      ImageEdit{"flux-system:imagepolicy/semver", "app/kustomization.yaml:5",
                image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0").value()},
      ImageEdit{"flux-system:imagepolicy/alpha", "app/kustomization.yaml:7",
                image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:6.0.0").value()}};
  out = RewriteManifest("app/kustomization.yaml", kKustomization, tags);
  ASSERT_TRUE(out) << out.error().message;
  want = std::string(kKustomization);
  want.replace(want.find("5.0.0 #"), 5, "5.1.0");
  want.replace(want.find("'5.0.0'"), 7, "'6.0.0'");
  EXPECT_EQ(*out, want);
}

TEST(FluxRewriteTest, AMarkerNotInTheFileIsRefused) {
  std::vector<Edit> edits = {
      ImageEdit{"flux-system:imagepolicy/semver", "app/deploy.yaml:99",
                image::ImageRef::Parse("ghcr.io/stefanprodan/podinfo:5.1.0").value()}};
  Result<std::string> out = RewriteManifest("app/deploy.yaml", kDeployment, edits);
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("no $imagepolicy marker app/deploy.yaml:99"));
}

}  // namespace
}  // namespace tagflow::manifest
