#include "manifest/extract.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace tagflow::manifest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;

// "name=image" for each container.
std::vector<std::string> Images(const Workload& w) {
  std::vector<std::string> out;
  for (const Container& c : w.containers) out.push_back(c.name + "=" + c.image_text);
  return out;
}

std::vector<std::string> Ids(const FileScan& s) {
  std::vector<std::string> out;
  for (const Workload& w : s.workloads) out.push_back(w.id);
  return out;
}

std::vector<std::string> Messages(const FileScan& s) {
  std::vector<std::string> out;
  for (const Problem& p : s.problems) out.push_back(p.ToString());
  return out;
}

TEST(Extract, EveryPodTemplateKind) {
  std::string text;
  for (std::string kind : {"Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"}) {
    text += "---\nkind: " + kind +
            "\nmetadata:\n  name: x\n  namespace: ns\nspec:\n  template:\n    spec:\n"
            "      containers:\n      - name: c\n        image: app:1\n";
  }
  FileScan s = ScanText("f.yaml", text);
  EXPECT_THAT(Ids(s), ElementsAre("ns:deployment/x", "ns:daemonset/x", "ns:statefulset/x",
                                  "ns:replicaset/x", "ns:job/x"));
  for (const Workload& w : s.workloads) EXPECT_THAT(Images(w), ElementsAre("c=app:1"));
  EXPECT_THAT(s.problems, IsEmpty());
}

TEST(Extract, PodCronJobAndInitContainers) {
  FileScan s = ScanText("f.yaml", R"(kind: Pod
metadata: {name: p}
spec:
  containers: [{name: main, image: "app:1"}]
  initContainers: [{name: init, image: 'init:1'}]
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: nightly
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: wait
            image: busybox:1.36
          containers:
          - name: backup
            image: ghcr.io/acme/backup:2.0
)");
  ASSERT_THAT(s.workloads, SizeIs(2));
  EXPECT_EQ(s.workloads[0].id, "default:pod/p");
  EXPECT_THAT(Images(s.workloads[0]), ElementsAre("init=init:1", "main=app:1"));
  EXPECT_EQ(s.workloads[1].id, "default:cronjob/nightly");
  EXPECT_EQ(s.workloads[1].document, 1u);
  EXPECT_EQ(s.workloads[1].line, 7);
  EXPECT_THAT(Images(s.workloads[1]),
              ElementsAre("wait=busybox:1.36", "backup=ghcr.io/acme/backup:2.0"));
}

TEST(Extract, RecordsWhereEachImageIsAndHowItIsQuoted) {
  std::string text =
      "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: \"app:1\"\n"
      "  - name: b\n    image: 'b:2'\n  - name: c\n    image: c:3 # comment\n";
  FileScan s = ScanText("f.yaml", text);
  ASSERT_THAT(s.workloads, SizeIs(1));
  const auto& cs = s.workloads[0].containers;
  ASSERT_THAT(cs, SizeIs(3));
  QuoteStyle styles[] = {QuoteStyle::kDouble, QuoteStyle::kSingle, QuoteStyle::kPlain};
  std::string tokens[] = {"\"app:1\"", "'b:2'", "c:3"};
  for (int i = 0; i < 3; ++i) {
    ASSERT_THAT(cs[i].sources, SizeIs(1));
    const ValueLocation& loc = cs[i].sources[0];
    EXPECT_EQ(loc.style, styles[i]);
    EXPECT_EQ(text.substr(loc.offset, loc.length), tokens[i]);
    EXPECT_EQ(loc.line, 6 + 2 * i);
    EXPECT_EQ(loc.column, 12);
    EXPECT_THAT(loc.not_editable, IsEmpty());
  }
  EXPECT_EQ(cs[0].image.tag(), "1");
}

