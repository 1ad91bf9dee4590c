#include "daemon/rollback.h"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <set>

#include "base/strings.h"
#include "manifest/extract.h"

namespace tagflow::daemon {
namespace {

// The containers of one file the walk looks for (indices into the
// automated containers), and what it knows of them.
struct FileWatch {
  std::string path;
  std::vector<ContainerKey> keys;  // one per container of the file, no repeats
  std::vector<bool> found;         // its newest change is known (or it was created)
  size_t open = 0;                 // containers not found yet
  // The version of the file met last (the `before` of the last change seen):
  // per key, its image (nullopt: not there). Walking back, the next change
  // of the file starts from it. One version per file, never one per commit.
  std::string blob;
  std::optional<std::vector<std::optional<std::string>>> images;  // nullopt: did not parse
  bool read = false;
};

// Parses version `blob` of `path` ("" = the file is absent: no containers);
// nullopt when it does not parse. Calls `each(key index, image)` for the
// containers of `keys` it holds.
template <typename Each>
bool ReadVersion(git::History& history, const std::string& path, const std::string& blob,
                 const std::vector<ContainerKey>& keys, Each each) {
  if (blob.empty()) return true;
  Result<std::string> text = history.ReadBlob(blob);
  if (!text) return false;
  manifest::FileScan scan = manifest::ScanText(path, *text);
  bool broken = std::any_of(scan.problems.begin(), scan.problems.end(),
                            [](const auto& p) { return p.severity == manifest::Severity::kError; });
  if (broken && scan.workloads.empty()) return false;
  for (const manifest::Workload& w : scan.workloads) {
    for (const manifest::Container& c : w.containers) {
      auto it = std::lower_bound(keys.begin(), keys.end(), ContainerKey{w.id, c.name});
      if (it != keys.end() && it->first == w.id && it->second == c.name) {
        each(static_cast<size_t>(it - keys.begin()), c.image);
      }
    }
  }
  return true;
}

// The images of `keys` in version `blob` (as written; nullopt: not there);
// nullopt when the version does not parse.
std::optional<std::vector<std::optional<std::string>>> Images(
    git::History& history, const std::string& path, const std::string& blob,
    const std::vector<ContainerKey>& keys) {
  std::vector<std::optional<std::string>> out(keys.size());
  bool ok = ReadVersion(history, path, blob, keys,
                        [&](size_t i, const image::ImageRef& image) { out[i] = image.String(); });
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace

Result<std::map<ContainerKey, ImageChange>> LastImageChanges(
    git::History& history, const std::string& head,
    const std::vector<AutomatedContainer>& automated, size_t window) {
  std::map<ContainerKey, ImageChange> out;
  std::vector<FileWatch> files;  // in path order
  {
    std::map<std::string, std::vector<ContainerKey>> by_file;
    for (const AutomatedContainer& ac : automated) {
      by_file[ac.file].push_back({ac.workload, ac.container});
    }
    for (auto& [path, keys] : by_file) {
      std::sort(keys.begin(), keys.end());
      keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
      FileWatch f{path, std::move(keys), {}, 0, "", std::nullopt, false};
      f.found.assign(f.keys.size(), false);
      f.open = f.keys.size();
      files.push_back(std::move(f));
    }
  }
  if (files.empty()) return out;
  git::LogOptions options;
  options.first_parent = true;
  options.limit = window + 1;  // the oldest one is only the base of the one before
  size_t still_open = 0;
  for (const FileWatch& f : files) {
    options.paths.push_back(f.path);
    still_open += f.open;
  }
  Result<git::LogResult> log = history.Log(head, options);
  if (!log) return Fail(log.error());
  std::vector<std::string>().swap(options.paths);  // each FileWatch has its path

  // Newest first: the first change met of a container is its last one.
  for (const git::LoggedCommit& c : log->commits) {
    if (still_open == 0) break;
    for (const git::PathChange& change : c.changes) {
      FileWatch& f = files[change.path];
      if (f.open == 0) continue;
      auto after = f.read && f.blob == change.after ? std::move(f.images)
                                                    : Images(history, f.path, change.after, f.keys);
      auto before = Images(history, f.path, change.before, f.keys);
      f.blob = change.before;
      f.images = before;
      f.read = true;
      if (!after || !before) continue;  // a version that does not parse
      for (size_t i = 0; i < f.keys.size(); ++i) {
        if (f.found[i] || !(*after)[i]) continue;  // found, or looked for further down
        if ((*before)[i] && *(*before)[i] == *(*after)[i]) continue;  // image unchanged
        f.found[i] = true;
        --f.open;
        --still_open;
        if (!(*before)[i]) continue;  // created here: no earlier change counts
        out[f.keys[i]] =
            ImageChange{c.id,
                        fmt::format("{} <{}>", c.author_name, c.author_email),
                        c.author_email,
                        c.committer_email,
                        image::ImageRef::Parse(*(*before)[i]).value_or(image::ImageRef{}),
                        image::ImageRef::Parse(*(*after)[i]).value_or(image::ImageRef{})};
      }
      if (f.open == 0) f.images.reset();
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
    auto scan = scans.find(ac.image.CanonicalName());
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
    auto found = changes.find({ac.workload, ac.container});
    if (found == changes.end()) continue;
    const ImageChange& change = found->second;
    if (IEquals(change.author_email, tagflow_email) &&
        IEquals(change.committer_email, tagflow_email)) {
      continue;  // tagflow's own release
    }
    const image::ImageRef& current = ac.image;
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
    out.push_back(Rollback{ac.workload, ac.container, from, to, change.commit, change.author});
  }
  return out;
}

Holds HoldsOf(const std::vector<Rollback>& rollbacks) {
  Holds holds;
  for (const Rollback& r : rollbacks) holds[{r.workload, r.container}] = r.from_tag;
  return holds;
}

}  // namespace tagflow::daemon
