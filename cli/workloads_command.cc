#include "cli/workloads_command.h"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "cli/images_command.h"
#include "cli/options.h"
#include "daemon/api.h"
#include "git/edit.h"
#include "git/libgit2_repo.h"
#include "image/reference.h"
#include "image/tag_filter.h"
#include "manifest/policy.h"
#include "manifest/scan.h"
#include "manifest/update.h"
#include "registry/service.h"

namespace tagflow::cli {
namespace {

using manifest::PolicyUpdate;

struct RepoOptions {
  std::string repo;
  git::GitOptions git;  // --git-url and friends: work on a fresh clone
  std::vector<std::string> git_paths;
  std::string ns = "default";
  std::vector<std::string> workloads;
};

struct ListOptions {
  RepoOptions repo;
  std::string ns_filter;
  bool all_namespaces = false;
  bool no_headers = false;
  std::string output = "tab";
};

struct EditOptions {
  RepoOptions repo;
  std::string message;
  std::string user;
  bool no_commit = false;
};

struct PolicyOptions {
  EditOptions edit;
  std::vector<std::string> tags;
  std::string tag_all;
  bool automate = false, deautomate = false, lock = false, unlock = false;
};

struct ReleaseOptions {
  EditOptions edit;
  std::string update_image;
  bool update_all = false;
  registry::RegistryOptions registry;  // for --update-all-images
  bool dry_run = false;
  bool force = false;
};

void AddRepoFlags(CLI::App& sub, RepoOptions& o) {
  sub.add_option("--repo", o.repo, "work tree of the manifest repository");
  AddGitFlags(sub, o.git);
  sub.add_option("--git-path", o.git_paths,
                 "path inside the repository to scan (repeatable; default: all)");
}

void AddEditFlags(CLI::App& sub, EditOptions& o) {
  AddRepoFlags(sub, o.repo);
  sub.add_option("-n,--namespace", o.repo.ns, "namespace of workload ids given without one")
      ->capture_default_str();
  sub.add_option("-w,--workload", o.repo.workloads,
                 "workload id <namespace>:<kind>/<name> (repeatable, comma-separated)")
      ->required()
      ->delimiter(',');
  sub.add_option("-m,--message", o.message,
                 "why: goes into the commit message (and locked_msg for lock)");
  sub.add_option("--user", o.user, "who: recorded as locked_user by lock");
  sub.add_flag("--no-commit", o.no_commit, "only edit the files of --repo; do not commit or push");
}

// Usage problems are reported on ctx.err; returns false when the command
// must stop with kExitUsage.
bool CheckRepo(CliContext& ctx, const RepoOptions& o) {
  if (o.repo.empty() == o.git.url.empty()) {
    ctx.err
        << "error: give exactly one of --repo DIR (a work tree) or --git-url URL (a fresh clone)\n";
    return false;
  }
  return true;
}

Result<std::vector<std::string>> NormalizeIds(const RepoOptions& o, std::string_view ns) {
  std::vector<std::string> ids;
  for (const std::string& id : o.workloads) {
    Result<std::string> n = manifest::NormalizeWorkloadId(id, ns);
    if (!n) return Fail(n.error());
    ids.push_back(std::move(*n));
  }
  return ids;
}

std::string Root(const RepoOptions& o) {
  std::string root = std::filesystem::path(o.repo).lexically_normal().string();
  if (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

// The workloads named by -w (normalised with `ns`) and the scan of --repo;
// problems of the scan are printed. Errors are usage errors.
struct RepoView {
  std::vector<std::string> ids;
  manifest::ScanResult scan;
  std::string root;
  std::shared_ptr<git::GitRepo> clone;  // with --git-url
};

Result<manifest::ScanResult> ScanRoot(CliContext& ctx, const RepoOptions& o,
                                      const std::string& root) {
  Result<manifest::ScanResult> scan = manifest::Scan(ctx.fs, root, o.git_paths);
  if (scan) PrintProblems(scan->problems, ctx.err);
  return scan;
}

// With --git-url, clones into a temporary directory (removed on exit).
Result<RepoView> OpenRepo(CliContext& ctx, const RepoOptions& o, std::string_view ns) {
  Result<std::vector<std::string>> ids = NormalizeIds(o, ns);
  if (!ids) return Fail(ids.error());
  RepoView view{std::move(*ids), {}, Root(o), nullptr};
  if (!o.git.url.empty()) {
    Result<std::unique_ptr<git::GitRepo>> clone = git::OpenGitRepo(o.git);
    if (!clone) return Fail(clone.error());
    view.clone = std::move(*clone);
    if (Result<std::string> head = view.clone->Sync(); !head) return Fail(head.error());
    view.root = view.clone->WorkTree().string();
  }
  Result<manifest::ScanResult> scan = ScanRoot(ctx, o, view.root);
  if (!scan) return Fail(scan.error());
  view.scan = std::move(*scan);
  return view;
}

int OpenFailed(CliContext& ctx, const Error& error) {
  ctx.err << "error: " << error.message << "\n";
  bool usage = error.kind == ErrorKind::kInvalidInput || error.kind == ErrorKind::kNotFound;
  return usage ? kExitUsage : kExitFailed;
}

int ListWorkloads(CliContext& ctx, const ListOptions& o) {
  if (!CheckRepo(ctx, o.repo)) return kExitUsage;
  Result<RepoView> view = OpenRepo(ctx, o.repo, o.ns_filter.empty() ? "default" : o.ns_filter);
  if (!view) return OpenFailed(ctx, view.error());
  const std::vector<std::string>& ids = view->ids;
  const manifest::ScanResult& scan = view->scan;
  std::vector<manifest::Workload> shown;
  for (const std::string& id : ids) {
    if (scan.Find(id) == nullptr) {
      ctx.err << "error: no workload " << id << " in the repository\n";
      return kExitFailed;
    }
  }
  for (const manifest::Workload& w : scan.workloads) {
    if (!o.all_namespaces && !o.ns_filter.empty() && w.ns != o.ns_filter) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), w.id) == ids.end()) continue;
    shown.push_back(w);
  }
  if (o.output == "json") {
    ctx.out << daemon::WorkloadsJson(shown).dump(2) << "\n";
  } else {
    std::vector<std::vector<std::string>> rows;
    if (!o.no_headers) rows.push_back({"WORKLOAD", "CONTAINER", "IMAGE", "POLICY"});
    for (const manifest::Workload& w : shown) {
      if (w.containers.empty()) rows.push_back({w.id, "", "", PolicySummary(w)});
      for (std::size_t i = 0; i < w.containers.size(); ++i) {
        const manifest::Container& c = w.containers[i];
        rows.push_back({i == 0 ? w.id : "", c.name, c.image_text, i == 0 ? PolicySummary(w) : ""});
      }
    }
    ctx.out << FormatTable(rows);
  }
  return scan.HasErrors() ? kExitFailed : kExitOk;
}

// `pushed`: the commit id when the changes were committed and pushed.
void PrintChanges(CliContext& ctx, const manifest::ChangeSet& changes, bool dry_run,
                  const std::string& pushed = "") {
  std::vector<std::vector<std::string>> rows = {{"WORKLOAD", "STATUS", "UPDATES"}};
  for (const manifest::WorkloadResult& r : changes.results) {
    std::string status(manifest::StatusName(r.status));
    if (dry_run && r.status == manifest::WorkloadResult::Status::kSuccess) status = "would change";
    rows.push_back({r.workload, status, r.details.empty() ? "" : r.details.front()});
    for (std::size_t i = 1; i < r.details.size(); ++i) rows.push_back({"", "", r.details[i]});
  }
  ctx.out << FormatTable(rows);
  if (changes.files.empty()) {
    ctx.out << "No files changed.\n";
  } else if (dry_run) {
    ctx.out << fmt::format("Dry run: would edit {}\n", fmt::join(changes.files, ", "));
  } else if (!pushed.empty()) {
    ctx.out << fmt::format("Committed {} and pushed: {}\n", pushed.substr(0, 12),
                           fmt::join(changes.files, ", "));
  } else {
    ctx.out << fmt::format("Edited {} (not committed: --no-commit)\n",
                           fmt::join(changes.files, ", "));
  }
}

using Operation = std::function<Result<manifest::ChangeSet>(
    const manifest::ScanResult&, const std::string& root, const std::vector<std::string>& ids)>;

// The common run of every editing command.
int RunEdit(CliContext& ctx, const EditOptions& o, bool dry_run, const Operation& op) {
  if (!CheckRepo(ctx, o.repo)) return kExitUsage;
  bool remote = !o.repo.git.url.empty();
  if (!remote && !o.no_commit && !dry_run) {
    ctx.err << "error: with --repo, pass --no-commit (the edit stays in the work tree for you to "
               "commit); with --git-url tagflow clones, commits and pushes\n";
    return kExitUsage;
  }
  if (remote && o.no_commit) {
    ctx.err << "error: --no-commit edits a work tree: use it with --repo, not --git-url\n";
    return kExitUsage;
  }
  Result<RepoView> view = OpenRepo(ctx, o.repo, o.repo.ns);
  if (!view) return OpenFailed(ctx, view.error());
  Result<manifest::ChangeSet> changes;
  std::string pushed;
  if (remote && !dry_run) {
    // Edit, commit, push; on a concurrent push, fetch and edit again. Each
    // attempt scans the tree it edits (the branch may have moved).
    manifest::ChangeSet last;
    git::EditCommitPushOutcome done = git::EditCommitPush(
        *view->clone,
        [&](const std::string& root, const std::string&) -> Result<git::WorkTreeEdit> {
          Result<manifest::ScanResult> scan = manifest::Scan(ctx.fs, root, o.repo.git_paths);
          if (!scan) return Fail(scan.error());
          Result<manifest::ChangeSet> edited = op(*scan, root, view->ids);
          if (!edited) return Fail(edited.error());
          last = std::move(*edited);
          return git::WorkTreeEdit{last.files, last.commit_message};
        },
        {.branch = o.repo.git.branch});
    if (done.ok()) {
      changes = std::move(last);
      pushed = done.commit;
    } else {
      changes = Fail(*done.error);
    }
  } else {
    changes = op(view->scan, view->root, view->ids);
  }
  if (!changes) {
    ctx.err << "error: " << changes.error().message << "\n";
    return kExitFailed;
  }
  PrintChanges(ctx, *changes, dry_run, pushed);
  bool skipped = std::any_of(changes->results.begin(), changes->results.end(), [](const auto& r) {
    return r.status == manifest::WorkloadResult::Status::kSkipped;
  });
  return skipped ? kExitFailed : kExitOk;
}

int RunPolicyUpdate(CliContext& ctx, const EditOptions& o, const PolicyUpdate& update) {
  return RunEdit(ctx, o, false,
                 [&](const manifest::ScanResult& scan, const std::string& root, const auto& ids) {
                   return manifest::UpdatePolicies(ctx.fs, root, scan, ids, update,
                                                   manifest::Cause{o.message, o.user}, false);
                 });
}

// The policy changes of lock/unlock and their flags in `policy`.
void AddLock(PolicyUpdate& u, const EditOptions& o) {
  u.set.emplace_back(manifest::kLocked, "true");
  if (!o.message.empty()) u.set.emplace_back(manifest::kLockedMsg, o.message);
  if (!o.user.empty()) u.set.emplace_back(manifest::kLockedUser, o.user);
}
void AddUnlock(PolicyUpdate& u) {
  for (std::string_view p : {manifest::kLocked, manifest::kLockedMsg, manifest::kLockedUser})
    u.set.emplace_back(p, std::nullopt);
}

void AddSimplePolicyCommand(CLI::App& app, CliContext& ctx, const std::string& name,
                            const std::string& help,
                            std::function<PolicyUpdate(const EditOptions&)> update) {
  auto o = std::make_shared<EditOptions>();
  CLI::App* sub = app.add_subcommand(name, help);
  AddEditFlags(*sub, *o);
  sub->callback([&ctx, o, update] { ctx.exit_code = RunPolicyUpdate(ctx, *o, update(*o)); });
}

int RunPolicy(CliContext& ctx, const PolicyOptions& o) {
  PolicyUpdate update;
  if (o.automate) update.set.emplace_back(manifest::kAutomated, "true");
  if (o.deautomate) update.set.emplace_back(manifest::kAutomated, std::nullopt);
  if (o.lock) AddLock(update, o.edit);
  if (o.unlock) AddUnlock(update);
  for (const std::string& pair : o.tags) {
    std::size_t eq = pair.find('=');
    if (eq == std::string::npos || eq == 0) {
      ctx.err << "error: invalid --tag \"" << pair << "\": expected CONTAINER=FILTER\n";
      return kExitUsage;
    }
    Result<std::optional<std::string>> filter = CanonicalFilter(pair.substr(eq + 1));
    if (!filter) {
      ctx.err << "error: --tag " << pair << ": " << filter.error().message << "\n";
      return kExitUsage;
    }
    update.set.emplace_back(manifest::TagPolicy(pair.substr(0, eq)), *filter);
  }
  if (!o.tag_all.empty()) {
    Result<std::optional<std::string>> filter = CanonicalFilter(o.tag_all);
    if (!filter) {
      ctx.err << "error: --tag-all: " << filter.error().message << "\n";
      return kExitUsage;
    }
    update.tag_all = filter->value_or("");
  }
  if (update.set.empty() && !update.tag_all) {
    ctx.err << "error: nothing to change: give --tag, --tag-all, --automate, --deautomate, --lock "
               "or --unlock\n";
    return kExitUsage;
  }
  return RunPolicyUpdate(ctx, o.edit, update);
}

int RunRelease(CliContext& ctx, const ReleaseOptions& o) {
  manifest::ReleaseSpec spec;
  spec.force = o.force;
  SystemClock clock;
  std::unique_ptr<registry::RegistryService> service;  // outlives spec.latest
  if (o.update_all) {
    spec.latest = ctx.latest_image;
    if (!spec.latest) {
      Result<std::unique_ptr<registry::RegistryService>> created =
          registry::RegistryService::Create(o.registry, clock);
      if (!created) {
        ctx.err << "error: " << created.error().message << "\n";
        return kExitUsage;
      }
      service = std::move(*created);
      spec.latest = [&service](const manifest::Workload& w, const manifest::Container& c) {
        return daemon::LatestAllowedImage(service->scanner(), w, c);
      };
    }
  } else {
    Result<image::ImageRef> ref = image::ImageRef::Parse(o.update_image);
    if (!ref) {
      ctx.err << "error: --update-image: " << ref.error().message << "\n";
      return kExitUsage;
    }
    if (ref->tag().empty() && ref->digest().empty()) {
      ctx.err << "error: --update-image " << o.update_image << " needs a tag or a digest\n";
      return kExitUsage;
    }
    spec.image = std::move(*ref);
  }
  return RunEdit(ctx, o.edit, o.dry_run,
                 [&](const manifest::ScanResult& scan, const std::string& root, const auto& ids) {
                   return manifest::ReleaseImages(ctx.fs, root, scan, ids, spec,
                                                  manifest::Cause{o.edit.message, o.edit.user},
                                                  o.dry_run);
                 });
}

}  // namespace

