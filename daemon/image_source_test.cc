#include "daemon/image_source.h"

#include <gtest/gtest.h>

#include "manifest/extract.h"

namespace tagflow::daemon {
namespace {

// Counts the listings that reach "the registries".
class CountingSource final : public ImageSource {
 public:
  std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>&) override {
    return {};
  }
  Result<std::string> Digest(const image::ImageRef&, const std::string&) override {
    return Fail(ErrorKind::kNotFound, "none");
  }
  std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) override {
    ++lists;
    std::vector<WorkloadImages> out;
    for (const manifest::Workload& w : workloads) out.push_back({w.id, {}});
    return out;
  }
  int lists = 0;
};

std::vector<manifest::Workload> Workloads(const std::string& image) {
  return manifest::ScanText("a.yaml",
                            "kind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n"
                            "  - name: web\n    image: " +
                                image + "\n")
      .workloads;
}

TEST(ListingCacheTest, ReadsCostOneListingPerInterval) {
  CountingSource inner;
  FakeClock clock;
  ListingCache cache(inner, clock, std::chrono::minutes(5));
  std::vector<manifest::Workload> workloads = Workloads("nginx:1.0");
  ASSERT_EQ(workloads.size(), 1u);
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(cache.List(workloads).front().id, "default:pod/web");
  }
  EXPECT_EQ(inner.lists, 1);
  clock.Advance(std::chrono::minutes(4));
  cache.List(workloads);
  EXPECT_EQ(inner.lists, 1);
  clock.Advance(std::chrono::minutes(1));
  cache.List(workloads);
  EXPECT_EQ(inner.lists, 2);
  // A new scan with other images is listed at once.
  cache.List(Workloads("nginx:1.1"));
  EXPECT_EQ(inner.lists, 3);
}

}  // namespace
}  // namespace tagflow::daemon
