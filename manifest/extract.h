// From parsed YAML to workloads (DESIGN.md §2). Pure: works on text already
// in memory, so every shape is tested from strings.
//
// Kinds: Deployment, DaemonSet, StatefulSet, ReplicaSet, Job, CronJob
// (spec.jobTemplate.spec.template), Pod and HelmRelease; by API group, Argo
// Rollouts `Rollout` (argoproj.io/; one with spec.workloadRef and no template
// has no containers), Knative `Service` (serving.knative.dev/) and OpenShift
// `DeploymentConfig` (apps.openshift.io/), all at spec.template.spec; a kind
// ending in `List` is walked through `items`. In a file named
// kustomization.yaml, kustomization.yml or Kustomization, the Kustomization
// is a workload whose `images:` entries are its containers (see
// KustomizationImages in extraction.h). Flux v2 `$imagepolicy` markers on
// any line make partial `<ns>:imagepolicy/<name>` workloads, and
// ImageRepository/ImagePolicy documents go to FileScan::flux (flux_v2.h).
// Other documents without a `kind`
// (chart values) are ignored silently; another kind that carries a pod spec
// gets a warning, any other kind is ignored.
//
// HelmRelease containers come from `spec.values`:
//  - `image: repo:tag` or `image: {repository, tag[, registry]}` (also
//    `image: repo` beside `tag:` / `registry:`) at the top: container
//    "chart-image" (Flux v1's name);
//  - the same one level down, `values.<key>.image`: container `<key>`;
//  - `repository.fluxcd.io/<alias>: dot.path` with optional
//    `tag.fluxcd.io/<alias>` and `registry.fluxcd.io/<alias>` annotations
//    (paths inside spec.values): container `<alias>`, replacing an
//    auto-detected container of that name.
//
// A key written twice in a mapping on the way to an image or an annotation
// (`spec`, `metadata`, `annotations`, an annotation, `containers`, `image`,
// a HelmRelease values key, ...) makes its document one kError problem
// naming the key and both lines: kubectl and Go read the last one, so any
// choice here would be a guess. The other documents go on. The same message
// twice in one file is one Problem with a count (Problem::count).
#pragma once

#include <string_view>
#include <vector>

#include "manifest/flux_v2.h"
#include "manifest/workload.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest {

// Flux v1's container name for an image at the top of HelmRelease values.
inline constexpr std::string_view kChartImageContainer = "chart-image";

struct FileScan {
  std::vector<Workload> workloads;  // in file order
  std::vector<Problem> problems;
  // Flux v2 ImageRepository / ImagePolicy documents and markers (flux_v2.h);
  // the markers' targets are already among `workloads`, unresolved.
  FluxObjects flux;
};

// Parses `content` (named `file` in messages and in Workload::file) and
// collects its workloads and the problems met, one document at a time (no
// tree of the whole file is held). A file that does not parse, or is over a
// limit of yaml_tree.h, yields one kError problem naming line, column (and
// the limit), and no workloads.
FileScan ScanText(std::string_view file, std::string_view content);

// The same on a stream already parsed from `content`.
FileScan ExtractWorkloads(std::string_view file, std::string_view content,
                          const YamlStream& stream);

// The mapping node of workload `w` inside `stream` (its document root or
// List item), or nullptr when the stream does not hold it.
const YamlNode* WorkloadNode(const YamlStream& stream, const Workload& w);

}  // namespace tagflow::manifest