Result<std::optional<std::string>> CanonicalFilter(std::string_view spec) {
  Result<image::TagFilter> filter = image::TagFilter::Parse(spec);
  if (!filter) return Fail(filter.error());
  std::string canonical =
      spec.find(':') == std::string_view::npos ? fmt::format("glob:{}", spec) : std::string(spec);
  if (canonical == "glob:*" || canonical == "glob:") return std::nullopt;
  return canonical;
}

std::string PolicySummary(const manifest::Workload& w) {
  std::vector<std::string> on;
  if (w.policies.automated()) on.emplace_back(manifest::kAutomated);
  if (w.policies.ignored()) on.emplace_back(manifest::kIgnore);
  if (w.policies.locked()) on.emplace_back(manifest::kLocked);
  return fmt::format("{}", fmt::join(on, ","));
}

void AddWorkloadCommands(CLI::App& app, CliContext& ctx) {
  {
    auto o = std::make_shared<ListOptions>();
    CLI::App* sub = app.add_subcommand(
        "list-workloads", "list the workloads of a repository, their images and policies");
    AddRepoFlags(*sub, o->repo);
    sub->add_option("-n,--namespace", o->ns_filter, "only this namespace (default: all)");
    sub->add_flag("-a,--all-namespaces", o->all_namespaces,
                  "all namespaces (the default; fluxctl compatibility)");
    sub->add_option("-w,--workload", o->repo.workloads,
                    "only these workload ids (repeatable, comma-separated)")
        ->delimiter(',');
    sub->add_flag("--no-headers", o->no_headers, "leave out the header line");
    sub->add_option("-o,--output-format", o->output, "tab or json")
        ->check(CLI::IsMember({"tab", "json"}));
    sub->callback([&ctx, o] { ctx.exit_code = ListWorkloads(ctx, *o); });
  }
  AddSimplePolicyCommand(app, ctx, "automate",
                         "turn on automation for workloads (fluxcd.io/automated)",
                         [](const EditOptions&) {
                           return PolicyUpdate{{{std::string(manifest::kAutomated), "true"}}, {}};
                         });
  AddSimplePolicyCommand(
      app, ctx, "deautomate", "turn off automation for workloads", [](const EditOptions&) {
        return PolicyUpdate{{{std::string(manifest::kAutomated), std::nullopt}}, {}};
      });
  AddSimplePolicyCommand(app, ctx, "lock", "lock workloads against any change (fluxcd.io/locked)",
                         [](const EditOptions& o) {
                           PolicyUpdate u;
                           AddLock(u, o);
                           return u;
                         });
  AddSimplePolicyCommand(app, ctx, "unlock", "unlock workloads", [](const EditOptions&) {
    PolicyUpdate u;
    AddUnlock(u);
    return u;
  });
  {
    auto o = std::make_shared<PolicyOptions>();
    CLI::App* sub = app.add_subcommand("policy", "set the tag filters and flags of workloads");
    AddEditFlags(*sub, o->edit);
    sub->add_option("--tag", o->tags,
                    "CONTAINER=FILTER: the tag filter of one container; FILTER * removes it");
    sub->add_option("--tag-all", o->tag_all,
                    "FILTER for every container of the workload; * removes them");
    auto* automate = sub->add_flag("--automate", o->automate, "turn automation on");
    sub->add_flag("--deautomate", o->deautomate, "turn automation off")->excludes(automate);
    auto* lock = sub->add_flag("--lock", o->lock, "lock the workload");
    sub->add_flag("--unlock", o->unlock, "unlock the workload")->excludes(lock);
    sub->callback([&ctx, o] { ctx.exit_code = RunPolicy(ctx, *o); });
  }
  {
    auto o = std::make_shared<ReleaseOptions>();
    CLI::App* sub = app.add_subcommand("release", "set the image of workloads' containers");
    AddEditFlags(*sub, o->edit);
    auto* image = sub->add_option("--update-image", o->update_image,
                                  "REF: every container whose repository is REF's gets REF's tag");
    auto* all = sub->add_flag("--update-all-images", o->update_all,
                              "every container gets its newest allowed image");
    image->excludes(all);
    all->excludes(image);
    sub->add_flag("--dry-run", o->dry_run, "show what would change; edit nothing");
    sub->add_flag("--force", o->force, "release to locked workloads too");
    AddRegistryFlags(*sub, o->registry);
    sub->callback([&ctx, o] {
      if (o->update_image.empty() && !o->update_all) {
        ctx.err << "error: give --update-image REF or --update-all-images\n";
        ctx.exit_code = kExitUsage;
        return;
      }
      ctx.exit_code = RunRelease(ctx, *o);
    });
  }
}

}  // namespace tagflow::cli
