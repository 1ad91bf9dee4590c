// The scanner and client against a real docker-registry 2.8 (open) with
// synthetic images: media types, platforms, creation-time fallbacks, request
// counts per cycle, the persistent cache, per-repository errors.
#include "registry/scanner.h"

#include <gtest/gtest.h>

#include "registry/image_lister.h"
#include "registry/service.h"
#include "test/support/registry_server.h"

namespace tagflow::registry {
namespace {

using testing::RegistryServer;
using testing::SyntheticImage;

SyntheticImage At(const char* created, bool oci = false) {
  SyntheticImage s;
  s.created = created;
  s.oci = oci;
  return s;
}

SyntheticImage Arch(const char* created, const char* arch, const char* variant = "",
                    bool oci = true) {
  SyntheticImage s = At(created, oci);
  s.architecture = arch;
  s.variant = variant;
  return s;
}

class ScannerRegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RegistryServer();
    RegistryServer& r = *server_;
    // Pushed out of order: 2.8 lists tags unsorted, tagflow sorts.
    r.PushImage("team/docker", "v2", At("2024-02-01T00:00:00Z"));
    r.PushImage("team/docker", "v3", At("2024-03-01T00:00:00Z"));
    r.PushImage("team/docker", "v1", At("2024-01-01T00:00:00Z"));
    r.PushImage("team/oci", "b", At("2023-01-01T00:00:00Z", true));
    r.PushImage("team/oci", "a", At("2024-01-01T00:00:00Z", true));
    r.PushIndex("team/multi", "1.0",
                {Arch("2024-05-01T00:00:00Z", "amd64"), Arch("2024-06-01T00:00:00Z", "arm64", "v8"),
                 Arch("2024-04-01T00:00:00Z", "arm", "v7")});
    r.PushIndex("team/multi", "1.1",
                {Arch("2024-07-01T00:00:00Z", "amd64", "", false),
                 Arch("2024-03-01T00:00:00Z", "arm64", "v8", false)});
    SyntheticImage none;
    r.PushImage("team/times", "none", none);
    SyntheticImage oci_label;
    oci_label.labels = {{"org.opencontainers.image.created", "2022-02-02T02:02:02Z"}};
    r.PushImage("team/times", "oci-label", oci_label);
    SyntheticImage schema_label;
    schema_label.created = "0001-01-01T00:00:00Z";  // zero: fall back
    schema_label.labels = {{"org.label-schema.build-date", "2021-01-01T00:00:00Z"}};
    r.PushImage("team/times", "schema-label", schema_label);
    for (const char* tag : {"0.0.1", "0.0.3", "0.0.2"}) {
      SyntheticImage same = At("2024-01-01T00:00:00Z");
      same.salt = tag;
      r.PushImage("team/equal", tag, same);
    }
    int i = 0;
    for (const char* tag : {"1.0.0", "1.10.0", "1.2.0", "latest", "junk"}) {
      SyntheticImage s = At("2024-01-01T00:00:00Z");
      s.salt = std::to_string(i++);
      r.PushImage("team/semver", tag, s);
    }
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  image::ImageRef Image(const std::string& path) const {
    return *image::ImageRef::Parse(server_->host() + "/" + path + ":v0");
  }
  RegistryOptions Options() const {
    RegistryOptions o;
    o.insecure_hosts = {server_->host()};
    o.rps = 0;
    o.timeout = std::chrono::seconds(5);
    o.cache_dir = cache_dir_.path().string();
    return o;
  }
  std::unique_ptr<RegistryService> Service(RegistryOptions o) {
    auto s = RegistryService::Create(o, clock_);
    EXPECT_TRUE(s) << s.error().message;
    return std::move(*s);
  }
  static ScanTarget Target(image::ImageRef image, const char* filter) {
    return ScanTarget{std::move(image), {*image::TagFilter::Parse(filter)}, {}};
  }
  // Scans one repository with `filter`; returns tag -> created (RFC 3339, ""
  // when unknown).
  std::map<std::string, std::string> Created(RegistryService& s, const std::string& path,
                                             const char* filter = "glob:*") {
    auto result = s.scanner().ScanRepository(Target(Image(path), filter));
    EXPECT_TRUE(result) << result.error().message;
    std::map<std::string, std::string> out;
    if (!result) return out;
    for (const auto& t : *result) out[t.tag] = t.created ? FormatRfc3339(*t.created) : "";
    return out;
  }

