#include "manifest/rewrite.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace tagflow::manifest {
namespace {

using ::testing::HasSubstr;

image::ImageRef Ref(std::string_view text) { return *image::ImageRef::Parse(text); }

std::string Rewrite(std::string_view content, std::vector<Edit> edits) {
  Result<std::string> out = RewriteManifest("test.yaml", content, edits);
  EXPECT_TRUE(out.has_value()) << out.error().message;
  return out.value_or("<error>");
}

Error RewriteError(std::string_view content, std::vector<Edit> edits) {
  Result<std::string> out = RewriteManifest("test.yaml", content, edits);
  EXPECT_FALSE(out.has_value()) << "unexpectedly rewrote to:\n" << out.value_or("");
  return out.has_value() ? Error{} : out.error();
}

ImageEdit SetImage(std::string workload, std::string container, std::string_view ref) {
  return ImageEdit{std::move(workload), std::move(container), Ref(ref)};
}

PolicyEdit SetPolicy(std::string workload, std::string policy, std::optional<std::string> value) {
  return PolicyEdit{std::move(workload), std::move(policy), std::move(value)};
}

constexpr std::string_view kDeployment = R"(# the web front end
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   # keep this comment
  namespace: shop
spec:
  template:
    spec:
      containers:
      - name: app
        image: "registry.example.com/shop/web:1.0.0"  # pinned by hand
      - name: proxy
        image: 'envoyproxy/envoy:v1.25.0'
      initContainers:
        - name: migrate
          image: registry.example.com/shop/migrate:1.0.0
)";

TEST(RewriteImage, ChangesOnlyTheTagAndKeepsDoubleQuotes) {
  std::string out = Rewrite(
      kDeployment, {SetImage("shop:deployment/web", "app", "registry.example.com/shop/web:1.1.0")});
  std::string want(kDeployment);
  want.replace(want.find("web:1.0.0"), 9, "web:1.1.0");
  EXPECT_EQ(out, want);
}

TEST(RewriteImage, RefusesAValueItsQuotingCannotHold) {
  // WithTag does not validate: a value no registry grammar allows reaches the
  // rewrite only through a bug or a hostile source, and is refused, never
  // re-quoted.
  image::ImageRef hostile = Ref("registry.example.com/shop/migrate:1.0.0").WithTag("zz: x", "");
  Error e = RewriteError(kDeployment, {ImageEdit{"shop:deployment/web", "migrate", hostile}});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidInput);
  EXPECT_NE(e.message.find("cannot be written as a plain scalar"), std::string::npos) << e.message;
  image::ImageRef newline =
      Ref("registry.example.com/shop/web:1.0.0").WithTag("zz\nkind: Secret", "");
  Error f = RewriteError(kDeployment, {ImageEdit{"shop:deployment/web", "app", newline}});
  EXPECT_NE(f.message.find("control characters"), std::string::npos) << f.message;
}

TEST(RewriteImage, KeepsSingleQuotesAndPlainStyle) {
  std::string out = Rewrite(
      kDeployment,
      {SetImage("shop:deployment/web", "proxy", "envoyproxy/envoy:v1.26.1"),
       SetImage("shop:deployment/web", "migrate", "registry.example.com/shop/migrate:2.0.0")});
  std::string want(kDeployment);
  want.replace(want.find("envoy:v1.25.0"), 13, "envoy:v1.26.1");
  want.replace(want.find("migrate:1.0.0"), 13, "migrate:2.0.0");
  EXPECT_EQ(out, want);
}

TEST(RewriteImage, MatchesDockerHubSpellingsButKeepsTheWrittenForm) {
  std::string out = Rewrite(
      kDeployment, {SetImage("shop:deployment/web", "proxy", "docker.io/envoyproxy/envoy:v2")});
  EXPECT_THAT(out, HasSubstr("image: 'envoyproxy/envoy:v2'\n"));
}

TEST(RewriteImage, WritesTagAndDigest) {
  std::string digest = "sha256:" + std::string(64, 'b');
  std::string out = Rewrite(
      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: nginx:1.0}\n",
      {SetImage("default:pod/p", "c", "nginx:1.1@" + digest)});
  EXPECT_EQ(
      out, "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: c, image: nginx:1.1@" +
               digest + "}\n");
}

TEST(RewriteImage, SameImageIsANoOp) {
  EXPECT_EQ(Rewrite(kDeployment, {SetImage("shop:deployment/web", "app",
                                           "registry.example.com/shop/web:1.0.0")}),
            kDeployment);
}

