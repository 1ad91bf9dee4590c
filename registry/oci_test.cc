#include "registry/oci.h"

#include <gtest/gtest.h>

namespace tagflow::registry {
namespace {

TEST(PlatformTest, ParsesAndPrints) {
  auto p = Platform::Parse("linux/arm/v7");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->os, "linux");
  EXPECT_EQ(p->architecture, "arm");
  EXPECT_EQ(p->variant, "v7");
  EXPECT_EQ(p->String(), "linux/arm/v7");
  EXPECT_EQ(Platform::Parse("linux/amd64")->String(), "linux/amd64");
  for (const char* bad : {"", "linux", "linux/", "/amd64", "a/b/c/d", "linux//v7"}) {
    EXPECT_FALSE(Platform::Parse(bad)) << bad;
  }
}

TEST(ManifestTest, ReadsImageManifestsOfBothFamilies) {
  auto docker = ParseManifest("application/vnd.docker.distribution.manifest.v2+json",
                              R"({"schemaVersion":2,"config":{"digest":"sha256:c1"},"layers":[]})");
  ASSERT_TRUE(docker);
  EXPECT_FALSE(docker->is_index);
  EXPECT_EQ(docker->media_type, kDockerManifest);
  EXPECT_EQ(docker->config_digest, "sha256:c1");

  auto oci = ParseManifest("", R"({"mediaType":"application/vnd.oci.image.manifest.v1+json",
                                   "config":{"digest":"sha256:c2"}})");
  ASSERT_TRUE(oci);
  EXPECT_EQ(oci->media_type, kOciManifest);
  EXPECT_EQ(oci->config_digest, "sha256:c2");
}

TEST(ManifestTest, ReadsIndexesAndLists) {
  auto index = ParseManifest("application/vnd.oci.image.index.v1+json; charset=utf-8", R"({
    "schemaVersion": 2,
    "manifests": [
      {"digest": "sha256:a", "platform": {"os": "linux", "architecture": "amd64"}},
      {"digest": "sha256:b", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
      {"digest": "sha256:c", "platform": {"os": "unknown", "architecture": "unknown"}}
    ]})");
  ASSERT_TRUE(index);
  EXPECT_TRUE(index->is_index);
  EXPECT_EQ(index->media_type, kOciIndex);
  ASSERT_EQ(index->entries.size(), 3u);
  EXPECT_EQ(index->entries[1].platform.variant, "v7");
  EXPECT_TRUE(IsIndexType(kDockerManifestList));
}

TEST(ManifestTest, RejectsWhatItCannotRead) {
  EXPECT_EQ(ParseManifest("", "not json").error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(ParseManifest("", "[1]").error().kind, ErrorKind::kInvalidInput);
  auto schema1 = ParseManifest("application/vnd.docker.distribution.manifest.v1+prettyjws",
                               R"({"schemaVersion":1,"fsLayers":[]})");
  ASSERT_FALSE(schema1);
  EXPECT_NE(schema1.error().message.find("manifest.v1+prettyjws"), std::string::npos);
  EXPECT_FALSE(ParseManifest(kDockerManifest, R"({"config":{}})"));
  EXPECT_FALSE(ParseManifest(kOciIndex, R"({"manifests":[{"platform":{}}]})"));
}

TEST(ManifestTest, SelectsThePlatformEntry) {
  Manifest index;
  index.is_index = true;
  index.entries = {{"sha256:arm7", "", {"linux", "arm", "v7"}},
                   {"sha256:arm6", "", {"linux", "arm", "v6"}},
                   {"sha256:arm64", "", {"linux", "arm64", "v8"}},
                   {"sha256:amd64", "", {"linux", "amd64", ""}},
                   {"sha256:win", "", {"windows", "amd64", ""}}};
  auto pick = [&](const char* p) {
    const IndexEntry* e = SelectPlatform(index, *Platform::Parse(p));
    return e ? e->digest : "none";
  };
  EXPECT_EQ(pick("linux/amd64"), "sha256:amd64");
  EXPECT_EQ(pick("windows/amd64"), "sha256:win");
  EXPECT_EQ(pick("linux/arm/v6"), "sha256:arm6");
  EXPECT_EQ(pick("linux/arm/v7"), "sha256:arm7");
  EXPECT_EQ(pick("linux/arm64"), "sha256:arm64");
  EXPECT_EQ(pick("linux/arm64/v8"), "sha256:arm64");
  EXPECT_EQ(pick("linux/s390x"), "none");
  EXPECT_EQ(pick("linux/arm/v5"), "none");
}

TEST(ImageConfigTest, CreatedFromConfigThenLabels) {
  auto config = ParseImageConfig(R"({"created":"2024-01-02T03:04:05Z",
      "config":{"Labels":{"org.opencontainers.image.created":"2020-01-01T00:00:00Z","n":1}}})");
  ASSERT_TRUE(config);
  EXPECT_EQ(FormatRfc3339(*CreationTime(*config)), "2024-01-02T03:04:05Z");
  EXPECT_EQ(config->labels.size(), 1u);  // non-string label values are skipped

  auto oci_label = ParseImageConfig(R"({"created":"0001-01-01T00:00:00Z",
      "config":{"Labels":{"org.opencontainers.image.created":"2021-06-07T08:09:10Z",
                          "org.label-schema.build-date":"2019-01-01T00:00:00Z"}}})");
  EXPECT_EQ(FormatRfc3339(*CreationTime(*oci_label)), "2021-06-07T08:09:10Z");

  auto schema_label = ParseImageConfig(R"({"config":{"Labels":{
      "org.opencontainers.image.created":"garbage",
      "org.label-schema.build-date":"2019-01-01T00:00:00Z"}}})");
  EXPECT_EQ(FormatRfc3339(*CreationTime(*schema_label)), "2019-01-01T00:00:00Z");

  auto none = ParseImageConfig(R"({"created":"1970-01-01T00:00:00Z","config":{"Labels":null}})");
  ASSERT_TRUE(none);
  EXPECT_FALSE(CreationTime(*none).has_value());
  EXPECT_FALSE(ParseImageConfig("<html>"));
}

}  // namespace
}  // namespace tagflow::registry
