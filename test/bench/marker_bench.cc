// Benchmark of Flux v2 marker scanning (issue 10): a repository of 5,000
// files, half of them holding `$imagepolicy` markers for 50 ImagePolicies
// defined in the repository itself. Target: the scan stays under 1 s.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "manifest/real_filesystem.h"
#include "manifest/scan.h"

namespace {

namespace stdfs = std::filesystem;

constexpr int kFiles = 5000;
constexpr int kPolicies = 50;

std::string Policies() {
  std::string out;
  for (int p = 0; p < kPolicies; ++p) {
    out += fmt::format(
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImageRepository\nmetadata:\n"
        "  name: app-{0}\n  namespace: flux-system\nspec:\n  image: registry.example.com/app-{0}\n"
        "---\n"
        "apiVersion: image.toolkit.fluxcd.io/v1beta2\nkind: ImagePolicy\nmetadata:\n"
        "  name: app-{0}\n  namespace: flux-system\nspec:\n  imageRepositoryRef:\n"
        "    name: app-{0}\n  policy:\n    semver:\n      range: '>=1.0.0'\n{1}",
        p, p + 1 < kPolicies ? "---\n" : "");
  }
  return out;
}

std::string File(int f) {
  bool marked = f % 2 == 0;
  int p = (f / 2) % kPolicies;
  std::string image = fmt::format("registry.example.com/app-{}:1.0.{}", p, f % 7);
  std::string marker =
      marked ? fmt::format(" # {{\"$imagepolicy\": \"flux-system:app-{}\"}}", p) : "";
  return fmt::format(
      "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{0}\n"
      "  namespace: team-{1}\nspec:\n  replicas: 2\n  template:\n    spec:\n"
      "      containers:\n      - name: web\n        image: {2}{3}\n"
      "        ports: [{{containerPort: 8080}}]\n",
      f, f % 20, image, marker);
}

}  // namespace

int main() {
  std::string tmpl = (stdfs::temp_directory_path() / "tagflow-marker-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) return 1;
  stdfs::path root = tmpl;
  std::ofstream(root / "policies.yaml", std::ios::binary) << Policies();
  for (int f = 0; f < kFiles; ++f) {
    stdfs::path rel = fmt::format("team-{:02}/f{:04}.yaml", f % 20, f);
    stdfs::create_directories((root / rel).parent_path());
    std::ofstream(root / rel, std::ios::binary) << File(f);
  }
  tagflow::manifest::RealFilesystem fs;
  double best = 1e9;
  size_t workloads = 0, problems = 0;
  for (int run = 0; run < 5; ++run) {
    auto t0 = std::chrono::steady_clock::now();
    auto scan = tagflow::manifest::Scan(fs, root.string(), {});
    auto t1 = std::chrono::steady_clock::now();
    if (!scan) {
      fmt::print(stderr, "scan failed: {}\n", scan.error().message);
      return 1;
    }
    best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    workloads = scan->workloads.size();
    problems = scan->problems.size();
    if (run == 0) {
      for (const auto& p : scan->problems) fmt::print("problem: {}\n", p.ToString());
    }
  }
  fmt::print(
      "repository: {} files ({} with markers, {} ImagePolicies), {} workloads, {} problems\n",
      kFiles + 1, kFiles / 2, kPolicies, workloads, problems);
  fmt::print("scan with markers: {:.3f} s (best of 5)  [target < 1 s]\n", best);
  stdfs::remove_all(root);
  return 0;
}