TEST(RewriteImage, KeepsCrlfBomMarkersAndOtherDocuments) {
  std::string in =
      "\xEF\xBB\xBF---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: a\r\nspec:\r\n  "
      "containers:\r\n"
      "  - name: c\r\n    image: nginx:1.0 # x\r\n...\r\n---\r\nkind: Pod\r\nmetadata:\r\n  name: "
      "b\r\nspec:\r\n"
      "  containers:\r\n  - name: c\r\n    image: nginx:1.0\r\n...\r\n";
  std::string out = Rewrite(in, {SetImage("default:pod/b", "c", "nginx:1.2")});
  std::string want = in;
  want.replace(want.rfind("nginx:1.0"), 9, "nginx:1.2");
  EXPECT_EQ(out, want);
}

TEST(RewriteImage, UnknownWorkloadOrContainerIsNotFound) {
  EXPECT_EQ(RewriteError(kDeployment, {SetImage("shop:deployment/nope", "app",
                                                "registry.example.com/shop/web:2")})
                .kind,
            ErrorKind::kNotFound);
  EXPECT_EQ(RewriteError(kDeployment, {SetImage("shop:deployment/web", "nope",
                                                "registry.example.com/shop/web:2")})
                .kind,
            ErrorKind::kNotFound);
}

TEST(RewriteImage, RefusesAnotherRepository) {
  Error e = RewriteError(
      kDeployment, {SetImage("shop:deployment/web", "app", "registry.example.com/shop/api:2")});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(e.message, HasSubstr("not the repository"));
}

struct RefusalCase {
  std::string name;
  std::string image_line;
  std::string reason;
};

void PrintTo(const RefusalCase& c, std::ostream* os) { *os << c.name; }

class RewriteRefusal : public ::testing::TestWithParam<RefusalCase> {};

TEST_P(RewriteRefusal, RefusesValuesItCannotProve) {
  std::string in =
      "kind: Pod\nmetadata:\n  name: p\nx: &img nginx:1.0\nspec:\n  containers:\n  - name: c\n    "
      "image: " +
      GetParam().image_line + "\n";
  Error e = RewriteError(in, {SetImage("default:pod/p", "c", "nginx:9")});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(e.message, HasSubstr(GetParam().reason));
  EXPECT_THAT(e.message, HasSubstr("test.yaml"));
  EXPECT_THAT(e.message, HasSubstr("line 8"));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RewriteRefusal,
    ::testing::Values(RefusalCase{"tag", "!!str nginx:1.0", "explicit tag"},
                      RefusalCase{"anchor", "&a nginx:1.0", "anchor"},
                      RefusalCase{"alias", "*img", "alias"},
                      RefusalCase{"literal", "|-\n      nginx:1.0", "block scalar"},
                      RefusalCase{"folded", ">-\n      nginx:1.0", "block scalar"},
                      RefusalCase{"multiline", "\"nginx:\\\n      1.0\"", "several lines"}),
    [](const auto& info) { return info.param.name; });

constexpr std::string_view kHelmRelease = R"(apiVersion: helm.fluxcd.io/v1
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
  annotations:
    repository.fluxcd.io/backend: backend.deep.repo
    tag.fluxcd.io/backend: backend.deep.version
spec:
  values:
    image: stefanprodan/podinfo:3.0.0
    redis:
      image:
        repository: redis
        tag: "6.0"   # quoted so it stays a string
    cache:
      image: memcached
      tag: 1.6.9
    backend:
      deep:
        repo: ghcr.io/acme/backend
        version: v1.0.0
)";

TEST(RewriteHelmRelease, EditsEveryShape) {
  std::string out =
      Rewrite(kHelmRelease,
              {SetImage("apps:helmrelease/podinfo", "chart-image", "stefanprodan/podinfo:3.1.0"),
               SetImage("apps:helmrelease/podinfo", "redis", "redis:6.2"),
               SetImage("apps:helmrelease/podinfo", "cache", "memcached:1.6.10"),
               SetImage("apps:helmrelease/podinfo", "backend", "ghcr.io/acme/backend:v1.1.0")});
  std::string want(kHelmRelease);
  want.replace(want.find("podinfo:3.0.0"), 13, "podinfo:3.1.0");
  want.replace(want.find("\"6.0\""), 5, "\"6.2\"");
  want.replace(want.find("1.6.9"), 5, "1.6.10");
  want.replace(want.find("v1.0.0"), 6, "v1.1.0");
  EXPECT_EQ(out, want);
}

TEST(RewriteHelmRelease, QuotesAPlainTagThatWouldTurnIntoANumber) {
  std::string in =
      "kind: HelmRelease\nmetadata: {name: r}\nspec:\n  values:\n    image: {repository: app, tag: "
      "v1}\n";
  std::string out = Rewrite(in, {SetImage("default:helmrelease/r", "chart-image", "app:1.10")});
  EXPECT_EQ(out,
            "kind: HelmRelease\nmetadata: {name: r}\nspec:\n  values:\n    image: {repository: "
            "app, tag: \"1.10\"}\n");
}

