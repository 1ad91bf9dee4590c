// Times TagFilter::Select on 10,000 realistic tags for every filter kind and
// prints the median of 21 runs per kind against the 10 ms target.
//
//   bench_filter_bench [runs]
#include <fmt/format.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "image/tag_filter.h"

namespace {

using tagflow::image::TagFilter;
using tagflow::image::TagInfo;

constexpr int kTags = 10'000;
constexpr double kTargetMs = 10.0;

// Small deterministic generator (xorshift), so every run sees the same tags.
struct Rng {
  uint64_t state = 0x9E3779B97F4A7C15ULL;
  uint64_t Next() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
};

std::vector<TagInfo> MakeTags() {
  Rng rng;
  std::vector<TagInfo> tags;
  tags.reserve(kTags);
  const auto epoch = std::chrono::system_clock::time_point(std::chrono::seconds(1'600'000'000));
  for (int i = 0; i < kTags; ++i) {
    std::string tag;
    switch (rng.Below(6)) {
      case 0:
      case 1:
        tag = fmt::format("v{}.{}.{}", rng.Below(5), rng.Below(30), rng.Below(50));
        break;
      case 2:
        tag =
            fmt::format("{}.{}.{}-rc.{}", rng.Below(5), rng.Below(30), rng.Below(50), rng.Below(9));
        break;
      case 3:
        tag = fmt::format("master-{:07x}", rng.Next() & 0xFFFFFFF);
        break;
      case 4:
        tag = fmt::format("{}", 1000 + rng.Below(1'000'000));
        break;
      default:
        tag = fmt::format("{}.{}", rng.Below(5), rng.Below(30));
        break;
    }
    std::optional<std::chrono::system_clock::time_point> created;
    if (rng.Below(50) != 0) created = epoch + std::chrono::seconds(rng.Below(100'000'000));
    tags.push_back(TagInfo{std::move(tag), created});
  }
  tags.push_back(TagInfo{"latest", epoch});
  return tags;
}

// CPU time of this thread: unlike wall time, not inflated when other
// processes share the machine's cores.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

struct Timing {
  double wall_ms = 0;
  double cpu_ms = 0;
  size_t selected = 0;
};

Timing Measure(const TagFilter& filter, const std::vector<TagInfo>& tags, int runs) {
  std::vector<double> wall;
  std::vector<double> cpu;
  Timing t;
  for (int r = 0; r < runs; ++r) {
    std::vector<std::string> unknown;
    double cpu_start = ThreadCpuMs();
    auto start = std::chrono::steady_clock::now();
    std::vector<TagInfo> out = filter.Select(tags, &unknown);
    auto end = std::chrono::steady_clock::now();
    cpu.push_back(ThreadCpuMs() - cpu_start);
    wall.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    t.selected = out.size();
  }
  t.wall_ms = Median(wall);
  t.cpu_ms = Median(cpu);
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::max(1, std::atoi(argv[1])) : 21;
  std::vector<TagInfo> tags = MakeTags();
  const char* specs[] = {"glob:*",
                         "glob:master-*",
                         "regex:^v[0-9]+\\.[0-9]+\\.[0-9]+$",
                         "semver:*",
                         "semver:>=1.2 <3 || ^4.0.0-rc.0",
                         "alphabetical:*",
                         "numerical:*"};
  fmt::print(
      "filter_bench: {} tags, median of {} runs of Select (wall and thread CPU), "
      "target {} ms CPU\n",
      tags.size(), runs, kTargetMs);
  bool all_ok = true;
  for (const char* spec : specs) {
    auto filter = TagFilter::Parse(spec);
    if (!filter) {
      fmt::print(stderr, "{}\n", filter.error().message);
      return 2;
    }
    Timing t = Measure(*filter, tags, runs);
    bool ok = t.cpu_ms < kTargetMs;
    all_ok = all_ok && ok;
    fmt::print("  {:<34} wall {:>7.3f} ms  cpu {:>7.3f} ms  {:>5} selected  {}\n", spec, t.wall_ms,
               t.cpu_ms, t.selected, ok ? "ok" : "OVER TARGET");
  }
  fmt::print("filter_bench: {}\n", all_ok ? "all under target" : "some over target");
  return all_ok ? 0 : 1;
}