TEST(Extract, ImagesThatCannotBeEditedAreStillListed) {
  FileScan s = ScanText("f.yaml",
                        "kind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
                        "    image: !!str app:1\n  - name: b\n    image: >-\n      b:2\n");
  ASSERT_THAT(s.workloads, SizeIs(1));
  EXPECT_THAT(Images(s.workloads[0]), ElementsAre("a=app:1", "b=b:2"));
  EXPECT_THAT(s.workloads[0].containers[0].sources[0].not_editable, HasSubstr("explicit tag"));
  EXPECT_THAT(s.workloads[0].containers[1].sources[0].not_editable, HasSubstr("block scalar"));
}

TEST(Extract, ListKindsAreWalkedThroughItems) {
  FileScan s = ScanText("f.yaml", R"(apiVersion: v1
kind: List
items:
- kind: Deployment
  metadata: {name: a, namespace: n}
  spec: {template: {spec: {containers: [{name: c, image: "a:1"}]}}}
- kind: ConfigMap
  metadata: {name: cm}
- kind: StatefulSet
  metadata: {name: b}
  spec: {template: {spec: {containers: [{name: c, image: "b:1"}]}}}
---
kind: DeploymentList
items:
- kind: Deployment
  metadata: {name: c}
)");
  EXPECT_THAT(Ids(s),
              ElementsAre("n:deployment/a", "default:statefulset/b", "default:deployment/c"));
  EXPECT_EQ(s.workloads[0].item, 0);
  EXPECT_EQ(s.workloads[1].item, 2);
  EXPECT_EQ(s.workloads[2].document, 1u);
}

TEST(Extract, PoliciesFromBothPrefixesAndTheFilterAlias) {
  FileScan s = ScanText("f.yaml", R"(kind: Deployment
metadata:
  name: web
  annotations:
    flux.weave.works/automated: "true"
    fluxcd.io/locked: "True"
    filter.fluxcd.io/app: semver:~1.2
    fluxcd.io/tag.proxy: glob:v1.*
    filter.fluxcd.io/proxy: glob:ignored
    fluxcd.io/locked_msg: on hold
    team: shop
)");
  ASSERT_THAT(s.workloads, SizeIs(1));
  const Policies& p = s.workloads[0].policies;
  EXPECT_TRUE(p.automated());
  EXPECT_FALSE(p.locked()) << "only the exact string true counts";
  EXPECT_FALSE(p.ignored());
  EXPECT_EQ(p.TagFilter("app"), "semver:~1.2");
  EXPECT_EQ(p.TagFilter("proxy"), "glob:v1.*");
  EXPECT_EQ(p.TagFilter("none"), std::nullopt);
  EXPECT_THAT(p.values(), ElementsAre(Pair("automated", "true"), Pair("locked", "True"),
                                      Pair("locked_msg", "on hold"), Pair("tag.app", "semver:~1.2"),
                                      Pair("tag.proxy", "glob:v1.*")));
  EXPECT_THAT(s.workloads[0].annotations, SizeIs(7));
}

