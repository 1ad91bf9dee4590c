#include "manifest/scan.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "manifest/extract.h"
#include "manifest/flux_v2.h"

namespace tagflow::manifest {
namespace {

bool IsYamlName(std::string_view name) {
  return name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization";
}

// Pushes the components of `path` onto `parts`, resolving "." and "..";
// false when ".." climbs above where `parts` started.
bool Resolve(std::string_view path, std::vector<std::string_view>& parts) {
  std::size_t floor = 0;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    if (part.empty() || part == ".") continue;
    if (part != "..") {
      parts.push_back(part);
    } else if (parts.size() > floor) {
      parts.pop_back();
    } else {
      return false;
    }
  }
  return true;
}

// True when symlink `link` (relative to root) with `target` lands inside root.
bool LinkStaysInside(const std::string& root, std::string_view link, std::string_view target) {
  std::vector<std::string_view> parts;
  if (target.starts_with('/')) {
    std::vector<std::string_view> root_parts;
    if (!Resolve(root, root_parts) || !Resolve(target, parts)) return false;
    return parts.size() >= root_parts.size() &&
           std::equal(root_parts.begin(), root_parts.end(), parts.begin());
  }
  std::size_t slash = link.rfind('/');
  std::string_view dir =
      slash == std::string_view::npos ? std::string_view() : link.substr(0, slash);
  return Resolve(dir, parts) && Resolve(target, parts);
}

std::string HumanSize(std::uint64_t bytes) {
  if (bytes < (1u << 20)) return fmt::format("{} bytes", bytes);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1 << 20));
}

class Walker {
 public:
  Walker(const Filesystem& fs, const std::string& root) : fs_(fs), root_(root) {}

  // Adds the YAML files below (or at) clean relative path `rel`. A path inside
  // a Helm chart (a directory above it holds Chart.yaml) adds nothing, as
  // Flux skips chart contents even when named explicitly.
  Result<void> Add(const std::string& rel) {
    std::string prefix;
    FileType type = FileType::kDirectory;
    std::vector<std::string_view> parts;
    Resolve(rel, parts);
    std::string dir;
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      dir = JoinPath(dir, parts[i]);
      Result<FileInfo> chart = fs_.Stat(JoinPath(root_, JoinPath(dir, "Chart.yaml")));
      if (chart && chart->type == FileType::kRegular) {
        problems_.push_back(Problem{rel, 0, 0, Severity::kNotice,
                                    fmt::format("inside the Helm chart {}; chart contents are "
                                                "not scanned",
                                                dir)});
        return {};
      }
    }
    for (std::string_view part : parts) {
      prefix = JoinPath(prefix, part);
      Result<FileInfo> info = fs_.Stat(JoinPath(root_, prefix));
      if (!info) return Fail(info.error());
      type = info->type;
      if (type == FileType::kMissing)
        return Fail(ErrorKind::kNotFound,
                    fmt::format("path {} does not exist in the repository", rel));
      if (type == FileType::kSymlink) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("path {} goes through the symlink {}; symlinks are not followed",
                                rel, prefix));
      }
    }
    if (type == FileType::kRegular) {
      files_.insert(rel);
    } else if (type == FileType::kDirectory) {
      WalkDirectory(rel);
    }
    return {};
  }

  std::vector<std::string> Files() const { return {files_.begin(), files_.end()}; }
  std::vector<Problem>& problems() { return problems_; }

 private:
  void WalkDirectory(const std::string& start) {
    std::vector<std::string> pending = {start};
    while (!pending.empty()) {
      std::string dir = std::move(pending.back());
      pending.pop_back();
      Result<std::vector<DirEntry>> entries = fs_.ReadDir(JoinPath(root_, dir));
      if (!entries) {
        problems_.push_back(Problem{dir, 0, 0, Severity::kError, entries.error().message});
        continue;
      }
      bool chart = std::any_of(entries->begin(), entries->end(), [](const DirEntry& e) {
        return e.name == "Chart.yaml" && e.type == FileType::kRegular;
      });
      if (chart) continue;
      std::vector<std::string> subdirs;
      for (const DirEntry& e : *entries) {
        std::string path = JoinPath(dir, e.name);
        if (e.type == FileType::kDirectory && e.name != ".git") {
          subdirs.push_back(std::move(path));
        } else if (e.type == FileType::kRegular && IsYamlName(e.name)) {
          files_.insert(std::move(path));
        } else if (e.type == FileType::kSymlink) {
          Symlink(path, e.name);
        }
      }
      // Depth first, in name order.
      pending.insert(pending.end(), subdirs.rbegin(), subdirs.rend());
    }
  }

  void Symlink(const std::string& path, std::string_view name) {
    Result<std::string> target = fs_.ReadLink(JoinPath(root_, path));
    if (!target) {
      problems_.push_back(Problem{path, 0, 0, Severity::kWarning, target.error().message});
    } else if (!LinkStaysInside(root_, path, *target)) {
      problems_.push_back(Problem{
          path, 0, 0, Severity::kWarning,
          fmt::format("symlink to {} points outside the repository; not followed", *target)});
    } else if (IsYamlName(name)) {
      problems_.push_back(
          Problem{path, 0, 0, Severity::kNotice,
                  fmt::format("symlink to {} not followed (its target is scanned where it "
                              "lives, if under the scanned paths)",
                              *target)});
    }
  }

  const Filesystem& fs_;
  const std::string& root_;
  std::set<std::string> files_;
  std::vector<Problem> problems_;
};

