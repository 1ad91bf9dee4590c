// Scanning a work tree into workloads (DESIGN.md §1 step 2).
//
// Every `*.yaml` / `*.yml` below the given paths, in name order; `.git` and
// directories holding a `Chart.yaml` (Helm charts) are skipped; symlinks are
// never followed (one linking outside the repository, or named like a YAML
// file, is reported). Files are read and parsed on a few threads; the
// result does not depend on their number. Memory follows the largest file,
// not the sum: a file's text and tree are dropped once its workloads are
// out, the tree is built one document at a time, and the threads start on
// a file only while the bytes they hold stay within max_bytes_in_flight (a
// larger file waits to be read alone).
//
// The scan never stops at bad input. Each of these is one Problem and the
// rest goes on: a file that does not parse (kError, with line and column),
// a file over the size limit or unreadable (kError), a workload without a
// name, a container without an image or with an image that is not a valid
// reference, an unsupported kind with a pod spec (kWarning), an empty
// document (kNotice), a document with a duplicate key on the way to an image
// or annotation (kError, that document only; see extract.h), a file over a
// nesting or alias limit (kError; see yaml_tree.h), and the same workload id
// defined more than once (kWarning naming every place; all copies are
// dropped, because an edit could not know which one to change). The same
// message twice in one file is one Problem with a count. Flux v2 markers
// are gathered over every file and resolved against the ImagePolicies and
// ImageRepositories found (flux_v2.h): a marker without its policy or
// repository is a kError at its file:line.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "manifest/filesystem.h"
#include "manifest/workload.h"

namespace tagflow::manifest {

struct ScanOptions {
  // Larger files are reported and skipped.
  std::uint64_t max_file_bytes = 16u << 20;
  // Reader threads; 0 picks the number of CPUs (at most 8).
  unsigned threads = 0;
  // File bytes being parsed at once, over all threads.
  std::uint64_t max_bytes_in_flight = 16u << 20;
  // Called on each workload as soon as its file is scanned, on the reader
  // threads (so it must be safe to call from several at once), before
  // duplicates are dropped; never on a Flux marker's target, which is
  // resolved at the end. A caller that reads only part of each workload
  // drops the rest here, so that a scan of 10,000s of workloads stays small
  // (the daemon's cycle: daemon/plan.h TrimForPlanning).
  std::function<void(Workload&)> trim;
};

struct ScanResult {
  std::vector<Workload> workloads;  // sorted by id, ids unique
  std::vector<Problem> problems;    // in file order
  std::size_t files = 0;            // YAML files read

  // The workload with this id, or nullptr.
  const Workload* Find(std::string_view id) const;
  // True when a problem is kError (a file was skipped).
  bool HasErrors() const;
};

// Scans `paths` (relative to `root`; none, "" or "." mean the whole tree) of
// the work tree at `root`. Errors only for the arguments: kInvalidInput for a
// path that is absolute, leaves the root ("..") or goes through a symlink;
// kNotFound for a root or path that does not exist.
[[nodiscard]] Result<ScanResult> Scan(const Filesystem& fs, const std::string& root,
                                      std::span<const std::string> paths,
                                      const ScanOptions& options = {});

}  // namespace tagflow::manifest