TEST(Extract, HelmReleaseShapes) {
  FileScan s = ScanText("f.yaml", R"(apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
  annotations:
    repository.fluxcd.io/worker: workers.main.repo
    tag.fluxcd.io/worker: workers.main.version
    registry.fluxcd.io/worker: workers.main.host
    repository.fluxcd.io/redis: redis.image.repository
spec:
  chart: {repository: https://charts.example.com, name: podinfo, version: 6.0.0}
  values:
    image:
      registry: ghcr.io
      repository: stefanprodan/podinfo
      tag: 6.0.0
      pullPolicy: IfNotPresent
    redis:
      image: {repository: redis, tag: "7.0"}
    sidecar:
      image: envoyproxy/envoy:v1.25.0
    cache:
      image: memcached
      tag: 1.6.9
    resources:
      limits: {cpu: 100m}
    notAnImage:
      image: {pullPolicy: Always}
    workers:
      main:
        host: registry.example.com:5000
        repo: acme/worker
        version: v3
)");
  ASSERT_THAT(s.workloads, SizeIs(1));
  const Workload& w = s.workloads[0];
  EXPECT_EQ(w.id, "apps:helmrelease/podinfo");
  EXPECT_THAT(Images(w),
              ElementsAre("chart-image=ghcr.io/stefanprodan/podinfo:6.0.0", "redis=redis",
                          "sidecar=envoyproxy/envoy:v1.25.0", "cache=memcached:1.6.9",
                          "worker=registry.example.com:5000/acme/worker:v3"));
  EXPECT_THAT(s.problems, IsEmpty());
  const Container& chart = w.containers[0];
  ASSERT_THAT(chart.sources, SizeIs(3));
  EXPECT_EQ(chart.Source(ImageField::kTag)->value, "6.0.0");
  EXPECT_EQ(chart.Source(ImageField::kRegistry)->value, "ghcr.io");
  EXPECT_EQ(chart.Source(ImageField::kRepository)->value, "stefanprodan/podinfo");
  EXPECT_EQ(w.containers[1].Source(ImageField::kImage)->value, "redis")
      << "a mapping without a tag annotation reads the whole image from the repository path";
}

TEST(Extract, HelmReleaseMappingToAMissingPathIsReported) {
  FileScan s = ScanText("f.yaml",
                        "kind: HelmRelease\nmetadata:\n  name: r\n  annotations:\n"
                        "    repository.fluxcd.io/app: app.image\nspec:\n  values: {other: 1}\n");
  ASSERT_THAT(s.workloads, SizeIs(1));
  EXPECT_THAT(s.workloads[0].containers, IsEmpty());
  EXPECT_THAT(Messages(s),
              ElementsAre(HasSubstr(
                  "repository.fluxcd.io/app names app.image, which is not in spec.values")));
}

TEST(Extract, BadInputIsReportedOnceEachAndTheRestIsKept) {
  FileScan s = ScanText("bad.yaml", R"(kind: Deployment
metadata:
  namespace: x
---
kind: Deployment
metadata: {name: ok}
spec:
  template:
    spec:
      containers:
      - name: no-image
      - image: no-name:1
      - name: map-image
        image: {repository: x}
      - name: number-image
        image: 1.5
      - name: bad-ref
        image: "UPPER/Case:1"
      - name: good
        image: good:1
      - name: good
        image: again:1
---
---
kind: CloneSet
metadata: {name: r}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
---
kind: Widget
metadata: {name: w}
---
- a list document
)");
  EXPECT_THAT(Ids(s), ElementsAre("default:deployment/ok"));
  EXPECT_THAT(Images(s.workloads[0]), ElementsAre("good=good:1"));
  EXPECT_THAT(Messages(s),
              ElementsAre(HasSubstr("bad.yaml:1:1: Deployment without metadata.name"),
                          HasSubstr("container no-image has no image"),
                          HasSubstr("container without a name"),
                          HasSubstr("image of container map-image is not a string"),
                          HasSubstr("image of container number-image is not a string"),
                          HasSubstr("container bad-ref: invalid image reference"),
                          HasSubstr("a second container named good"), HasSubstr("empty document"),
                          HasSubstr("kind CloneSet is not a supported workload kind"),
                          HasSubstr("document is not a mapping")));
  EXPECT_EQ(s.problems[7].severity, Severity::kNotice);
}

TEST(Extract, RolloutKnativeServiceAndDeploymentConfigByApiGroup) {
  FileScan s = ScanText("kinds.yaml", R"(apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: r, namespace: apps, annotations: {fluxcd.io/automated: "true"}}
spec:
  template:
    spec:
      initContainers: [{name: init, image: busybox:1.36}]
      containers: [{name: app, image: ghcr.io/acme/app:1.0}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: by-ref}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: app}
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: {name: hello}
spec:
  template:
    spec:
      containers:
      - name: user-container
        image: gcr.io/knative-samples/helloworld-go:v1
---
apiVersion: v1
kind: Service
metadata: {name: core}
spec: {ports: [{port: 80}]}
---
apiVersion: apps.openshift.io/v1
kind: DeploymentConfig
metadata: {name: legacy}
spec:
  template:
    spec:
      containers: [{name: web, image: quay.io/acme/web:2}]
---
apiVersion: example.com/v1
kind: Rollout
metadata: {name: other}
spec: {template: {spec: {containers: [{name: c, image: x:1}]}}}
)");
  EXPECT_THAT(Ids(s), ElementsAre("apps:rollout/r", "default:rollout/by-ref",
                                  "default:service/hello", "default:deploymentconfig/legacy"));
  EXPECT_THAT(Images(s.workloads[0]), ElementsAre("init=busybox:1.36", "app=ghcr.io/acme/app:1.0"));
  EXPECT_TRUE(s.workloads[0].policies.automated());
  EXPECT_THAT(s.workloads[1].containers, IsEmpty());
  EXPECT_THAT(Images(s.workloads[2]),
              ElementsAre("user-container=gcr.io/knative-samples/helloworld-go:v1"));
  EXPECT_THAT(Images(s.workloads[3]), ElementsAre("web=quay.io/acme/web:2"));
  EXPECT_THAT(Messages(s), ElementsAre(HasSubstr("kind Rollout is not a supported workload kind")));
}

