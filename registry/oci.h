// The OCI / Docker documents the registry client reads, parsed from strings:
// image indexes and manifest lists, image manifests, image configs; the
// platform entry of an index; an image's creation time (DESIGN.md §3).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace tagflow::registry {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
// The Accept header of manifest GETs: every type above.
std::string ManifestAccept();
// True for the OCI index and Docker manifest list types.
bool IsIndexType(std::string_view media_type);

// An OS/architecture[/variant] triple, e.g. linux/amd64 or linux/arm/v7.
struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;  // "" = any

  // Parses "os/arch[/variant]"; kInvalidInput otherwise.
  [[nodiscard]] static Result<Platform> Parse(std::string_view text);
  std::string String() const;
  friend bool operator==(const Platform&, const Platform&) = default;
};

struct IndexEntry {
  std::string digest;
  std::string media_type;
  Platform platform;
};

// A manifest as far as tagflow needs it.
struct Manifest {
  std::string media_type;
  bool is_index = false;
  std::vector<IndexEntry> entries;  // index / list: the child manifests
  std::string config_digest;        // image manifest: the config blob
};

// Parses a manifest body. The type comes from the body's mediaType, else
// from `content_type`, else from its shape (manifests[] vs config). Docker
// schema 1 and unknown types are kInvalidInput naming the type.
[[nodiscard]] Result<Manifest> ParseManifest(std::string_view content_type, std::string_view body);

// The entry of `index` for `wanted`: os and architecture equal, and the
// variant equal when `wanted` names one (an entry without variant is preferred
// when it does not; arm64 entries with variant v8 count as plain arm64).
// nullptr when none matches.
const IndexEntry* SelectPlatform(const Manifest& index, const Platform& wanted);

// What tagflow keeps of an image config.
struct ImageConfig {
  std::optional<TimePoint> created;  // config `created`; nullopt when missing or zero
  std::map<std::string, std::string> labels;
};

// Parses an image config blob (Docker or OCI: `created`, `config.Labels`).
// kInvalidInput when it is not a JSON object.
[[nodiscard]] Result<ImageConfig> ParseImageConfig(std::string_view body);

// The creation time of an image: config `created`, else the label
// org.opencontainers.image.created, else org.label-schema.build-date; zero
// times count as missing. nullopt when none is known.
std::optional<TimePoint> CreationTime(const ImageConfig& config);

}  // namespace tagflow::registry