TEST(RewriteHelmRelease, RefusesADigestInASeparateTagField) {
  Error e = RewriteError(kHelmRelease, {SetImage("apps:helmrelease/podinfo", "redis",
                                                 "redis:7@sha256:" + std::string(64, 'c'))});
  EXPECT_THAT(e.message, HasSubstr("digest"));
}

// --- annotations -----------------------------------------------------------

constexpr std::string_view kAnnotated = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations:
    # automation
    fluxcd.io/automated: "false"
    flux.weave.works/tag.app: glob:1.*
    team: shop
  labels:
    app: web
spec: {}
)";

TEST(RewritePolicy, ChangesAValueInPlace) {
  std::string out = Rewrite(kAnnotated, {SetPolicy("default:deployment/web", "automated", "true")});
  std::string want(kAnnotated);
  want.replace(want.find("\"false\""), 7, "\"true\"");
  EXPECT_EQ(out, want);
}

TEST(RewritePolicy, EditsTheLegacySpellingWhereItIs) {
  std::string out =
      Rewrite(kAnnotated, {SetPolicy("default:deployment/web", "tag.app", "semver:~1.2")});
  std::string want(kAnnotated);
  want.replace(want.find("glob:1.*"), 8, "semver:~1.2");
  EXPECT_EQ(out, want);
}

TEST(RewritePolicy, AppendsANewAnnotationAfterTheLastOne) {
  std::string out = Rewrite(
      kAnnotated, {SetPolicy("default:deployment/web", "locked", "true"),
                   SetPolicy("default:deployment/web", "locked_msg", "hold: \"incident\"")});
  std::string want(kAnnotated);
  want.insert(
      want.find("  labels:"),
      "    fluxcd.io/locked: \"true\"\n    fluxcd.io/locked_msg: \"hold: \\\"incident\\\"\"\n");
  EXPECT_EQ(out, want);
}

TEST(RewritePolicy, RemovesOneAnnotationLine) {
  std::string out =
      Rewrite(kAnnotated, {SetPolicy("default:deployment/web", "tag.app", std::nullopt)});
  std::string want(kAnnotated);
  want.erase(want.find("    flux.weave.works/tag.app"),
             std::string_view("    flux.weave.works/tag.app: glob:1.*\n").size());
  EXPECT_EQ(out, want);
}

constexpr std::string_view kBare =
    "apiVersion: apps/v1\r\nkind: Deployment\r\nmetadata:\r\n    name: web\r\n"
    "    labels:\r\n        app: web\r\n\r\n# spec follows\r\nspec:\r\n    replicas: 1\r\n";

TEST(RewritePolicy, CreatesAnnotationsWithTheFilesIndentationAndLineEnds) {
  std::string out = Rewrite(kBare, {SetPolicy("default:deployment/web", "automated", "true")});
  std::string want(kBare);
  want.insert(want.find("\r\n\r\n# spec") + 2,
              "    annotations:\r\n        fluxcd.io/automated: \"true\"\r\n");
  EXPECT_EQ(out, want);
}

TEST(RewritePolicy, AddThenRemoveRestoresTheOriginalBytes) {
  std::string added = Rewrite(kBare, {SetPolicy("default:deployment/web", "automated", "true")});
  EXPECT_EQ(Rewrite(added, {SetPolicy("default:deployment/web", "automated", std::nullopt)}),
            kBare);
}

TEST(RewritePolicy, RemovingAnAbsentPolicyChangesNothing) {
  EXPECT_EQ(Rewrite(kBare, {SetPolicy("default:deployment/web", "locked", std::nullopt)}), kBare);
}

TEST(RewritePolicy, RemovesEverySpelling) {
  std::string in =
      "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    fluxcd.io/tag.c: glob:a\n"
      "    filter.fluxcd.io/c: glob:b\n    flux.weave.works/tag.c: glob:c\n    keep: me\n";
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "tag.c", std::nullopt)}),
            "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    keep: me\n");
}

TEST(RewritePolicy, FlowAnnotations) {
  std::string in =
      "kind: Pod\nmetadata: {name: p, annotations: {a: b, fluxcd.io/automated: 'true', c: d}}\n";
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "automated", std::nullopt)}),
            "kind: Pod\nmetadata: {name: p, annotations: {a: b, c: d}}\n");
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "locked", "true")}),
            "kind: Pod\nmetadata: {name: p, annotations: {a: b, fluxcd.io/automated: 'true', c: d, "
            "fluxcd.io/locked: \"true\"}}\n");
  EXPECT_EQ(
      Rewrite(in, {SetPolicy("default:pod/p", "automated", "false")}),
      "kind: Pod\nmetadata: {name: p, annotations: {a: b, fluxcd.io/automated: 'false', c: d}}\n");
}

