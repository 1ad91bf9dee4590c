// Benchmark of the manifest engine (issue 3): scan a generated repository of
// 10,000 workloads in 5,000 files, rewrite 1,000 images, and do the same
// 1,000 rewrites the Flux v1 way (ruamel.yaml round trip, see
// ruamel_rewrite.py) on a copy, with the ratio and how many lines each
// approach changed. Targets: scan under 1 s, rewrite at least 10x faster
// than ruamel, and only the image lines changed.
//
//   bench_manifest_bench [path/to/ruamel_rewrite.py]
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "manifest/real_filesystem.h"
#include "manifest/scan.h"
#include "manifest/update.h"

namespace {

namespace stdfs = std::filesystem;
using tagflow::manifest::Edit;
using tagflow::manifest::ImageEdit;

constexpr int kFiles = 5000;

// One image to rewrite, for us and for ruamel.
struct Target {
  std::string file;
  std::string id;
  std::string name;
  std::string container;
  std::string image;  // the new image, as written
};

std::string Deployment(int n, std::string_view kind, std::string_view quote) {
  return fmt::format(R"(# {kind} app-{n}: owned by team-{team}
apiVersion: apps/v1
kind: {kind}
metadata:
  name: app-{n}
  namespace: team-{team}
  labels:
    app.kubernetes.io/name: app-{n}
    app.kubernetes.io/part-of: shop   # for dashboards
  annotations:
    fluxcd.io/automated: "true"
    fluxcd.io/tag.main: semver:~1.{minor}
spec:
  replicas: 2
  selector:
    matchLabels:
      app.kubernetes.io/name: app-{n}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-{n}
    spec:
      containers:
      - name: main
        image: {q}registry.example.com/team-{team}/app-{n}:1.{minor}.0{q}  # bumped by automation
        ports:
        - containerPort: 8080
        resources:
          limits: {{cpu: 200m, memory: 256Mi}}
        env:
        - name: LOG_LEVEL
          value: "info"
      - name: proxy
        image: envoyproxy/envoy:v1.25.0
)",
                     fmt::arg("kind", kind), fmt::arg("n", n), fmt::arg("team", n % 50),
                     fmt::arg("minor", n % 7), fmt::arg("q", quote));
}

std::string CronJob(int n) {
  return fmt::format(R"(apiVersion: batch/v1
kind: CronJob
metadata:
  name: job-{n}
  namespace: batch
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          initContainers:
          - name: wait
            image: 'busybox:1.36.0'
          containers:
          - name: main
            image: 'ghcr.io/acme/job-{n}:2.0.{minor}'
)",
                     fmt::arg("n", n), fmt::arg("minor", n % 9));
}

std::string HelmRelease(int n) {
  return fmt::format(R"(apiVersion: helm.toolkit.fluxcd.io/v2beta1
kind: HelmRelease
metadata:
  name: release-{n}
  namespace: charts
spec:
  chart:
    spec: {{chart: podinfo, version: 6.3.0, sourceRef: {{kind: HelmRepository, name: podinfo}}}}
  values:
    image:
      repository: ghcr.io/stefanprodan/podinfo
      tag: "6.3.{minor}"
)",
                     fmt::arg("n", n), fmt::arg("minor", n % 5));
}

std::string Service(int n) {
  return fmt::format(
      "apiVersion: v1\nkind: Service\nmetadata:\n  name: app-{n}\n  namespace: team-{team}\nspec:\n"
      "  selector: {{app.kubernetes.io/name: app-{n}}}\n  ports:\n  - port: 80\n    targetPort: "
      "8080\n",
      fmt::arg("n", n), fmt::arg("team", n % 50));
}

std::string Indent(const std::string& text, std::string_view first, std::string_view rest) {
  std::string out;
  bool start = true;
  for (char c : text) {
    if (start) out += c == '\n' ? "" : std::string(out.empty() ? first : rest);
    out += c;
    start = c == '\n';
  }
  return out;
}

