// Edits on a work tree: the thin file layer around RewriteManifest, and the
// operations behind `automate`, `lock`, `policy`, `release` and the cycle.
//
// Every operation first rewrites each affected file in memory; only when all
// succeed are the changed files written (atomically, one by one, never
// through a symlink, never outside the root). It returns what changed and the
// Flux v1 style commit message, and leaves committing to the caller.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/reference.h"
#include "manifest/filesystem.h"
#include "manifest/rewrite.h"
#include "manifest/scan.h"

namespace tagflow::manifest {

// Who asked and why: `-m` and `--user` of the CLI.
struct Cause {
  std::string message;
  std::string user;
};

// The outcome for one workload named by the caller.
struct WorkloadResult {
  enum class Status { kSuccess, kUnchanged, kSkipped };
  std::string workload;
  Status status = Status::kUnchanged;
  // What changed ("app: nginx:1.0 -> nginx:1.1", "fluxcd.io/automated") or
  // why it was skipped ("locked").
  std::vector<std::string> details;
};

std::string_view StatusName(WorkloadResult::Status status);

struct ChangeSet {
  std::vector<WorkloadResult> results;  // one per workload named, in the order given
  std::vector<std::string> files;       // changed files, relative to the root, sorted
  std::string commit_message;           // empty when nothing changed
};

// One edit of the file `file` (relative to the root).
struct FileEdit {
  std::string file;
  Edit edit;
};

enum class ApplyMode {
  kAllOrNothing,  // the first error is returned and nothing is written (the CLI)
  kBestEffort,    // a refused edit is reported and the others go on (the cycle)
};

// An edit that was not applied: `whole_file` when its file could not be
// read, reached (PathInside) or written, else the edit itself was refused.
struct Refusal {
  size_t index;  // into the edits given
  Error error;
  bool whole_file = false;
};

struct ApplyOutcome {
  std::vector<std::string> files;  // changed (written unless dry-run), sorted
  std::vector<size_t> applied;     // indices of the edits in them, ascending
  std::vector<Refusal> refused;    // kBestEffort only
};

// The one apply loop: rewrites every file named by `edits` in memory
// (RewriteManifest: byte-exact, re-parsed and verified) and, unless
// `dry_run`, writes the changed ones atomically, never through a symlink and
// never outside `root` (each path is checked to be a clean relative path
// whose directories are real directories). Both modes rewrite a file once
// with all its edits, so the cost is linear in the file and the edits.
// kBestEffort leaves out only the edits that cannot be applied (a value
// that cannot be edited in place, an unknown container, ...), as if each
// edit were tried on its own in order; refusals carry each edit's reason.
[[nodiscard]] Result<ApplyOutcome> ApplyFileEdits(Filesystem& fs, const std::string& root,
                                                  std::span<const FileEdit> edits, ApplyMode mode,
                                                  bool dry_run);

// Rewrites the files holding the workloads the `edits` name (workloads as
// found by `scan` of `root`) and, unless `dry_run`, writes the changed ones.
// Returns the changed files, sorted. kNotFound for a workload not in `scan`;
// any RewriteManifest error, prefixed with the file; nothing is written when
// any file fails.
[[nodiscard]] Result<std::vector<std::string>> ApplyEdits(Filesystem& fs, const std::string& root,
                                                          const ScanResult& scan,
                                                          std::span<const Edit> edits,
                                                          bool dry_run);

// Policy changes applied to every named workload: `set` entries are
// policy -> value (nullopt removes), in order; `tag_all`, when given, sets
// `tag.<c>` of every container to it (nullopt: leave; "" removes).
struct PolicyUpdate {
  std::vector<std::pair<std::string, std::optional<std::string>>> set;
  std::optional<std::string> tag_all;
};

// Applies `update` to the workloads `ids` (normalised ids, all of which
// must be in `scan`: kNotFound naming the unknown ones otherwise, and nothing
// changes). A `tag.<c>` for a container the workload lacks is kNotFound.
// The commit message follows Flux v1: "Automated: <ids>", "Deautomated:",
// "Locked:", "Unlocked:", "Updated policies:"; several kinds become
// "Updated workload policies" and a "- <event>" list; `cause.message`
// comes first when given.
[[nodiscard]] Result<ChangeSet> UpdatePolicies(Filesystem& fs, const std::string& root,
                                               const ScanResult& scan,
                                               std::span<const std::string> ids,
                                               const PolicyUpdate& update, const Cause& cause,
                                               bool dry_run);

// The image a container should run, for `--update-all-images`: nullopt
// when there is nothing newer.
using LatestImageFn =
    std::function<Result<std::optional<image::ImageRef>>(const Workload&, const Container&)>;

struct ReleaseSpec {
  // `--update-image REF`: every container of the named workloads whose
  // repository (canonical name) is REF's gets REF's tag/digest. When
  // nullopt, `latest` decides for each container (`--update-all-images`).
  std::optional<image::ImageRef> image;
  LatestImageFn latest;
  bool force = false;  // also release locked workloads
};

// Releases images to the workloads `ids` (all must be in `scan`, or
// kNotFound and nothing changes). Locked workloads (unless `force`) and
// ignored ones are kSkipped, as are workloads with no container using the
// image. Commit message: "Release <ref> to <ids>" ("Release latest images
// to <ids>" for all images), after `cause.message` when given.
[[nodiscard]] Result<ChangeSet> ReleaseImages(Filesystem& fs, const std::string& root,
                                              const ScanResult& scan,
                                              std::span<const std::string> ids,
                                              const ReleaseSpec& spec, const Cause& cause,
                                              bool dry_run);

}  // namespace tagflow::manifest
