// Flux v2 image automation read from the repository itself (DESIGN.md §4.1):
// `ImageRepository` and `ImagePolicy` documents (image.toolkit.fluxcd.io/
// v1beta1, v1beta2, v1) and the setter markers that point YAML values at a
// policy, as Flux's image-automation-controller interprets them:
//
//   image: ghcr.io/org/app:1.0.0 # {"$imagepolicy": "flux-system:app"}
//     the whole reference; the tag (and a digest, if written) is replaced
//   newTag: 1.0.0 # {"$imagepolicy": "flux-system:app:tag"}
//     the tag alone
//
//   repository: ghcr.io/org/app # {"$imagepolicy": "flux-system:app:name"}
//   digest: sha256:... # {"$imagepolicy": "flux-system:app:digest"}
//     the name (the ImageRepository's spec.image) and the digest of the
//     image whose `:tag` marker is in the same mapping: one container with
//     the three sources; a `:digest` marker turns digest tracking on for it.
//     Without a `:tag` marker beside them they are a warning, never edited.
//
// Each marked value is a container of the workload `<ns>:imagepolicy/<name>`
// (kind "ImagePolicy"), named `<file>:<line>`, with Container::file set. A
// file yields one partial workload per policy and document; the scan merges
// them into one workload per policy (ResolveFluxMarkers). Such a workload is
// automated by construction, its containers' tag filter is the policy's:
//
//   spec.policy.semver.range: R            semver:R
//   spec.policy.alphabetical.order: asc    alphabetical:*
//   spec.policy.numerical.order: asc       numerical:*
//   with spec.filterTags.pattern/extract   flux:{"pattern", "extract", "policy",
//   or order: desc                               "range" | "order"} (tag_filter.h)
//
// A policy the filter grammar rejects (a bad pattern, an extract naming a
// group the pattern lacks) is an error for its markers, never "match
// everything". A document holding a marker with
// `tagflow.io/locked: "true"` (or `fluxcd.io/locked`) locks its markers.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "manifest/yaml_tree.h"

namespace tagflow::manifest {

struct Workload;
struct Problem;

// The kind of a marker target workload: id "<ns>:imagepolicy/<name>".
inline constexpr std::string_view kImagePolicyKind = "ImagePolicy";
inline constexpr std::string_view kFluxImageGroup = "image.toolkit.fluxcd.io/";

enum class MarkerField { kWhole, kTag, kName, kDigest };

struct Marker {
  std::string ns;    // the policy's namespace
  std::string name;  // the policy's name
  MarkerField field = MarkerField::kWhole;
  std::size_t column = 0;  // 0-based byte column of the '#'
};

// The marker in the comment of one line of YAML (no line break), or nullopt
// when the line has none. A comment holding `"$imagepolicy"` that is not a
// well-formed marker `{"$imagepolicy": "<ns>:<name>[:tag|:name|:digest]"}` is
// kInvalidInput saying why.
[[nodiscard]] Result<std::optional<Marker>> ParseMarkerLine(std::string_view line);

struct FluxImageRepository {
  std::string ns;
  std::string name;
  std::string image;  // spec.image
  std::string file;
  int line = 0;
};

struct FluxImagePolicy {
  std::string ns;
  std::string name;
  std::string repository_ns;  // spec.imageRepositoryRef.namespace, else ns
  std::string repository;     // spec.imageRepositoryRef.name
  std::string filter;         // the tag filter (image/tag_filter.h) when supported
  std::string error;          // why the policy cannot be used, when it cannot
  std::string file;
  int line = 0;
  // Its `tagflow.io/` annotations (digest, min-age, verify): workload-wide
  // policies of its marker workload.
  std::vector<std::pair<std::string, std::string>> tagflow_annotations = {};
};

struct FluxObjects {
  std::vector<FluxImageRepository> repositories;
  std::vector<FluxImagePolicy> policies;
};

// The tag filter of an ImagePolicy's `spec` as FluxImagePolicy::filter, or
// kInvalidInput naming what is missing or not supported.
[[nodiscard]] Result<std::string> FluxPolicyFilter(const YamlNode& spec);

// Merges the partial marker workloads of `workloads` (one per policy and
// document) into one per policy, and resolves each against `objects`: the
// policy's filter becomes the `tag.<container>` policy of every container,
// and a `:tag` container gets its image (and image_text) from the
// ImageRepository's spec.image and the marked tag. A marker
// whose policy is not in `objects`, is unusable, or whose ImageRepository is
// missing is a kError problem naming file:line and the policy; that container
// is dropped (and the workload when none is left). A whole reference whose
// repository is not the ImageRepository's image is a kWarning; dropped too.
void ResolveFluxMarkers(const FluxObjects& objects, std::vector<Workload>& workloads,
                        std::vector<Problem>& problems);

}  // namespace tagflow::manifest
