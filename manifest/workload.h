// Workloads found in a manifest repository: value types shared by the scan,
// the rewrite and the daemon.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/reference.h"
#include "manifest/policy.h"
#include "manifest/scalar_text.h"

namespace tagflow::manifest {

// Which part of a container image a scalar holds. Pod specs have one
// `kImage`; HelmRelease values may split an image into registry, repository
// and tag fields. A kustomization `images:` entry has a `kName` (`name`, the
// entry's identity, never edited), maybe a `kRepository` (`newName`), a
// `kTag` (`newTag`) and a `kDigest` (`digest`).
enum class ImageField { kImage, kRegistry, kRepository, kTag, kDigest, kName };

std::string_view ImageFieldName(ImageField field);

// Where one image scalar sits in its file, for an in-place edit.
struct ValueLocation {
  ImageField field = ImageField::kImage;
  std::size_t offset = 0;  // byte offset of the token, quotes included
  std::size_t length = 0;  // token length in bytes; 0 when not editable
  int line = 0;            // 1-based
  int column = 0;          // 1-based
  QuoteStyle style = QuoteStyle::kPlain;
  std::string value;         // the decoded scalar
  std::string not_editable;  // empty when editable; otherwise why not
};

struct Container {
  std::string name;
  // The image as written; for split HelmRelease values the parts joined as
  // `[registry/]repository[:tag]`.
  std::string image_text;
  image::ImageRef image;
  std::vector<ValueLocation> sources;  // one per scalar the image comes from
  // Flux v2 marker targets only (flux_v2.h): the file holding the marked
  // value (Workload::file is the first of the policy's files), and whether
  // the document holding the marker is locked (`tagflow.io/locked`).
  std::string file = {};
  bool locked = false;

  const ValueLocation* Source(ImageField field) const;
};

struct Workload {
  std::string id;    // "<namespace>:<kind lowercased>/<name>"
  std::string kind;  // as written: "Deployment", "HelmRelease", "Kustomization"
  std::string ns;    // "default" when unset
  std::string name;
  std::string file;          // relative to the repository root, '/'-separated
  int line = 0;              // 1-based line where the object starts
  std::size_t document = 0;  // index of its document in the file
  int item = -1;             // index in `items` of a List, or -1
  Annotations annotations;   // metadata.annotations with string values, in order
  Policies policies;
  std::vector<Container> containers;  // initContainers first, then containers

  const Container* FindContainer(std::string_view name) const;
};

// "<ns>:<kind lowercased>/<name>".
std::string MakeWorkloadId(std::string_view ns, std::string_view kind, std::string_view name);

// Accepts "ns:kind/name" or "kind/name" (then `default_ns`); lower-cases
// the kind. Only a kustomization's name may hold '/' (its directory). kInvalidInput when the shape
// is wrong.
[[nodiscard]] Result<std::string> NormalizeWorkloadId(std::string_view id,
                                                      std::string_view default_ns = "default");

enum class Severity {
  kError,    // a whole file, or a document of it, was skipped
  kWarning,  // part of a file was skipped (a workload, a container)
  kNotice,   // harmless, worth knowing (an empty document)
};

std::string_view SeverityName(Severity severity);

// One thing the scan could not use, and why. The same message about one
// file is one Problem, at its first place, with the number of times.
struct Problem {
  std::string file;  // relative to the repository root
  int line = 0;      // 1-based; 0 when the whole file is meant
  int column = 0;
  Severity severity = Severity::kWarning;
  std::string message;
  std::size_t count = 1;  // occurrences in the file

  // "file:line:column: message" (line and column left out when 0), then
  // " (N times in this file)" when count > 1.
  std::string ToString() const;
};

}  // namespace tagflow::manifest
