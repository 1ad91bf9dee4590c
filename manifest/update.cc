#include "manifest/update.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

#include "manifest/flux_v2.h"

namespace tagflow::manifest {
namespace {

using Status = WorkloadResult::Status;

// The workloads `ids` in `scan`, duplicates removed; kNotFound naming every
// unknown id.
Result<std::vector<const Workload*>> Lookup(const ScanResult& scan,
                                            std::span<const std::string> ids) {
  std::vector<const Workload*> found;
  std::vector<std::string> unknown;
  for (const std::string& id : ids) {
    const Workload* w = scan.Find(id);
    if (w == nullptr) {
      unknown.push_back(id);
    } else if (std::find(found.begin(), found.end(), w) == found.end()) {
      found.push_back(w);
    }
  }
  if (!unknown.empty()) {
    return Fail(
        ErrorKind::kNotFound,
        fmt::format("no workload {} in the repository (see list-workloads); nothing changed",
                    fmt::join(unknown, ", ")));
  }
  if (found.empty()) return Fail(ErrorKind::kInvalidInput, "no workload named; nothing changed");
  return found;
}

// Refuses paths that leave the root or pass through a symlink.
Result<std::string> PathInside(const Filesystem& fs, const std::string& root,
                               const std::string& rel) {
  Result<std::string> clean = CleanRelativePath(rel);
  if (!clean) return Fail(clean.error());
  if (clean->empty() || *clean != rel)
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("refusing to write {}: not a clean relative path", rel));
  std::string prefix;
  for (std::size_t slash = 0; (slash = clean->find('/', slash + 1)) != std::string::npos;) {
    Result<FileInfo> info = fs.Stat(JoinPath(root, clean->substr(0, slash)));
    if (!info) return Fail(info.error());
    if (info->type != FileType::kDirectory) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("refusing to write {}: {} is not a directory (a symlink?)", rel,
                              clean->substr(0, slash)));
    }
  }
  return JoinPath(root, *clean);
}

bool WouldChange(const Workload& w, const std::string& policy,
                 const std::optional<std::string>& value) {
  std::vector<std::string> keys = PolicyAnnotationKeys(policy);
  bool present = false;
  for (const auto& [key, current] : w.annotations) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) continue;
    if (!value || current != *value) return true;
    present = true;
  }
  return value && !present;
}

enum class Event { kAutomate, kDeautomate, kLock, kUnlock, kUpdatePolicy };

constexpr std::array<std::string_view, 5> kEventNames = {"Automated", "Deautomated", "Locked",
                                                         "Unlocked", "Updated policies"};

std::optional<Event> EventOf(const PolicyUpdate& update, const std::string& policy,
                             const std::optional<std::string>& value) {
  bool is_true = value && *value == "true";
  if (policy == kAutomated) return is_true ? Event::kAutomate : Event::kDeautomate;
  if (policy == kLocked) return is_true ? Event::kLock : Event::kUnlock;
  bool with_lock = std::any_of(update.set.begin(), update.set.end(),
                               [](const auto& c) { return c.first == kLocked; });
  if ((policy == kLockedMsg || policy == kLockedUser) && with_lock) return std::nullopt;
  return Event::kUpdatePolicy;
}

std::string PolicyCommitMessage(const std::map<Event, std::vector<std::string>>& events,
                                const Cause& cause) {
  std::vector<std::string> lines;
  for (const auto& [event, ids] : events) {
    lines.push_back(
        fmt::format("{}: {}", kEventNames[static_cast<std::size_t>(event)], fmt::join(ids, ", ")));
  }
  if (lines.empty()) return "";
  if (cause.message.empty() && lines.size() == 1) return lines.front();
  std::string head = cause.message.empty() ? "Updated workload policies" : cause.message;
  return fmt::format("{}\n\n- {}", head, fmt::join(lines, "\n- "));
}

std::string WithCause(const Cause& cause, std::string message) {
  return cause.message.empty() ? message : fmt::format("{}\n\n{}", cause.message, message);
}

// Applies the edits `indices` of one file to `text` together (one rewrite,
// verified once) and returns the new text; an edit refused on its own is
// added to `refused`, the others to `done`. When the batch as a whole fails
// verification (a bug), it is split in halves applied one after the other,
// down to the edit at fault: a few more rewrites, never one per edit.
std::string RewriteBestEffort(const std::string& file, std::string text,
                              std::span<const FileEdit> edits, std::span<const size_t> indices,
                              std::vector<size_t>& done, std::vector<Refusal>& refused) {
  std::vector<Edit> batch;
  batch.reserve(indices.size());
  for (size_t i : indices) batch.push_back(edits[i].edit);
  Result<RewriteOutcome> outcome = RewriteEachEdit(file, text, batch);
  if (outcome) {
    for (size_t k = 0; k < indices.size(); ++k) {
      if (outcome->refused[k]) {
        refused.push_back({indices[k], std::move(*outcome->refused[k]), false});
      } else {
        done.push_back(indices[k]);
      }
    }
    return std::move(outcome->text);
  }
  // A file that does not parse refuses every edit alike.
  if (indices.size() == 1 || outcome.error().kind != ErrorKind::kInternal) {
    for (size_t i : indices) refused.push_back({i, outcome.error(), false});
    return text;
  }
  size_t half = indices.size() / 2;
  text = RewriteBestEffort(file, std::move(text), edits, indices.first(half), done, refused);
  return RewriteBestEffort(file, std::move(text), edits, indices.subspan(half), done, refused);
}

}  // namespace