TEST(Extract, DuplicateApiVersionRefusesTheDocument) {
  FileScan s = ScanText("twice.yaml",
                        "apiVersion: argoproj.io/v1alpha1\nkind: Rollout\napiVersion: v1\n"
                        "metadata: {name: r}\n");
  EXPECT_THAT(s.workloads, IsEmpty());
  EXPECT_THAT(Messages(s), ElementsAre(HasSubstr("duplicate key \"apiVersion\" at lines 1 and 3")));
}

TEST(Extract, UnparseableFileIsOneErrorWithLineAndColumn) {
  FileScan s = ScanText("broken.yaml", "kind: Pod\nmetadata:\n  name: [a, b\nspec: {}\n");
  EXPECT_THAT(s.workloads, IsEmpty());
  ASSERT_THAT(s.problems, SizeIs(1));
  EXPECT_EQ(s.problems[0].severity, Severity::kError);
  EXPECT_GT(s.problems[0].line, 0);
  EXPECT_GT(s.problems[0].column, 0);
  EXPECT_THAT(s.problems[0].ToString(), HasSubstr("broken.yaml:"));
  EXPECT_THAT(s.problems[0].message, HasSubstr("does not parse"));
}

TEST(Extract, DocumentsWithoutKindAreIgnoredSilently) {
  // (A file named like a kustomization is read as one: kustomization_test.cc.)
  FileScan s = ScanText("values.yaml",
                        "resources:\n- deployment.yaml\nimages:\n- name: app\n  newTag: v2\n");
  EXPECT_THAT(s.workloads, IsEmpty());
  EXPECT_THAT(s.problems, IsEmpty());
}

TEST(Extract, WorkloadNodeFindsDocumentsAndListItems) {
  std::string text =
      "kind: Pod\nmetadata: {name: a}\n---\nkind: List\nitems:\n- kind: Pod\n  metadata: {name: "
      "b}\n";
  Result<YamlStream> stream = ParseYaml(text);
  ASSERT_TRUE(stream);
  FileScan s = ExtractWorkloads("f.yaml", text, *stream);
  ASSERT_THAT(s.workloads, SizeIs(2));
  const YamlNode* b = WorkloadNode(*stream, s.workloads[1]);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->Get("metadata")->GetString("name"), "b");
  Workload missing = s.workloads[1];
  missing.item = 7;
  EXPECT_EQ(WorkloadNode(*stream, missing), nullptr);
}

TEST(WorkloadId, NormalizesKindAndNamespace) {
  EXPECT_EQ(MakeWorkloadId("ns", "HelmRelease", "x"), "ns:helmrelease/x");
  EXPECT_EQ(NormalizeWorkloadId("deployment/web").value(), "default:deployment/web");
  EXPECT_EQ(NormalizeWorkloadId("Shop:Deployment/web").value(), "Shop:deployment/web");
  EXPECT_EQ(NormalizeWorkloadId("deployment/web", "prod").value(), "prod:deployment/web");
  for (std::string bad :
       {"web", ":deployment/web", "ns:/web", "ns:deployment/", "a:b/c/d", "a:b:c/d"}) {
    EXPECT_FALSE(NormalizeWorkloadId(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace tagflow::manifest