// Lets the reader threads start on files in file order while the bytes
// they hold stay within a budget; a file over the budget runs alone.
class ByteBudget {
 public:
  explicit ByteBudget(std::uint64_t budget) : budget_(budget) {}

  // Blocks until file number `index` (every index exactly once, any thread)
  // may hold `bytes`.
  void Acquire(std::size_t index, std::uint64_t bytes) {
    std::unique_lock lock(mu_);
    changed_.wait(lock, [&] { return next_ == index && (held_ == 0 || held_ + bytes <= budget_); });
    held_ += bytes;
    ++next_;
    changed_.notify_all();
  }

  void Release(std::uint64_t bytes) {
    std::lock_guard lock(mu_);
    held_ -= bytes;
    changed_.notify_all();
  }

 private:
  const std::uint64_t budget_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::size_t next_ = 0;    // guarded by mu_: the next index to admit
  std::uint64_t held_ = 0;  // guarded by mu_
};

FileScan ScanFile(const Filesystem& fs, const std::string& root, const std::string& rel,
                  const ScanOptions& options, std::size_t index, ByteBudget& budget) {
  FileScan out;
  std::string path = JoinPath(root, rel);
  Result<FileInfo> info = fs.Stat(path);
  std::uint64_t bytes = info && info->size <= options.max_file_bytes ? info->size : 0;
  budget.Acquire(index, bytes);
  struct Releaser {
    ByteBudget& budget;
    std::uint64_t bytes;
    ~Releaser() { budget.Release(bytes); }
  } releaser{budget, bytes};
  if (info && info->size > options.max_file_bytes) {
    out.problems.push_back(
        Problem{rel, 0, 0, Severity::kError,
                fmt::format("file is {}, over the limit of {}; skipped", HumanSize(info->size),
                            HumanSize(options.max_file_bytes))});
    return out;
  }
  Result<std::string> content =
      info ? fs.ReadFile(path) : Result<std::string>(std::unexpected(info.error()));
  if (!content) {
    out.problems.push_back(Problem{rel, 0, 0, Severity::kError,
                                   fmt::format("cannot read: {}", content.error().message)});
    return out;
  }
  out = ScanText(rel, *content);
  if (options.trim) {
    for (Workload& w : out.workloads) {
      if (w.kind != kImagePolicyKind) options.trim(w);
    }
  }
  return out;
}