std::string_view StatusName(WorkloadResult::Status status) {
  switch (status) {
    case Status::kSuccess:
      return "success";
    case Status::kUnchanged:
      return "unchanged";
    case Status::kSkipped:
      return "skipped";
  }
  return "unchanged";
}

Result<ApplyOutcome> ApplyFileEdits(Filesystem& fs, const std::string& root,
                                    std::span<const FileEdit> edits, ApplyMode mode, bool dry_run) {
  const bool best_effort = mode == ApplyMode::kBestEffort;
  std::map<std::string, std::vector<size_t>> by_file;  // sorted by path
  for (size_t i = 0; i < edits.size(); ++i) by_file[edits[i].file].push_back(i);

  ApplyOutcome out;
  std::vector<std::pair<std::string, std::string>> changed;  // path, new contents
  std::vector<std::vector<size_t>> changed_edits;            // the edits in each
  auto refuse_file = [&](const std::vector<size_t>& indices, const Error& error) {
    for (size_t i : indices) out.refused.push_back({i, error, true});
  };
  for (const auto& [file, indices] : by_file) {
    Result<std::string> path = PathInside(fs, root, file);
    if (!path) {
      if (!best_effort) return Fail(path.error());
      refuse_file(indices, path.error());
      continue;
    }
    Result<std::string> content = fs.ReadFile(*path);
    if (!content) {
      if (!best_effort) return Fail(content.error());
      refuse_file(indices, content.error());
      continue;
    }
    std::string text = *content;
    std::vector<size_t> done;
    if (best_effort) {
      text = RewriteBestEffort(file, std::move(text), edits, indices, done, out.refused);
      std::sort(done.begin(), done.end());
    } else {
      std::vector<Edit> file_edits;
      for (size_t i : indices) file_edits.push_back(edits[i].edit);
      Result<std::string> rewritten = RewriteManifest(file, text, file_edits);
      if (!rewritten) return Fail(rewritten.error());
      text = std::move(*rewritten);
      done = indices;
    }
    if (done.empty() || text == *content) continue;
    changed.emplace_back(std::move(*path), std::move(text));
    changed_edits.push_back(std::move(done));
    out.files.push_back(file);
  }
  if (dry_run) {
    for (const auto& done : changed_edits)
      out.applied.insert(out.applied.end(), done.begin(), done.end());
    return out;
  }
  std::vector<std::string> written_files;
  for (size_t k = 0; k < changed.size(); ++k) {
    Result<void> written = fs.ReplaceFile(changed[k].first, changed[k].second);
    if (!written) {
      if (!best_effort) return Fail(written.error());
      refuse_file(changed_edits[k], written.error());
      continue;
    }
    written_files.push_back(out.files[k]);
    out.applied.insert(out.applied.end(), changed_edits[k].begin(), changed_edits[k].end());
  }
  out.files = std::move(written_files);
  std::sort(out.applied.begin(), out.applied.end());
  return out;
}

Result<std::vector<std::string>> ApplyEdits(Filesystem& fs, const std::string& root,
                                            const ScanResult& scan, std::span<const Edit> edits,
                                            bool dry_run) {
  std::vector<FileEdit> file_edits;
  for (const Edit& edit : edits) {
    const std::string& id =
        std::visit([](const auto& e) -> const std::string& { return e.workload; }, edit);
    const Workload* w = scan.Find(id);
    if (w == nullptr)
      return Fail(ErrorKind::kNotFound, fmt::format("no workload {} in the repository", id));
    if (const auto* image = std::get_if<ImageEdit>(&edit)) {
      // A Flux v2 marker lives in its own file (flux_v2.h).
      const Container* c = w->FindContainer(image->container);
      file_edits.push_back({c != nullptr && !c->file.empty() ? c->file : w->file, edit});
      continue;
    }
    if (w->kind == kImagePolicyKind) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("{} is a Flux v2 ImagePolicy: its policy is the ImagePolicy "
                              "document, and a marked document is locked with "
                              "tagflow.io/locked; nothing changed",
                              id));
    }
    file_edits.push_back({w->file, edit});
  }
  Result<ApplyOutcome> applied =
      ApplyFileEdits(fs, root, file_edits, ApplyMode::kAllOrNothing, dry_run);
  if (!applied) return Fail(applied.error());
  return std::move(applied->files);
}

