// Planning (DESIGN.md §1 steps 3-4): which containers are automated, which
// image repositories to scan for them, and which image references to change.
// Pure: works on scanned workloads and registry results, tested from values.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "manifest/workload.h"
#include "registry/scanner.h"

namespace tagflow::daemon {

// A container tagflow may update: its workload is automated, not locked and
// not ignored, the container is not locked (a Flux v2 marker in a locked
// document), and its tag filter parses. Borrows from the workload list.
struct AutomatedContainer {
  const manifest::Workload* workload;
  const manifest::Container* container;
  image::TagFilter filter;
};

// Something the plan could not do for one container. `kind` says whether
// the cycle failed (anything but a notice) or only has something to log.
struct PlanProblem {
  std::string workload;
  std::string container;
  ErrorKind kind = ErrorKind::kInvalidInput;
  bool notice = false;  // worth a log line, not a failure
  std::string message;  // names workload, container and what is wrong

  std::string ToString() const;
};

struct PlannedChange {
  std::string workload;
  std::string container;
  std::string file;      // relative to the repository root (a marker's own file)
  image::ImageRef from;  // as written
  image::ImageRef to;    // the written form with the new tag (and digest)

  friend bool operator==(const PlannedChange&, const PlannedChange&) = default;
};

struct Plan {
  std::vector<PlannedChange> changes;
  std::vector<PlanProblem> problems;
};

// The automated containers of `workloads`, in order. An invalid filter is a
// problem naming the workload, container, filter and reason; the container is
// left out and every other container goes on.
std::vector<AutomatedContainer> FindAutomated(const std::vector<manifest::Workload>& workloads,
                                              std::vector<PlanProblem>* problems);

// One scan target per image of `automated` (merged by the scanner), asking
// for the metadata of the current tags so that "never move down" can compare.
std::vector<registry::ScanTarget> ScanTargets(const std::vector<AutomatedContainer>& automated);

// Looks up the digest of `tag` in the image's repository, for references
// written as tag@digest.
using DigestLookup =
    std::function<Result<std::string>(const image::ImageRef& image, const std::string& tag)>;

// Containers held after a rollback (daemon/rollback.h): (workload id,
// container name) -> the tag rolled back from. A held container is offered
// only tags newer than that one.
using Holds = std::map<std::pair<std::string, std::string>, std::string>;

// Decides the changes: for each automated container, the newest tag its
// filter allows, if it is newer than the current tag under the filter's
// ordering (or the current tag is unknown or not allowed and older). Never
// moves a container to a tag older than its current one. Registry failures
// and unknown creation times become problems of the containers concerned.
// A container in `holds` (optional) whose best tag is not newer than its
// held tag is left alone, with a notice.
Plan MakePlan(const std::vector<AutomatedContainer>& automated,
              const std::map<std::string, registry::RepositoryScan>& scans,
              const DigestLookup& digest_of, const Holds* holds = nullptr);

// Flux v1's commit message: "Auto-release <ref>\n" for one image, else
// "Auto-release multiple (N) images\n\n" and " - <ref>\n" lines, each
// distinct new reference once, sorted; with `ci_skip`, a blank line and
// `ci_skip_message`.
std::string CommitMessage(const std::vector<PlannedChange>& changes, bool ci_skip,
                          const std::string& ci_skip_message);

}  // namespace tagflow::daemon