  static RegistryServer* server_;
  testing::TempDir cache_dir_;
  SystemClock clock_;
};

RegistryServer* ScannerRegistryTest::server_ = nullptr;

TEST_F(ScannerRegistryTest, AMetadataBudgetDefersTheRestToLaterScansNewestLookingFirst) {
  RegistryOptions o = Options();
  o.metadata_budget = 2;  // one image: its manifest and its config
  auto s = Service(o);
  auto scan = [&] {
    auto result = s->scanner().ScanRepository(Target(Image("team/docker"), "glob:*"));
    EXPECT_TRUE(result) << result.error().message;
    std::map<std::string, std::string> out;  // tag -> created, or "deferred"
    for (const auto& t : result.value_or(std::vector<TagMetadata>{})) {
      out[t.tag] = t.deferred ? "deferred" : t.created ? FormatRfc3339(*t.created) : "";
    }
    return out;
  };
  EXPECT_EQ(scan(), (std::map<std::string, std::string>{
                        {"v1", "deferred"}, {"v2", "deferred"}, {"v3", "2024-03-01T00:00:00Z"}}));
  EXPECT_EQ(scan(), (std::map<std::string, std::string>{{"v1", "deferred"},
                                                        {"v2", "2024-02-01T00:00:00Z"},
                                                        {"v3", "2024-03-01T00:00:00Z"}}));
  EXPECT_EQ(scan(), (std::map<std::string, std::string>{{"v1", "2024-01-01T00:00:00Z"},
                                                        {"v2", "2024-02-01T00:00:00Z"},
                                                        {"v3", "2024-03-01T00:00:00Z"}}));
  EXPECT_EQ(s->metrics().Read().Count(RequestKind::kManifest), 3u);
}

TEST_F(ScannerRegistryTest, ListedTagsGetTheirCreationTimeEvenUnderSemver) {
  auto s = Service(Options());
  ImageListRequest request{Image("team/semver"), *image::TagFilter::Parse("semver:*"), 2};
  std::vector<ImageListing> listings = ListImages(s->scanner(), {request});
  ASSERT_EQ(listings.size(), 1u);
  ASSERT_GE(listings[0].available.size(), 2u);
  // The two shown (newest under semver) have a time; beyond `shown`, none was fetched.
  EXPECT_EQ(listings[0].available[0].tag, "1.10.0");
  EXPECT_TRUE(listings[0].available[0].created);
  EXPECT_EQ(listings[0].available[1].tag, "1.2.0");
  EXPECT_TRUE(listings[0].available[1].created);
  EXPECT_FALSE(listings[0].available[2].created) << listings[0].available[2].tag;
}

TEST_F(ScannerRegistryTest, ListsTagsSorted) {
  auto s = Service(Options());
  auto tags = s->client().ListTags(Image("team/docker"));
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(*tags, (std::vector<std::string>{"v1", "v2", "v3"}));
}

TEST_F(ScannerRegistryTest, DockerV2AndOciManifests) {
  auto s = Service(Options());
  EXPECT_EQ(Created(*s, "team/docker"),
            (std::map<std::string, std::string>{{"v1", "2024-01-01T00:00:00Z"},
                                                {"v2", "2024-02-01T00:00:00Z"},
                                                {"v3", "2024-03-01T00:00:00Z"}}));
  EXPECT_EQ(Created(*s, "team/oci"),
            (std::map<std::string, std::string>{{"a", "2024-01-01T00:00:00Z"},
                                                {"b", "2023-01-01T00:00:00Z"}}));
}

TEST_F(ScannerRegistryTest, IndexesUseTheConfiguredPlatform) {
  auto amd64 = Service(Options());
  EXPECT_EQ(Created(*amd64, "team/multi"),
            (std::map<std::string, std::string>{{"1.0", "2024-05-01T00:00:00Z"},
                                                {"1.1", "2024-07-01T00:00:00Z"}}));
  RegistryOptions o = Options();
  o.platform = "linux/arm64";
  o.cache_dir = "";  // same digests, another platform: no shared cache needed
  EXPECT_EQ(Created(*Service(o), "team/multi"),
            (std::map<std::string, std::string>{{"1.0", "2024-06-01T00:00:00Z"},
                                                {"1.1", "2024-03-01T00:00:00Z"}}));
  o.platform = "linux/arm/v7";
  auto arm = Service(o);
  auto result = arm->scanner().ScanRepository(Target(Image("team/multi"), "glob:*"));
  ASSERT_TRUE(result);
  ASSERT_EQ(result->size(), 2u);
  EXPECT_EQ(FormatRfc3339(*(*result)[0].created), "2024-04-01T00:00:00Z");
  EXPECT_FALSE((*result)[1].created);  // the Docker list has no arm/v7 image
  EXPECT_NE((*result)[1].problem.find("linux/arm/v7"), std::string::npos);
  EXPECT_FALSE((*result)[1].digest.empty());
}

TEST_F(ScannerRegistryTest, CreationTimeFallsBackToLabels) {
  auto s = Service(Options());
  EXPECT_EQ(Created(*s, "team/times"),
            (std::map<std::string, std::string>{{"none", ""},
                                                {"oci-label", "2022-02-02T02:02:02Z"},
                                                {"schema-label", "2021-01-01T00:00:00Z"}}));
  auto result = s->scanner().ScanRepository(Target(Image("team/times"), "glob:*"));
  ASSERT_TRUE(result);
  EXPECT_NE(result->front().problem.find("no creation time"), std::string::npos);
  // The tag without a time is no candidate and does not block the others.
  std::vector<image::TagInfo> infos;
  for (const auto& t : *result) infos.push_back(t.Info());
  std::vector<std::string> unknown;
  auto picked = image::TagFilter::Parse("glob:*")->Select(infos, &unknown);
  ASSERT_FALSE(picked.empty());
  EXPECT_EQ(picked.front().tag, "oci-label");
  EXPECT_EQ(unknown, std::vector<std::string>{"none"});
}

TEST_F(ScannerRegistryTest, EqualTimesBreakTiesByNaturalOrder) {
  auto s = Service(Options());
  auto result = s->scanner().ScanRepository(Target(Image("team/equal"), "glob:0.0.*"));
  ASSERT_TRUE(result);
  std::vector<image::TagInfo> infos;
  for (const auto& t : *result) infos.push_back(t.Info());
  auto picked = image::TagFilter::Parse("glob:0.0.*")->Select(infos);
  ASSERT_EQ(picked.size(), 3u);
  EXPECT_EQ(picked[0].tag, "0.0.3");
  EXPECT_EQ(picked[2].tag, "0.0.1");
}

TEST_F(ScannerRegistryTest, WarmCycleCostsOneTagListPerRepository) {
  auto s = Service(Options());
  std::vector<ScanTarget> targets = {Target(Image("team/docker"), "glob:v*"),
                                     Target(Image("team/oci"), "regex:^[ab]$"),
                                     Target(Image("team/multi"), "glob:*")};
  auto cold = s->scanner().Scan(targets);
  ASSERT_EQ(cold.size(), 3u);
  for (const auto& [name, scan] : cold)
    ASSERT_TRUE(scan.tags) << name << ": " << scan.tags.error().message;
  auto after_cold = s->metrics().Read();
  // docker: 3 manifests + 3 configs; oci: 2 + 2; multi: 2 indexes + 2 children + 2 configs.
  EXPECT_EQ(after_cold.Count(RequestKind::kManifest), 3u + 2u + 4u);
  EXPECT_EQ(after_cold.Count(RequestKind::kBlob), 3u + 2u + 2u);
  EXPECT_EQ(after_cold.Count(RequestKind::kTags), 3u);

  auto warm = s->scanner().Scan(targets);
  auto after_warm = s->metrics().Read();
  EXPECT_EQ(after_warm.Total() - after_cold.Total(), 3u);
  EXPECT_EQ(after_warm.Count(RequestKind::kTags) - after_cold.Count(RequestKind::kTags), 3u);
  EXPECT_GT(after_warm.cache_hits, after_cold.cache_hits);
  for (const auto& [name, scan] : warm) {
    ASSERT_TRUE(scan.tags);
    EXPECT_EQ(*scan.tags, *cold.at(name).tags) << name;
  }

  // A restart with the same --cache-dir fetches no manifest and no blob.
  auto restarted = Service(Options());
  auto again = restarted->scanner().Scan(targets);
  for (const auto& [name, scan] : again) {
    ASSERT_TRUE(scan.tags);
    ASSERT_EQ(scan.tags->size(), cold.at(name).tags->size());
    for (size_t i = 0; i < scan.tags->size(); ++i) {
      EXPECT_EQ((*scan.tags)[i].created, (*cold.at(name).tags)[i].created);
    }
  }
  auto m = restarted->metrics().Read();
  EXPECT_EQ(m.Count(RequestKind::kManifest), 0u);
  EXPECT_EQ(m.Count(RequestKind::kBlob), 0u);
  EXPECT_EQ(m.Count(RequestKind::kTags), 3u);
}

TEST_F(ScannerRegistryTest, SemverAlphabeticalNumericalFetchNoMetadata) {
  RegistryOptions o = Options();
  o.cache_dir = "";
  auto s = Service(o);
  auto results = s->scanner().Scan({Target(Image("team/semver"), "semver:^1"),
                                    Target(Image("team/docker"), "alphabetical:v*"),
                                    Target(Image("team/equal"), "numerical:*")});
  for (const auto& [name, scan] : results) ASSERT_TRUE(scan.tags) << name;
  auto m = s->metrics().Read();
  EXPECT_EQ(m.Count(RequestKind::kManifest), 0u);
  EXPECT_EQ(m.Count(RequestKind::kBlob), 0u);
  std::vector<image::TagInfo> infos;
  for (const auto& t : *results.at(Image("team/semver").CanonicalName()).tags)
    infos.push_back(t.Info());
  EXPECT_EQ(image::TagFilter::Parse("semver:^1")->Select(infos).front().tag, "1.10.0");
}

TEST_F(ScannerRegistryTest, WantedTagsGetMetadataWhateverTheFilter) {
  RegistryOptions o = Options();
  o.cache_dir = "";
  auto s = Service(o);
  ScanTarget t = Target(Image("team/semver"), "semver:^1");
  t.wanted = {"latest"};
  auto result = s->scanner().ScanRepository(t);
  ASSERT_TRUE(result);
  for (const auto& tag : *result)
    EXPECT_EQ(tag.created.has_value(), tag.tag == "latest") << tag.tag;
  EXPECT_EQ(s->metrics().Read().Count(RequestKind::kManifest), 1u);
}

TEST_F(ScannerRegistryTest, UnknownRepositoryAndDeadHostFailAloneAndExcludedAreSkipped) {
  RegistryOptions o = Options();
  o.exclude_images = {server_->host() + "/team/oci"};
  o.timeout = std::chrono::milliseconds(1000);
  std::string dead = "127.0.0.1:" + std::to_string(testing::FreePort());
  o.insecure_hosts.push_back(dead);
  auto s = Service(o);
  auto dead_a = *image::ImageRef::Parse(dead + "/a");
  auto dead_b = *image::ImageRef::Parse(dead + "/b");
  auto results = s->scanner().Scan(
      {Target(Image("team/docker"), "glob:*"), Target(Image("no/such-repo"), "glob:*"),
       Target(Image("team/oci"), "glob:*"), Target(dead_a, "glob:*"), Target(dead_b, "glob:*")});
  ASSERT_EQ(results.size(), 5u);
  EXPECT_TRUE(results.at(Image("team/docker").CanonicalName()).tags);
  auto& unknown = results.at(Image("no/such-repo").CanonicalName()).tags;
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kNotFound);
  EXPECT_NE(unknown.error().message.find("no/such-repo"), std::string::npos);
  auto& excluded = results.at(Image("team/oci").CanonicalName());
  EXPECT_TRUE(excluded.excluded);
  EXPECT_FALSE(excluded.tags);
  for (const auto& image : {dead_a, dead_b}) {
    auto& down = results.at(image.CanonicalName()).tags;
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().kind, ErrorKind::kTransient);
    EXPECT_NE(down.error().message.find(dead), std::string::npos);
  }
  // The dead host was pinged for one repository, not probed again for the other.
  EXPECT_LE(s->metrics().Read().CountHost(dead), 4u);
}