// File `f` holds workloads 2f and 2f+1 in one of five shapes; `target` is
// the first workload's first container.
std::string GenerateFile(int f, Target& target) {
  int a = 2 * f, b = 2 * f + 1;
  target.container = "main";
  switch (f % 5) {
    case 0:
      target = {"", fmt::format("team-{}:deployment/app-{}", a % 50, a), fmt::format("app-{}", a),
                "main",
                fmt::format("registry.example.com/team-{}/app-{}:1.{}.1", a % 50, a, a % 7)};
      return Deployment(a, "Deployment", "\"") + "---\n" + Deployment(b, "Deployment", "\"");
    case 1:
      target = {"", fmt::format("team-{}:deployment/app-{}", a % 50, a), fmt::format("app-{}", a),
                "main",
                fmt::format("registry.example.com/team-{}/app-{}:1.{}.1", a % 50, a, a % 7)};
      return "---\n" + Deployment(a, "Deployment", "") + "---\n" + CronJob(b) + "...\n";
    case 2:
      target = {"", fmt::format("team-{}:statefulset/app-{}", a % 50, a), fmt::format("app-{}", a),
                "main",
                fmt::format("registry.example.com/team-{}/app-{}:1.{}.1", a % 50, a, a % 7)};
      return Deployment(a, "StatefulSet", "'") + "---\n" + Service(a) + "---\n" + HelmRelease(b);
    case 3:
      target = {"", fmt::format("team-{}:deployment/app-{}", a % 50, a), fmt::format("app-{}", a),
                "main",
                fmt::format("registry.example.com/team-{}/app-{}:1.{}.1", a % 50, a, a % 7)};
      return "apiVersion: v1\nkind: List\nitems:\n" +
             Indent(Deployment(a, "Deployment", "\""), "- ", "  ") +
             Indent(Deployment(b, "Deployment", "\""), "- ", "  ");
    default:
      target = {"", fmt::format("batch:cronjob/job-{}", a), fmt::format("job-{}", a), "main",
                fmt::format("ghcr.io/acme/job-{}:2.0.{}", a, a % 9 + 1)};
      return CronJob(a) + "---\n" + Deployment(b, "DaemonSet", "");
  }
}

std::string ReadFile(const stdfs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    lines.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return lines;
}

// Lines of `a` not kept in `b` plus lines of `b` not in `a` (via the
// longest common subsequence): a one-line edit counts 2 (-1 +1).
std::size_t ChangedLines(const std::string& before, const std::string& after) {
  if (before == after) return 0;
  std::vector<std::string> a = Lines(before), b = Lines(after);
  std::vector<std::size_t> prev(b.size() + 1, 0), cur(b.size() + 1, 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : std::max(prev[j], cur[j - 1]);
    }
    std::swap(prev, cur);
  }
  std::size_t lcs = prev[b.size()];
  return (a.size() - lcs) + (b.size() - lcs);
}

struct DiffCount {
  std::size_t files = 0;
  std::size_t lines = 0;
};

