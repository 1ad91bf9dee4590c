// Rollbacks respected (--respect-rollbacks, on by default): when a person
// moved a container back to an older tag, tagflow must not re-apply the tag
// they rolled back from at the next cycle.
//
// Derived from git each cycle, with no state of its own (restarts and
// replicas agree): the newest commit among the last kRollbackWindow
// first-parent commits of the branch that changed a container's image is a
// rollback when
//   - it was not made by tagflow: its author or committer email differs
//     from --git-email (case-insensitive);
//   - it changed the tag only (same image repository), from a tag that
//     passes the container's filter to one that is older under the filter's
//     ordering (creation times from the registry scan for time-ordered
//     filters: a tag whose time is unknown is never judged older);
//   - the container still runs the tag it rolled back to.
// Then the container is held: no tag up to and including the one rolled
// back from is proposed; the first tag newer than that ends the hold (it is
// proposed as usual, and tagflow's commit becomes the newest change).
//
// Cost: one first-parent walk that reports, commit by commit, only which of
// the files holding automated containers changed (git::PathChange; libgit2
// tree lookups, unchanged directories skipped), and a YAML parse of a
// file's two versions only at the commits that changed that file, each
// version parsed once; a file is dropped from the walk as soon as all its
// containers have their newest change. Memory: per file one version's image
// images (not per commit), so 5,000 files and 500 commits stay a few MiB
// (issue 14). test/bench/rollback_bench.cc, test/bench/scale_bench.cc.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/error.h"
#include "daemon/plan.h"
#include "git/history.h"
#include "image/reference.h"

namespace tagflow::daemon {

inline constexpr size_t kRollbackWindow = 500;

using ContainerKey = std::pair<std::string, std::string>;  // workload id, container name

// The newest change of one container's image within the window.
struct ImageChange {
  std::string commit;
  std::string author;  // "Name <email>"
  std::string author_email;
  std::string committer_email;
  image::ImageRef from;
  image::ImageRef to;
};

// For each automated container (by workload id and container name) whose
// image value changed within the last `window` first-parent commits from
// `head`, the newest such change. A container created or renamed within the
// window has no entry before its creation; a file that does not parse at
// some commit is skipped for that commit. History errors pass through.
[[nodiscard]] Result<std::map<ContainerKey, ImageChange>> LastImageChanges(
    git::History& history, const std::string& head,
    const std::vector<AutomatedContainer>& automated, size_t window = kRollbackWindow);

struct Rollback {
  std::string workload;
  std::string container;
  std::string from_tag;  // rolled back from: held up to and including it
  std::string to_tag;    // rolled back to (the current tag)
  std::string commit;
  std::string author;

  // "rollback of ns:deployment/web from v1.3.0 to v1.2.0 detected; holding
  // until a tag newer than v1.3.0"
  std::string Message() const;
  friend bool operator==(const Rollback&, const Rollback&) = default;
};

// What a container's tag is known as, for ordering: creation time from the
// registry scan (nullopt when the scan does not know the tag).
using TagLookup = std::function<std::optional<image::TagInfo>(const AutomatedContainer& ac,
                                                              const std::string& tag)>;

// A TagLookup over the cycle's registry scans.
TagLookup TagsFromScans(const std::map<std::string, registry::RepositoryScan>& scans);

// The rollbacks among `changes` by the rules above. Pure.
std::vector<Rollback> FindRollbacks(const std::vector<AutomatedContainer>& automated,
                                    const std::map<ContainerKey, ImageChange>& changes,
                                    const TagLookup& tags, const std::string& tagflow_email);

// The holds MakePlan applies: container -> the tag rolled back from.
Holds HoldsOf(const std::vector<Rollback>& rollbacks);

}  // namespace tagflow::daemon