// Drops every workload whose id occurs more than once, with one warning each.
void DropDuplicates(ScanResult& result) {
  // In place (a stable sort would hold a second array of every workload):
  // copies of one id stay in file order, as files are scanned in name order.
  std::sort(result.workloads.begin(), result.workloads.end(),
            [](const Workload& a, const Workload& b) {
              return std::tie(a.id, a.file, a.document, a.item) <
                     std::tie(b.id, b.file, b.document, b.item);
            });
  auto& all = result.workloads;
  std::size_t kept = 0;  // all[0, kept) are the unique ones, compacted in place
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i + 1;
    while (j < all.size() && all[j].id == all[i].id) ++j;
    if (j - i == 1) {
      if (kept != i) all[kept] = std::move(all[i]);
      ++kept;
    } else {
      std::vector<std::string> places;
      for (std::size_t k = i; k < j; ++k)
        places.push_back(fmt::format("{}:{}", all[k].file, all[k].line));
      result.problems.push_back(
          Problem{all[i].file, all[i].line, 0, Severity::kWarning,
                  fmt::format("workload {} is defined more than once ({}); all copies "
                              "skipped",
                              all[i].id, fmt::join(places, ", "))});
    }
    i = j;
  }
  all.erase(all.begin() + static_cast<std::ptrdiff_t>(kept), all.end());
}

}  // namespace

const Workload* ScanResult::Find(std::string_view id) const {
  auto it = std::lower_bound(workloads.begin(), workloads.end(), id,
                             [](const Workload& w, std::string_view v) { return w.id < v; });
  return it != workloads.end() && it->id == id ? &*it : nullptr;
}

bool ScanResult::HasErrors() const {
  return std::any_of(problems.begin(), problems.end(),
                     [](const Problem& p) { return p.severity == Severity::kError; });
}

Result<ScanResult> Scan(const Filesystem& fs, const std::string& root,
                        std::span<const std::string> paths, const ScanOptions& options) {
  Result<FileInfo> root_info = fs.Stat(root);
  if (!root_info) return Fail(root_info.error());
  if (root_info->type != FileType::kDirectory)
    return Fail(ErrorKind::kNotFound, fmt::format("repository root {} is not a directory", root));
  Walker walker(fs, root);
  std::vector<std::string> wanted(paths.begin(), paths.end());
  if (wanted.empty()) wanted.emplace_back();
  for (const std::string& p : wanted) {
    Result<std::string> rel = CleanRelativePath(p);
    if (!rel) return Fail(rel.error());
    Result<void> added = walker.Add(*rel);
    if (!added) return Fail(added.error());
  }

  std::vector<std::string> files = walker.Files();
  std::vector<FileScan> scans(files.size());
  unsigned threads =
      options.threads != 0 ? options.threads : std::min(8u, std::thread::hardware_concurrency());
  threads = std::clamp<unsigned>(threads, 1,
                                 static_cast<unsigned>(std::max<std::size_t>(files.size(), 1)));
  std::atomic<std::size_t> next{0};
  ByteBudget budget(options.max_bytes_in_flight);
  auto work = [&] {
    for (std::size_t i = next++; i < files.size(); i = next++)
      scans[i] = ScanFile(fs, root, files[i], options, i, budget);
  };
  std::vector<std::jthread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  pool.clear();

  ScanResult result;
  result.problems = std::move(walker.problems());
  result.files = files.size();
  std::size_t total = 0;
  for (const FileScan& s : scans) total += s.workloads.size();
  result.workloads.reserve(total);
  FluxObjects flux;
  for (FileScan& s : scans) {
    std::move(s.flux.repositories.begin(), s.flux.repositories.end(),
              std::back_inserter(flux.repositories));
    std::move(s.flux.policies.begin(), s.flux.policies.end(), std::back_inserter(flux.policies));
    std::move(s.workloads.begin(), s.workloads.end(), std::back_inserter(result.workloads));
    std::move(s.problems.begin(), s.problems.end(), std::back_inserter(result.problems));
    s = FileScan{};
  }
  ResolveFluxMarkers(flux, result.workloads, result.problems);
  DropDuplicates(result);
  return result;
}

}  // namespace tagflow::manifest