TEST_F(ScannerRegistryTest, IncludeGlobsLimitScanning) {
  RegistryOptions o = Options();
  o.include_images = {"*/team/d*"};
  auto s = Service(o);
  EXPECT_FALSE(s->scanner().Excluded(Image("team/docker")));
  EXPECT_TRUE(s->scanner().Excluded(Image("team/oci")));
  EXPECT_TRUE(s->scanner().Excluded(*image::ImageRef::Parse("nginx")));
  o.include_images = {};
  o.exclude_images = {"docker.io/library/*"};
  auto t = Service(o);
  EXPECT_TRUE(t->scanner().Excluded(*image::ImageRef::Parse("nginx:1.25")));
  EXPECT_FALSE(t->scanner().Excluded(*image::ImageRef::Parse("ghcr.io/x/nginx")));
  // Flux v1 spelled Docker Hub `index.docker.io/...`: the same images.
  for (std::string spelling : {"index.docker.io/library/*", "registry-1.docker.io/library/*"}) {
    o.exclude_images = {spelling};
    auto u = Service(o);
    EXPECT_TRUE(u->scanner().Excluded(*image::ImageRef::Parse("nginx:1.25"))) << spelling;
    EXPECT_FALSE(u->scanner().Excluded(*image::ImageRef::Parse("ghcr.io/x/nginx"))) << spelling;
  }
  o.exclude_images = {};
  o.include_images = {"index.docker.io/library/nginx"};
  auto v = Service(o);
  EXPECT_FALSE(v->scanner().Excluded(*image::ImageRef::Parse("docker.io/nginx")));
  EXPECT_TRUE(v->scanner().Excluded(*image::ImageRef::Parse("docker.io/library/redis")));
}

