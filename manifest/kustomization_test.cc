// Kustomization `images:` entries: scanned as containers, rewritten as
// `kustomize edit set image` does (DESIGN.md §4.1).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "manifest/extract.h"
#include "manifest/rewrite.h"

namespace tagflow::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

std::vector<std::string> Images(const Workload& w) {
  std::vector<std::string> out;
  for (const Container& c : w.containers) out.push_back(c.name + "=" + c.image_text);
  return out;
}

Result<std::string> SetImage(std::string_view file, std::string_view text, std::string id,
                             std::string container, std::string_view ref) {
  std::vector<Edit> edits = {
      ImageEdit{std::move(id), std::move(container), *image::ImageRef::Parse(ref)}};
  return RewriteManifest(file, text, edits);
}

constexpr std::string_view kBlock = R"(apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
metadata:
  name: shop
  namespace: prod
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.api: semver:~1
resources:
- ../base

images:
# the API, renamed to the mirror
- name: ghcr.io/acme/api
  newName: mirror.example.com/acme/api   # mirror
  newTag: "1.0.0"
- name: nginx
  newName: registry.example.com/nginx
- name: redis
  digest: sha256:1111111111111111111111111111111111111111111111111111111111111111
- name: busybox  # no tag yet
)";

TEST(Kustomization, EntriesAreContainersWithTheKustomizationsPolicies) {
  FileScan s = ScanText("overlays/prod/kustomization.yaml", kBlock);
  EXPECT_THAT(s.problems, IsEmpty());
  ASSERT_THAT(s.workloads, SizeIs(1));
  const Workload& w = s.workloads[0];
  EXPECT_EQ(w.id, "prod:kustomization/shop");
  EXPECT_TRUE(w.policies.automated());
  EXPECT_THAT(
      Images(w),
      ElementsAre("api=mirror.example.com/acme/api:1.0.0", "nginx=registry.example.com/nginx",
                  "redis=redis@sha256:"
                  "1111111111111111111111111111111111111111111111111111111111111111",
                  "busybox=busybox"));
  EXPECT_EQ(w.containers[0].Source(ImageField::kTag)->value, "1.0.0");
}

TEST(Kustomization, WithoutMetadataTheIdIsTheDirectory) {
  std::string text = "resources: [a.yaml]\nimages: [{name: app, newTag: v1}]\n";
  for (auto [file, id] : {std::pair{"kustomize/overlays/dev/kustomization.yml",
                                    "default:kustomization/kustomize/overlays/dev"},
                          std::pair{"Kustomization", "default:kustomization/."},
                          std::pair{"dev/Kustomization", "default:kustomization/dev"}}) {
    FileScan s = ScanText(file, text);
    ASSERT_THAT(s.workloads, SizeIs(1)) << file;
    EXPECT_EQ(s.workloads[0].id, id);
    EXPECT_EQ(NormalizeWorkloadId(id).value(), id);
    EXPECT_THAT(Images(s.workloads[0]), ElementsAre("app=app:v1"));
  }
  // Other files with images: lists are not kustomizations.
  EXPECT_THAT(ScanText("values.yaml", text).workloads, IsEmpty());
  EXPECT_FALSE(NormalizeWorkloadId("default:deployment/a/b").has_value());
}

TEST(Kustomization, TwoEntriesWithOneKeyAreAnErrorNamingBoth) {
  FileScan s = ScanText("kustomization.yaml",
                        "images:\n- name: ghcr.io/a/api\n  newTag: v1\n- name: docker.io/b/api\n"
                        "  newTag: v2\n- name: web\n  newTag: v3\n");
  ASSERT_THAT(s.workloads, SizeIs(1));
  EXPECT_THAT(Images(s.workloads[0]), ElementsAre("web=web:v3"));
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_EQ(s.problems[0].severity, Severity::kError);
  EXPECT_THAT(s.problems[0].ToString(),
              HasSubstr("kustomization.yaml:4:3: default:kustomization/.: images entries "
                        "ghcr.io/a/api (line 2) and docker.io/b/api (line 4) are both container "
                        "api"));
}

TEST(Kustomization, DuplicateKeysInAnEntryRefuseTheDocument) {
  FileScan s = ScanText("kustomization.yaml", "images:\n- name: a\n  newTag: v1\n  newTag: v2\n");
  EXPECT_THAT(s.workloads, IsEmpty());
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_THAT(s.problems[0].message, HasSubstr("duplicate key \"newTag\" at lines 3 and 4"));
}

