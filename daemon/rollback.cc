#include "daemon/rollback.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "base/strings.h"
#include "manifest/extract.h"

namespace tagflow::daemon {
namespace {

// Container -> image of one version of a file.
using Images = std::map<ContainerKey, image::ImageRef>;

// Parses each blob once; "" (the file is absent) is empty.
class VersionCache {
 public:
  VersionCache(git::History& history, std::string path)
      : history_(history), path_(std::move(path)) {}

  const Images* Get(const std::string& blob) {
    auto it = parsed_.find(blob);
    if (it != parsed_.end()) return it->second ? &*it->second : nullptr;
    std::optional<Images> images;
    if (blob.empty()) {
      images.emplace();
    } else if (Result<std::string> text = history_.ReadBlob(blob); text) {
      manifest::FileScan scan = manifest::ScanText(path_, *text);
      bool broken = std::any_of(
          scan.problems.begin(), scan.problems.end(),
          [](const manifest::Problem& p) { return p.severity == manifest::Severity::kError; });
      if (!broken || !scan.workloads.empty()) {
        images.emplace();
        for (const manifest::Workload& w : scan.workloads) {
          for (const manifest::Container& c : w.containers) (*images)[{w.id, c.name}] = c.image;
        }
      }
    }
    auto [inserted, ok] = parsed_.emplace(blob, std::move(images));
    return inserted->second ? &*inserted->second : nullptr;
  }

 private:
  git::History& history_;
  std::string path_;
  std::map<std::string, std::optional<Images>> parsed_;  // nullopt: did not parse
};

std::string FileOf(const AutomatedContainer& ac) {
  return ac.container->file.empty() ? ac.workload->file : ac.container->file;
}

}  // namespace

Result<std::map<ContainerKey, ImageChange>> LastImageChanges(
    git::History& history, const std::string& head,
    const std::vector<AutomatedContainer>& automated, size_t window) {
  std::map<ContainerKey, ImageChange> out;
  // File -> the containers it holds.
  std::map<std::string, std::set<ContainerKey>> wanted;
  for (const AutomatedContainer& ac : automated) {
    wanted[FileOf(ac)].insert({ac.workload->id, ac.container->name});
  }
  if (wanted.empty()) return out;
  git::LogOptions options;
  options.first_parent = true;
  options.limit = window + 1;                // the oldest one is only the base of the one before
  std::vector<std::set<ContainerKey>> open;  // per path: containers with no change found yet
  size_t still_open = 0;
  for (auto& [path, keys] : wanted) {
    options.paths.push_back(path);
    still_open += keys.size();
    open.push_back(std::move(keys));
  }
  wanted.clear();
  Result<git::LogResult> log = history.Log(head, options);
  if (!log) return Fail(log.error());

  // Newest first: the first change met of a container is its last one.
  std::map<size_t, VersionCache> versions;  // per path with changes, while it has open containers
  for (const git::LoggedCommit& c : log->commits) {
    if (still_open == 0) break;
    for (const git::PathChange& change : c.changes) {
      std::set<ContainerKey>& keys = open[change.path];
      if (keys.empty()) continue;
      VersionCache& cache =
          versions.try_emplace(change.path, history, options.paths[change.path]).first->second;
      const Images* after = cache.Get(change.after);
      const Images* before = cache.Get(change.before);
      if (after == nullptr || before == nullptr) continue;  // a version that does not parse
      for (auto key = keys.begin(); key != keys.end();) {
        auto now = after->find(*key);
        auto was = before->find(*key);
        if (now == after->end()) {  // not there after this commit: looked for further down
          ++key;
          continue;
        }
        if (was == before->end()) {  // created here: no earlier change counts
          key = keys.erase(key);
          --still_open;
          continue;
        }
        if (now->second.String() == was->second.String()) {
          ++key;
          continue;
        }
        out[*key] =
            ImageChange{c.id,           fmt::format("{} <{}>", c.author_name, c.author_email),
                        c.author_email, c.committer_email,
                        was->second,    now->second};
        key = keys.erase(key);
        --still_open;
      }
      if (keys.empty()) versions.erase(change.path);
    }
  }
  return out;
}

std::string Rollback::Message() const {
  return fmt::format("rollback of {} from {} to {} detected; holding until a tag newer than {}",
                     workload, from_tag, to_tag, from_tag);
}

TagLookup TagsFromScans(const std::map<std::string, registry::RepositoryScan>& scans) {
  return [&scans](const AutomatedContainer& ac,
                  const std::string& tag) -> std::optional<image::TagInfo> {
    auto scan = scans.find(ac.container->image.CanonicalName());
    if (scan == scans.end() || !scan->second.tags) return std::nullopt;
    for (const registry::TagMetadata& t : *scan->second.tags) {
      if (t.tag == tag) return t.Info();
    }
    return std::nullopt;
  };
}

std::vector<Rollback> FindRollbacks(const std::vector<AutomatedContainer>& automated,
                                    const std::map<ContainerKey, ImageChange>& changes,
                                    const TagLookup& tags, const std::string& tagflow_email) {
  std::vector<Rollback> out;
  for (const AutomatedContainer& ac : automated) {
    auto found = changes.find({ac.workload->id, ac.container->name});
    if (found == changes.end()) continue;
    const ImageChange& change = found->second;
    if (IEquals(change.author_email, tagflow_email) &&
        IEquals(change.committer_email, tagflow_email)) {
      continue;  // tagflow's own release
    }
    const image::ImageRef& current = ac.container->image;
    if (change.to.String() != current.String())
      continue;  // moved again since (outside the window?)
    if (change.from.Name() != change.to.Name()) continue;  // another image, not an older tag
    const std::string& from = change.from.tag();
    const std::string& to = change.to.tag();
    if (from.empty() || to.empty() || from == to || !ac.filter.Matches(from)) continue;
    std::optional<image::TagInfo> from_info = tags(ac, from);
    std::optional<image::TagInfo> to_info = tags(ac, to);
    if (!from_info) from_info = image::TagInfo{from, std::nullopt};
    if (!to_info) to_info = image::TagInfo{to, std::nullopt};
    if (ac.filter.NeedsCreationTime() && (!from_info->created || !to_info->created)) continue;
    if (!ac.filter.Newer(*from_info, *to_info)) continue;  // moved up or sideways: no rollback
    out.push_back(
        Rollback{ac.workload->id, ac.container->name, from, to, change.commit, change.author});
  }
  return out;
}

Holds HoldsOf(const std::vector<Rollback>& rollbacks) {
  Holds holds;
  for (const Rollback& r : rollbacks) holds[{r.workload, r.container}] = r.from_tag;
  return holds;
}

}  // namespace tagflow::daemon