TEST_F(ScannerRegistryTest, ListImagesForTheCli) {
  auto s = Service(Options());
  auto current = *image::ImageRef::Parse(server_->host() + "/team/docker:v2");
  auto semver = *image::ImageRef::Parse(server_->host() + "/team/semver:1.2.0");
  auto missing = *image::ImageRef::Parse(server_->host() + "/no/such:1");
  auto listings = ListImages(s->scanner(), {{current, *image::TagFilter::Parse("glob:v*")},
                                            {semver, *image::TagFilter::Parse("semver:~1.2")},
                                            {missing, *image::TagFilter::Parse("*")}});
  ASSERT_EQ(listings.size(), 3u);

  const ImageListing& docker = listings[0];
  EXPECT_EQ(docker.error, "");
  std::vector<std::string> order;
  for (const auto& t : docker.available) order.push_back(t.tag);
  EXPECT_EQ(order, (std::vector<std::string>{"v3", "v2", "v1"}));
  ASSERT_TRUE(docker.current);
  EXPECT_EQ(docker.current->tag, "v2");
  EXPECT_EQ(FormatRfc3339(*docker.current->created), "2024-02-01T00:00:00Z");
  EXPECT_TRUE(docker.current->digest.starts_with("sha256:"));
  ASSERT_TRUE(docker.latest_filtered);
  EXPECT_EQ(docker.latest_filtered->tag, "v3");

  const ImageListing& sem = listings[1];
  order.clear();
  for (const auto& t : sem.available) order.push_back(t.tag);
  // Semver order first; tags that are no version come after, latest included.
  ASSERT_EQ(order.size(), 5u);
  EXPECT_EQ(std::vector<std::string>(order.begin(), order.begin() + 3),
            (std::vector<std::string>{"1.10.0", "1.2.0", "1.0.0"}));
  ASSERT_TRUE(sem.latest_filtered);
  EXPECT_EQ(sem.latest_filtered->tag, "1.2.0");
  ASSERT_TRUE(sem.current);
  EXPECT_TRUE(sem.current->created.has_value());  // the current tag always gets a time

  EXPECT_TRUE(listings[2].available.empty());
  EXPECT_NE(listings[2].error.find("not found"), std::string::npos);
  EXPECT_FALSE(listings[2].latest_filtered);
}

}  // namespace
}  // namespace tagflow::registry