DiffCount Compare(const stdfs::path& root, const std::vector<std::string>& originals) {
  DiffCount d;
  for (int f = 0; f < kFiles; ++f) {
    std::string now = ReadFile(root / fmt::format("team-{:02}/f{:04}.yaml", f % 50, f));
    std::size_t changed = ChangedLines(originals[static_cast<std::size_t>(f)], now);
    if (changed > 0) ++d.files;
    d.lines += changed;
  }
  return d;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

int main(int argc, char** argv) {
  stdfs::path script =
      argc > 1 ? stdfs::path(argv[1]) : stdfs::path(__FILE__).parent_path() / "ruamel_rewrite.py";
  std::string tmpl = (stdfs::temp_directory_path() / "tagflow-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  stdfs::path base = tmpl;
  stdfs::path ours = base / "ours", theirs = base / "ruamel";

  std::vector<std::string> originals;
  std::vector<Target> targets;
  for (int f = 0; f < kFiles; ++f) {
    Target t;
    std::string rel = fmt::format("team-{:02}/f{:04}.yaml", f % 50, f);
    originals.push_back(GenerateFile(f, t));
    for (const stdfs::path& root : {ours, theirs}) {
      stdfs::create_directories((root / rel).parent_path());
      std::ofstream(root / rel, std::ios::binary) << originals.back();
    }
    t.file = rel;
    // One file in five, cycling through the five shapes.
    if (f % 5 == (f / 5) % 5) targets.push_back(std::move(t));
  }
  std::size_t bytes = 0;
  for (const std::string& o : originals) bytes += o.size();

  tagflow::manifest::RealFilesystem fs;
  auto t0 = std::chrono::steady_clock::now();
  tagflow::Result<tagflow::manifest::ScanResult> scan =
      tagflow::manifest::Scan(fs, ours.string(), {});
  auto t1 = std::chrono::steady_clock::now();
  if (!scan) {
    fmt::print(stderr, "scan failed: {}\n", scan.error().message);
    return 1;
  }
  tagflow::manifest::ScanOptions one_thread;
  one_thread.threads = 1;
  auto t2 = std::chrono::steady_clock::now();
  tagflow::Result<tagflow::manifest::ScanResult> scan1 =
      tagflow::manifest::Scan(fs, ours.string(), {}, one_thread);
  auto t3 = std::chrono::steady_clock::now();
  fmt::print("repository: {} files, {:.1f} MiB, {} workloads, {} problems\n", scan->files,
             static_cast<double>(bytes) / (1 << 20), scan->workloads.size(), scan->problems.size());
  fmt::print("scan: {:.3f} s ({} threads), {:.3f} s (1 thread)  [target < 1 s]\n", Seconds(t1 - t0),
             std::min(8u, std::thread::hardware_concurrency()), Seconds(t3 - t2));

  std::vector<Edit> edits;
  std::string edits_json = "[";
  for (const Target& t : targets) {
    edits.push_back(ImageEdit{t.id, t.container, tagflow::image::ImageRef::Parse(t.image).value()});
    edits_json += fmt::format(
        "{}{{\"file\": \"{}\", \"name\": \"{}\", \"container\": \"{}\", \"image\": \"{}\"}}",
        edits_json.size() > 1 ? ", " : "", t.file, t.name, t.container, t.image);
  }
  edits_json += "]";
  auto t4 = std::chrono::steady_clock::now();
  tagflow::Result<std::vector<std::string>> changed =
      tagflow::manifest::ApplyEdits(fs, ours.string(), *scan, edits, false);
  auto t5 = std::chrono::steady_clock::now();
  if (!changed) {
    fmt::print(stderr, "rewrite failed: {}\n", changed.error().message);
    return 1;
  }
  double ours_s = Seconds(t5 - t4);
  fmt::print("tagflow rewrite of {} images: {:.3f} s ({} files written)\n", edits.size(), ours_s,
             changed->size());

  stdfs::path json = base / "edits.json";
  std::ofstream(json) << edits_json;
  std::string cmd = fmt::format("/usr/bin/python3 '{}' '{}' '{}'", script.string(), theirs.string(),
                                json.string());
  auto t6 = std::chrono::steady_clock::now();
  FILE* pipe = ::popen(cmd.c_str(), "r");
  std::string py_out;
  char buf[256];
  while (pipe != nullptr && std::fgets(buf, sizeof buf, pipe) != nullptr) py_out += buf;
  int status = pipe != nullptr ? ::pclose(pipe) : -1;
  auto t7 = std::chrono::steady_clock::now();
  double ruamel_s = 0;
  if (std::size_t at = py_out.find("seconds="); at != std::string::npos)
    ruamel_s = std::atof(py_out.c_str() + at + 8);
  if (status != 0 || ruamel_s <= 0) {
    fmt::print(stderr, "ruamel run failed (status {}): {}\n", status, py_out);
    return 1;
  }
  fmt::print(
      "ruamel.yaml round trip of the same {} images: {:.3f} s ({:.3f} s with interpreter start)\n",
      edits.size(), ruamel_s, Seconds(t7 - t6));
  fmt::print("ratio: tagflow is {:.1f}x faster  [target >= 10x]\n", ruamel_s / ours_s);

  DiffCount ours_diff = Compare(ours, originals);
  DiffCount ruamel_diff = Compare(theirs, originals);
  fmt::print("byte diff, tagflow: {} files, {} lines changed (-/+; {} image lines = {} expected)\n",
             ours_diff.files, ours_diff.lines, edits.size(), 2 * edits.size());
  fmt::print("byte diff, ruamel:  {} files, {} lines changed (-/+)\n", ruamel_diff.files,
             ruamel_diff.lines);

  stdfs::remove_all(base);
  return 0;
}