TEST(Kustomization, SetImageEditsNewTagInPlace) {
  Result<std::string> out = SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop", "api",
                                     "mirror.example.com/acme/api:1.2.0");
  ASSERT_TRUE(out) << out.error().message;
  std::string want(kBlock);
  want.replace(want.find("\"1.0.0\""), 7, "\"1.2.0\"");
  EXPECT_EQ(*out, want);
}

TEST(Kustomization, SetImageAddsAMissingNewTagBelowNewNameOrName) {
  Result<std::string> out = SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop",
                                     "nginx", "registry.example.com/nginx:1.25");
  ASSERT_TRUE(out) << out.error().message;
  std::string want(kBlock);
  want.insert(want.find("registry.example.com/nginx\n") + 26, "\n  newTag: \"1.25\"");
  EXPECT_EQ(*out, want);

  out = SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop", "busybox",
                 "busybox:1.36.1");
  ASSERT_TRUE(out) << out.error().message;
  want = std::string(kBlock);
  want.insert(want.find("# no tag yet") + 12, "\n  newTag: 1.36.1");
  EXPECT_EQ(*out, want);
}

TEST(Kustomization, FlowEntriesGetTheKeyInFlowStyle) {
  std::string text = "images: [{name: app, newName: ghcr.io/x/app}, {name: db}]\r\n";
  Result<std::string> out =
      SetImage("kustomization.yaml", text, "default:kustomization/.", "app", "ghcr.io/x/app:v2");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "images: [{name: app, newName: ghcr.io/x/app, newTag: v2}, {name: db}]\r\n");
}

TEST(Kustomization, DigestIsWrittenWhenTrackedAndRequiredWhenPinned) {
  std::string digest = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
  Result<std::string> out = SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop",
                                     "redis", "redis:7.2@" + digest);
  ASSERT_TRUE(out) << out.error().message;
  // "7.2" would read as a number: double-quoted.
  std::string want(kBlock);
  want.replace(want.find("sha256:1111"), digest.size(), digest);
  want.insert(want.find("- name: redis") + 13, "\n  newTag: \"7.2\"");
  EXPECT_EQ(*out, want);

  Result<std::string> refused =
      SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop", "redis", "redis:7.2");
  ASSERT_FALSE(refused);
  EXPECT_THAT(refused.error().message, HasSubstr("pins a digest"));

  out = SetImage("kustomization.yaml", "images:\n- name: a\n  newTag: v1 # pinned\n",
                 "default:kustomization/.", "a", "a:v2@" + digest);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "images:\n- name: a\n  newTag: v2 # pinned\n  digest: " + digest + "\n");
}

TEST(Kustomization, CrlfAndNoTrailingLineBreakAreKept) {
  Result<std::string> out = SetImage("kustomization.yaml", "images:\r\n- name: a\r\n  newName: b",
                                     "default:kustomization/.", "a", "b:v1");
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "images:\r\n- name: a\r\n  newName: b\r\n  newTag: v1");
}

TEST(Kustomization, TheLastEditOfAnEntryCounts) {
  std::vector<Edit> edits = {
      ImageEdit{"default:kustomization/.", "a", *image::ImageRef::Parse("a:v2")},
      ImageEdit{"default:kustomization/.", "a", *image::ImageRef::Parse("a:v3")}};
  Result<std::string> out = RewriteManifest("kustomization.yaml", "images:\n- name: a\n", edits);
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out, "images:\n- name: a\n  newTag: v3\n");
}

TEST(Kustomization, AnotherRepositoryIsRefused) {
  Result<std::string> out = SetImage("kustomization.yaml", kBlock, "prod:kustomization/shop", "api",
                                     "ghcr.io/acme/api:2.0.0");
  ASSERT_FALSE(out);
  EXPECT_THAT(out.error().message, HasSubstr("is not the repository of"));
}

TEST(Kustomization, PolicyEditsNeedMetadata) {
  std::vector<Edit> edits = {PolicyEdit{"default:kustomization/.", "automated", "true"}};
  Result<std::string> out =
      RewriteManifest("kustomization.yaml", "images:\n- name: a\n  newTag: v1\n", edits);
  ASSERT_FALSE(out) << *out;
  EXPECT_THAT(out.error().message, ::testing::HasSubstr("metadata"));
  out = RewriteManifest(
      "kustomization.yaml", "metadata:\n  name: k\nimages:\n- name: a\n  newTag: v1\n",
      std::vector<Edit>{PolicyEdit{"default:kustomization/k", "automated", "true"}});
  ASSERT_TRUE(out) << out.error().message;
  EXPECT_EQ(*out,
            "metadata:\n  name: k\n  annotations:\n    fluxcd.io/automated: \"true\"\nimages:\n- "
            "name: a\n  newTag: v1\n");
}

}  // namespace
}  // namespace tagflow::manifest