Result<ChangeSet> UpdatePolicies(Filesystem& fs, const std::string& root, const ScanResult& scan,
                                 std::span<const std::string> ids, const PolicyUpdate& update,
                                 const Cause& cause, bool dry_run) {
  Result<std::vector<const Workload*>> workloads = Lookup(scan, ids);
  if (!workloads) return Fail(workloads.error());
  ChangeSet out;
  std::vector<Edit> edits;
  std::map<Event, std::vector<std::string>> events;
  for (const Workload* w : *workloads) {
    auto changes = update.set;
    for (const auto& [policy, value] : changes) {
      if (policy.starts_with(kTagPrefix) &&
          w->FindContainer(policy.substr(kTagPrefix.size())) == nullptr) {
        return Fail(ErrorKind::kNotFound,
                    fmt::format("workload {} has no container {}; nothing changed", w->id,
                                policy.substr(kTagPrefix.size())));
      }
    }
    if (update.tag_all) {
      for (const Container& c : w->containers) {
        changes.emplace_back(TagPolicy(c.name), update.tag_all->empty()
                                                    ? std::nullopt
                                                    : std::optional(*update.tag_all));
      }
    }
    WorkloadResult result{w->id, Status::kUnchanged, {}};
    for (const auto& [policy, value] : changes) {
      if (!WouldChange(*w, policy, value)) continue;
      result.status = Status::kSuccess;
      result.details.push_back(value ? fmt::format("{}={}", policy, *value)
                                     : fmt::format("-{}", policy));
      if (std::optional<Event> e = EventOf(update, policy, value)) {
        auto& listed = events[*e];
        if (std::find(listed.begin(), listed.end(), w->id) == listed.end()) listed.push_back(w->id);
      }
    }
    for (const auto& [policy, value] : changes) edits.push_back(PolicyEdit{w->id, policy, value});
    out.results.push_back(std::move(result));
  }
  Result<std::vector<std::string>> files = ApplyEdits(fs, root, scan, edits, dry_run);
  if (!files) return Fail(files.error());
  out.files = std::move(*files);
  if (!out.files.empty()) out.commit_message = PolicyCommitMessage(events, cause);
  return out;
}

Result<ChangeSet> ReleaseImages(Filesystem& fs, const std::string& root, const ScanResult& scan,
                                std::span<const std::string> ids, const ReleaseSpec& spec,
                                const Cause& cause, bool dry_run) {
  if (!spec.image && !spec.latest) {
    return Fail(ErrorKind::kInvalidInput,
                "releasing all images needs the registry, which is not available here");
  }
  Result<std::vector<const Workload*>> workloads = Lookup(scan, ids);
  if (!workloads) return Fail(workloads.error());
  ChangeSet out;
  std::vector<Edit> edits;
  std::vector<std::string> released;
  for (const Workload* w : *workloads) {
    WorkloadResult result{w->id, Status::kUnchanged, {}};
    if (w->policies.ignored() || (w->policies.locked() && !spec.force)) {
      result.status = Status::kSkipped;
      result.details.push_back(w->policies.ignored() ? "ignored" : "locked");
      out.results.push_back(std::move(result));
      continue;
    }
    bool used = false;
    for (const Container& c : w->containers) {
      if (c.locked && !spec.force) continue;  // a marker in a locked document
      std::optional<image::ImageRef> target = spec.image;
      if (target && target->CanonicalName() != c.image.CanonicalName()) continue;
      if (!target) {
        Result<std::optional<image::ImageRef>> latest = spec.latest(*w, c);
        if (!latest)
          return Fail(latest.error().Wrap(fmt::format("{} container {}", w->id, c.name)));
        if (!*latest) continue;
        target = std::move(*latest);
      }
      used = true;
      if (target->tag() == c.image.tag() && target->digest() == c.image.digest()) continue;
      edits.push_back(ImageEdit{w->id, c.name, *target});
      result.status = Status::kSuccess;
      // As fluxctl: the current reference as written, then the new tag.
      result.details.push_back(
          fmt::format("{}: {} -> {}", c.name, c.image_text,
                      target->tag().empty() ? target->digest() : target->tag()));
    }
    if (!used && spec.image) {
      result.status = Status::kSkipped;
      result.details.push_back(fmt::format("no container uses {}", spec.image->Name()));
    }
    if (result.status == Status::kSuccess) released.push_back(w->id);
    out.results.push_back(std::move(result));
  }
  Result<std::vector<std::string>> files = ApplyEdits(fs, root, scan, edits, dry_run);
  if (!files) return Fail(files.error());
  out.files = std::move(*files);
  // fluxctl lists the release's workloads sorted by id.
  std::stable_sort(
      out.results.begin(), out.results.end(),
      [](const WorkloadResult& a, const WorkloadResult& b) { return a.workload < b.workload; });
  if (!out.files.empty()) {
    std::string what = spec.image ? spec.image->String() : "latest images";
    out.commit_message =
        WithCause(cause, fmt::format("Release {} to {}", what, fmt::join(released, ", ")));
  }
  return out;
}

}  // namespace tagflow::manifest
