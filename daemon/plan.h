// Planning (DESIGN.md §1 steps 3-4): which containers are automated, which
// image repositories to scan for them, and which image references to change.
// Pure: works on scanned workloads and registry results, tested from values.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/time.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "manifest/workload.h"
#include "registry/scanner.h"

namespace tagflow::daemon {

// A container tagflow may update: its workload is automated, not locked and
// not ignored, the container is not locked (a Flux v2 marker in a locked
// document), and its tag filter parses. Borrows from the workload list.
// One container to automate, with what planning and the rollback check read
// of it: its own copy, so that the scan can be dropped before the registry
// scan, the history walk and the plan (memory, issue 14).
struct AutomatedContainer {
  std::string workload;   // the workload's id
  std::string container;  // the container's name
  std::string file;       // the file holding its image (a Flux marker's own file)
  image::ImageRef image;  // as written
  image::TagFilter filter;
  manifest::ReleasePolicy release = {};  // tagflow.io/digest, min-age, verify
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

// A tag newer than the current one that a release gate held back for a
// reason worth telling people (tagflow.io/verify: unsigned, badly signed).
struct GateSkip {
  std::string workload;
  std::string container;
  std::string image;  // repository as written, no tag
  std::string tag;
  std::string digest;  // the tag's digest, "" when unknown
  std::string reason;
  std::string message;  // names workload, container, image:tag and the reason

  friend bool operator==(const GateSkip&, const GateSkip&) = default;
};

struct Plan {
  std::vector<PlannedChange> changes;
  std::vector<PlanProblem> problems;
  std::vector<GateSkip> skips;
};

// What the plan needs beyond the scans.
struct PlanContext {
  TimePoint now = {};        // for tagflow.io/min-age
  bool cosign_keys = false;  // --cosign-key is set (tagflow.io/verify needs it)
};

// The automated containers of `workloads`, in order. An invalid filter or
// tagflow.io/ release annotation is a problem naming the workload, container,
// annotation and reason; the container is left out and every other container
// goes on.
// Annotation naming the Slack channel of a workload's messages (DESIGN.md §2).
inline constexpr std::string_view kNotifyChannel = "tagflow.io/notify-channel";

// Drops from a scanned workload what FindAutomated, MakePlan and the
// rollback check do not read (manifest::ScanOptions::trim in a cycle): the
// annotations but tagflow.io/notify-channel, each container's source
// locations, and the containers and policies of a workload that is not
// automated (or locked, or ignored). Its id, kind, file and line stay.
void TrimForPlanning(manifest::Workload& w);

std::vector<AutomatedContainer> FindAutomated(const std::vector<manifest::Workload>& workloads,
                                              std::vector<PlanProblem>* problems);

// One scan target per image of `automated` (merged by the scanner), asking
// for the metadata of the current tags so that "never move down" can compare,
// and for the release-gate walk of containers with min-age or verify.
std::vector<registry::ScanTarget> ScanTargets(const std::vector<AutomatedContainer>& automated);

// Looks up the digest `tag` of the image's repository points at now (a HEAD),
// for references written as tag@digest and containers tracked by digest.
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
//
// Release gates: with tagflow.io/min-age a tag younger than that at
// `context.now` (or of unknown age) is no candidate (a notice); with
// tagflow.io/verify a tag whose signature the scan found missing or bad is
// no candidate (a GateSkip); the next older candidate may be picked, never
// one older than the current tag. With tagflow.io/digest the chosen tag (or
// the current one when nothing newer is chosen) is looked up with
// `digest_of` every time, and a digest other than the written one is a
// change (`tag@new-digest`); without it, `digest_of` is asked only for a
// reference written with a digest whose tag changes. A container in `holds`
// (optional) is offered only tags newer than its held tag (a notice else).
Plan MakePlan(const std::vector<AutomatedContainer>& automated,
              const std::map<std::string, registry::RepositoryScan>& scans,
              const DigestLookup& digest_of, const PlanContext& context = {},
              const Holds* holds = nullptr);

// Flux v1's commit message: "Auto-release <ref>\n" for one image, else
// "Auto-release multiple (N) images\n\n" and " - <ref>\n" lines, each
// distinct new reference once, sorted; with `ci_skip`, a blank line and
// `ci_skip_message`.
std::string CommitMessage(const std::vector<PlannedChange>& changes, bool ci_skip,
                          const std::string& ci_skip_message);

}  // namespace tagflow::daemon