TEST(RewritePolicy, FlowAnnotationsRemovingFirstLastAndAll) {
  std::string in =
      "kind: Pod\nmetadata:\n  name: p\n  annotations: {fluxcd.io/locked: \"true\", "
      "fluxcd.io/locked_msg: x, a: b, fluxcd.io/locked_user: me}\n";
  std::vector<Edit> unlock = {SetPolicy("default:pod/p", "locked", std::nullopt),
                              SetPolicy("default:pod/p", "locked_msg", std::nullopt),
                              SetPolicy("default:pod/p", "locked_user", std::nullopt)};
  EXPECT_EQ(Rewrite(in, unlock), "kind: Pod\nmetadata:\n  name: p\n  annotations: {a: b}\n");
  std::string only =
      "kind: Pod\nmetadata:\n  name: p\n  annotations: {fluxcd.io/locked: \"true\"}\n";
  EXPECT_EQ(Rewrite(only, {unlock[0]}), "kind: Pod\nmetadata:\n  name: p\n  annotations: {}\n");
  EXPECT_EQ(Rewrite("kind: Pod\nmetadata:\n  name: p\n  annotations: {}\n",
                    {SetPolicy("default:pod/p", "automated", "true")}),
            "kind: Pod\nmetadata:\n  name: p\n  annotations: {fluxcd.io/automated: \"true\"}\n");
}

TEST(RewritePolicy, FlowMetadataGetsFlowAnnotations) {
  EXPECT_EQ(Rewrite("kind: Pod\nmetadata: {name: p, namespace: n}\nspec: {}\n",
                    {SetPolicy("n:pod/p", "automated", "true")}),
            "kind: Pod\nmetadata: {name: p, namespace: n, annotations: {fluxcd.io/automated: "
            "\"true\"}}\nspec: {}\n");
}

TEST(RewritePolicy, NullAnnotationsAreFilled) {
  std::string in =
      "kind: Pod\nmetadata:\n  name: p\n  annotations:   # none yet\n  labels: {a: b}\n";
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "ignore", "true")}),
            "kind: Pod\nmetadata:\n  name: p\n  annotations:   # none yet\n    fluxcd.io/ignore: "
            "\"true\"\n  labels: {a: b}\n");
}

TEST(RewritePolicy, LastAnnotationAtEndOfFileWithoutNewline) {
  std::string in = "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: b";
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "automated", "true")}),
            "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    a: b\n    fluxcd.io/automated: "
            "\"true\"");
}

TEST(RewritePolicy, AnnotationsAfterABlockScalarAnnotation) {
  std::string in =
      "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: |\n      line one\n\n      line "
      "two\n"
      "  # trailing comment\nspec: {}\n";
  EXPECT_EQ(Rewrite(in, {SetPolicy("default:pod/p", "automated", "true")}),
            "kind: Pod\nmetadata:\n  name: p\n  annotations:\n    note: |\n      line one\n\n      "
            "line two\n"
            "    fluxcd.io/automated: \"true\"\n  # trailing comment\nspec: {}\n");
}

TEST(RewritePolicy, WorkloadInAListWithDashIndentation) {
  std::string in =
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n"
      "    name: a\n  spec: {}\n- kind: Deployment\n  metadata:\n    name: b\n";
  EXPECT_EQ(
      Rewrite(in, {SetPolicy("default:deployment/a", "automated", "true"),
                   SetPolicy("default:deployment/b", "automated", "true")}),
      "apiVersion: v1\nkind: List\nitems:\n- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n"
      "    name: a\n    annotations:\n      fluxcd.io/automated: \"true\"\n  spec: {}\n- kind: "
      "Deployment\n"
      "  metadata:\n    name: b\n    annotations:\n      fluxcd.io/automated: \"true\"\n");
}

TEST(RewritePolicy, RefusesAnchoredAnnotations) {
  std::string in = "kind: Pod\nmetadata:\n  name: p\n  annotations: &common\n    a: b\n";
  EXPECT_THAT(RewriteError(in, {SetPolicy("default:pod/p", "automated", "true")}).message,
              HasSubstr("anchored"));
}

TEST(Rewrite, RefusesAWorkloadDefinedTwiceInTheFile) {
  std::string in = "kind: Pod\nmetadata: {name: p}\n---\nkind: Pod\nmetadata: {name: p}\n";
  EXPECT_THAT(RewriteError(in, {SetPolicy("default:pod/p", "automated", "true")}).message,
              HasSubstr("more than once"));
}

TEST(Rewrite, RefusesAFileThatDoesNotParse) {
  Error e = RewriteError("kind: [\n", {SetPolicy("default:pod/p", "automated", "true")});
  EXPECT_EQ(e.kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(e.message, HasSubstr("does not parse"));
}

TEST(Rewrite, NoEditsReturnsTheSameBytes) { EXPECT_EQ(Rewrite(kDeployment, {}), kDeployment); }

}  // namespace
}  // namespace tagflow::manifest
