#include "cli/images_command.h"

#include <fmt/format.h>
#include <httplib.h>

#include <ctime>
#include <memory>

#include "base/json.h"
#include "base/logging.h"
#include "base/time.h"
#include "cli/options.h"
#include "cli/workloads_command.h"
#include "daemon/api.h"
#include "daemon/plan.h"
#include "daemon/rollback.h"
#include "git/libgit2_history.h"
#include "git/libgit2_repo.h"
#include "manifest/scan.h"
#include "registry/service.h"

namespace tagflow::cli {
namespace {

const nlohmann::json kEmptyArray = nlohmann::json::array();

// "02 Jan 06 15:04 UTC", Go's time.RFC822 as fluxctl printed it.
std::string Rfc822(const std::string& rfc3339) {
  std::optional<TimePoint> t = ParseTimestamp(rfc3339);
  if (!t) return "";
  std::time_t secs = std::chrono::system_clock::to_time_t(*t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%d %b %y %H:%M UTC", &tm);
  return buf;
}

// "repo:tag" -> "tag" (the part after the last ':' that follows the last '/').
std::string TagOf(const std::string& ref) {
  std::string name = ref.substr(0, ref.find('@'));
  size_t colon = name.rfind(':');
  size_t slash = name.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "";
  return name.substr(colon + 1);
}

}  // namespace

std::string ImagesTable(const nlohmann::json& images, int limit, bool headers) {
  std::vector<std::vector<std::string>> rows;
  if (headers) rows.push_back({"WORKLOAD", "CONTAINER", "IMAGE", "CREATED"});
  for (const auto& w : images) {
    std::string id = JsonString(w, "ID");
    const nlohmann::json& listed = JsonMember(w, "Containers");
    const nlohmann::json& containers = listed.is_array() ? listed : kEmptyArray;
    if (containers.empty()) rows.push_back({id, "", "", ""});
    for (const auto& c : containers) {
      std::string current_ref = JsonString(JsonMember(c, "Current"), "ID");
      std::string current_tag = TagOf(current_ref);
      std::string name = current_ref.substr(0, current_ref.find('@'));
      if (!current_tag.empty()) name = name.substr(0, name.size() - current_tag.size() - 1);
      std::string picked = TagOf(JsonString(JsonMember(c, "LatestFiltered"), "ID"));
      const nlohmann::json& tags = JsonMember(c, "Available");
      const nlohmann::json& available = tags.is_array() ? tags : kEmptyArray;
      std::string error = JsonString(c, "AvailableError");
      rows.push_back({id, JsonString(c, "Name"), name,
                      available.empty() && error.empty() ? "image data not available" : error});
      id.clear();

      int current_index = -1;
      for (size_t i = 0; i < available.size(); ++i) {
        if (TagOf(JsonString(available[i], "ID")) == current_tag)
          current_index = static_cast<int>(i);
      }
      int shown = limit <= 0 ? static_cast<int>(available.size()) : limit;
      int omitted = 0;
      auto flush_omitted = [&] {
        if (omitted > 0)
          rows.push_back({"", "", fmt::format(":   ({} image(s) omitted)", omitted), ""});
        omitted = 0;
      };
      for (size_t i = 0; i < available.size(); ++i) {
        int index = static_cast<int>(i);
        if (index >= shown && index != current_index) {
          ++omitted;
          continue;
        }
        flush_omitted();
        std::string tag = TagOf(JsonString(available[i], "ID"));
        std::string marker = current_index < 0 || index < current_index ? "|  "
                             : index == current_index                   ? "'->"
                                                                        : "   ";
        const nlohmann::json& held = JsonMember(available[i], "Held");
        std::string label = marker + " " + tag +
                            (tag == picked && index != current_index ? " *" : "") +
                            (held.is_boolean() && held.get<bool>() ? " (held: rolled back)" : "");
        rows.push_back({"", "", label, Rfc822(JsonString(available[i], "CreatedAt"))});
      }
      flush_omitted();
      if (current_index < 0 && error.empty()) {
        rows.push_back({"", "",
                        "'-> " + (current_tag.empty() ? std::string("(untagged)") : current_tag),
                        "?"});
      }
    }
  }
  return FormatTable(rows);
}

namespace {

struct ListImagesFlags {
  std::string repo;
  git::GitOptions git;
  std::string url;
  std::vector<std::string> paths;
  std::string ns;
  std::vector<std::string> workloads;
  int limit = 10;
  bool no_headers = false;
  std::string output = "tab";
  registry::RegistryOptions registry;
  LogFlags log;
};

bool Selected(const std::string& id, const ListImagesFlags& f,
              const std::vector<std::string>& wanted) {
  if (!f.ns.empty() && id.rfind(f.ns + ":", 0) != 0) return false;
  if (wanted.empty()) return true;
  return std::find(wanted.begin(), wanted.end(), id) != wanted.end();
}

// Fetches /api/v1/images from a running daemon.
Result<nlohmann::json> FetchFromDaemon(const std::string& url) {
  httplib::Client client(url);
  client.set_connection_timeout(10);
  client.set_read_timeout(120);
  auto res = client.Get("/api/v1/images");
  if (!res)
    return Fail(ErrorKind::kTransient,
                fmt::format("--url {}: {}", RedactSecrets(url), httplib::to_string(res.error())));
  if (res->status != 200)
    return Fail(ErrorKind::kTransient,
                fmt::format("--url {}: HTTP {}: {}", RedactSecrets(url), res->status, res->body));
  std::optional<nlohmann::json> doc = ParseJson(res->body);
  if (!doc || !doc->is_array()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--url {}: /api/v1/images is not a JSON array", RedactSecrets(url)));
  }
  return std::move(*doc);
}

// Marks the containers held after a rollback (daemon/rollback.h), from the
// history of the clone or of the --repo work tree; a history that cannot be
// read marks nothing (a warning).
void MarkRollbacks(git::GitRepo* clone, const std::string& root,
                   const std::vector<manifest::Workload>& workloads, const std::string& email,
                   std::vector<daemon::WorkloadImages>& images, CliContext& ctx) {
  std::unique_ptr<git::History> owned;
  git::History* history = clone != nullptr ? clone->history() : nullptr;
  std::string head;
  if (clone != nullptr) {
    head = clone->Head().value_or("");
  } else if (Result<git::OpenedHistory> opened = git::OpenHistory(root); opened) {
    owned = std::move(opened->history);
    history = owned.get();
    head = opened->head;
  }
  if (history == nullptr || head.empty()) return;
  std::vector<daemon::AutomatedContainer> automated = daemon::FindAutomated(workloads, nullptr);
  auto changes = daemon::LastImageChanges(*history, head, automated);
  if (!changes) {
    ctx.err << "warning: rollbacks not checked: " << changes.error().message << "\n";
    return;
  }
  // Tag times as listed (time-ordered filters).
  std::map<daemon::ContainerKey, const registry::ImageListing*> listed;
  for (const daemon::WorkloadImages& w : images) {
    for (const daemon::ContainerImages& c : w.containers) listed[{w.id, c.name}] = &c.listing;
  }
  auto lookup = [&](const daemon::AutomatedContainer& ac,
                    const std::string& tag) -> std::optional<image::TagInfo> {
    auto it = listed.find({ac.workload, ac.container});
    if (it == listed.end()) return std::nullopt;
    for (const registry::ListedTag& t : it->second->available) {
      if (t.tag == tag) return image::TagInfo{t.tag, t.created};
    }
    return std::nullopt;
  };
  daemon::AttachRollbacks(images, daemon::FindRollbacks(automated, *changes, lookup, email));
}

// The images of the selected workloads, as the daemon's API would list them.
// Returns an exit code when it cannot go on; `failed` tells of partial
// failures (a file that did not scan, an unknown workload).
using Images = std::expected<nlohmann::json, int>;

Images FromDaemon(const ListImagesFlags& f, const std::vector<std::string>& wanted,
                  CliContext& ctx) {
  Result<nlohmann::json> fetched = FetchFromDaemon(f.url);
  if (!fetched) {
    ctx.err << "error: " << fetched.error().message << "\n";
    return std::unexpected(kExitFailed);
  }
  nlohmann::json images = nlohmann::json::array();
  for (const auto& w : *fetched) {
    if (Selected(JsonString(w, "ID"), f, wanted)) images.push_back(w);
  }
  return images;
}

Images FromRepository(const ListImagesFlags& f, const std::vector<std::string>& wanted,
                      CliContext& ctx, bool& failed) {
  auto fail = [&ctx](const Error& error, int code) {
    ctx.err << "error: " << error.message << "\n";
    return std::unexpected(code);
  };
  if (Result<void> r = registry::Validate(f.registry); !r) return fail(r.error(), kExitUsage);
  std::string root = f.repo;
  std::unique_ptr<git::GitRepo> clone;
  if (!f.git.url.empty()) {
    Result<std::unique_ptr<git::GitRepo>> opened = git::OpenGitRepo(f.git);
    if (!opened) return fail(opened.error(), kExitUsage);
    clone = std::move(*opened);
    if (Result<std::string> head = clone->Sync(); !head) return fail(head.error(), kExitFailed);
    root = clone->WorkTree().string();
  }
  Result<manifest::ScanResult> scan = manifest::Scan(ctx.fs, root, f.paths);
  if (!scan) return fail(scan.error(), kExitUsage);
  PrintProblems(scan->problems, ctx.err);
  failed = scan->HasErrors();
  std::vector<manifest::Workload> selected;
  for (const manifest::Workload& w : scan->workloads) {
    if (Selected(w.id, f, wanted)) selected.push_back(w);
  }
  for (const std::string& id : wanted) {
    if (!scan->Find(id)) {
      ctx.err << "error: workload " << id << " not found\n";
      failed = true;
    }
  }
  SystemClock clock;
  Result<std::unique_ptr<registry::RegistryService>> service =
      registry::RegistryService::Create(f.registry, clock);
  if (!service) return fail(service.error(), kExitUsage);
  // CREATED for every tag shown: at most --limit per container (100 for "all").
  size_t shown = f.limit > 0 ? static_cast<size_t>(f.limit) : 100;
  std::vector<daemon::WorkloadImages> images =
      daemon::ListImagesFor((*service)->scanner(), selected, shown);
  MarkRollbacks(clone.get(), root, selected, f.git.email, images, ctx);
  return daemon::ImagesJson(images);
}

int RunListImages(ListImagesFlags& f, CliContext& ctx) {
  if (Result<void> r = SetupLogging(f.log.format, f.log.level); !r) {
    ctx.err << "error: " << r.error().message << "\n";
    return kExitUsage;
  }
  int sources = !f.repo.empty() + !f.git.url.empty() + !f.url.empty();
  if (sources != 1) {
    ctx.err << "error: give exactly one of --repo DIR, --git-url URL or --url DAEMON\n";
    return kExitUsage;
  }
  if (f.limit < 0) {
    ctx.err << "error: --limit " << f.limit << ": must be 0 (all) or more\n";
    return kExitUsage;
  }
  std::vector<std::string> wanted;
  for (const std::string& w : f.workloads) {
    Result<std::string> id = manifest::NormalizeWorkloadId(w, f.ns.empty() ? "default" : f.ns);
    if (!id) {
      ctx.err << "error: -w " << w << ": " << id.error().message << "\n";
      return kExitUsage;
    }
    wanted.push_back(*id);
  }
  bool failed = false;
  Images images =
      f.url.empty() ? FromRepository(f, wanted, ctx, failed) : FromDaemon(f, wanted, ctx);
  if (!images) return images.error();
  if (f.output == "json") {
    // As fluxctl: the limit applies to each container's Available list.
    for (auto& w : *images) {
      auto containers = w.is_object() ? w.find("Containers") : w.end();
      if (containers == w.end() || !containers->is_array()) continue;
      for (auto& c : *containers) {
        auto available = c.is_object() ? c.find("Available") : c.end();
        if (f.limit > 0 && available != c.end() && available->is_array() &&
            available->size() > static_cast<size_t>(f.limit)) {
          available->erase(available->begin() + f.limit, available->end());
        }
      }
    }
    ctx.out << images->dump(2) << "\n";
  } else {
    ctx.out << ImagesTable(*images, f.limit, !f.no_headers);
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void AddImageCommands(CLI::App& app, CliContext& ctx) {
  auto f = std::make_shared<ListImagesFlags>();
  CLI::App* cmd = app.add_subcommand(
      "list-images", "Show the deployed and available images of workloads, newest first");
  cmd->add_option("--repo", f->repo, "Work tree of the manifest repository");
  AddGitFlags(*cmd, f->git);
  cmd->add_option("--url", f->url, "Base URL of a running tagflow daemon");
  cmd->add_option("--git-path", f->paths, "Subdirectory to scan (repeatable)")->delimiter(',');
  cmd->add_option("-n,--namespace", f->ns, "Only workloads in this namespace");
  cmd->add_option("-w,--workload", f->workloads, "Only this workload (repeatable, ns:kind/name)")
      ->delimiter(',');
  cmd->add_option("-l,--limit", f->limit, "Tags shown per container (0: all)")
      ->capture_default_str();
  cmd->add_flag("--no-headers", f->no_headers, "Leave out the header line");
  cmd->add_option("-o,--output-format", f->output, "tab or json")
      ->check(CLI::IsMember({"tab", "json"}))
      ->capture_default_str();
  AddRegistryFlags(*cmd, f->registry);
  AddLogFlags(*cmd, f->log);
  f->log.level = "warn";
  cmd->callback([f, &ctx] { ctx.exit_code = RunListImages(*f, ctx); });
}

}  // namespace tagflow::cli
