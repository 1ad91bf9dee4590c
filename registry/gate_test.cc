// Release gates and digest tracking in the scanner, against a real
// docker-registry 2.8: tagflow.io/min-age with an injected FakeClock (only
// the candidates the walk must check get metadata, newest first), cosign
// signatures laid out as `cosign sign --key` does (signed with `openssl`),
// and CurrentDigest's one HEAD.
#include <gtest/gtest.h>

#include "registry/scanner.h"
#include "registry/service.h"
#include "test/support/cosign_signer.h"
#include "test/support/registry_server.h"

namespace tagflow::registry {
namespace {

using std::chrono::minutes;
using testing::CosignSigner;
using testing::RegistryServer;
using testing::SyntheticImage;

SyntheticImage At(const std::string& created, const std::string& salt = "") {
  SyntheticImage s;
  s.created = created;
  s.salt = salt;
  return s;
}

class GateTest : public ::testing::Test {
 protected:
  RegistryOptions Options() const {
    RegistryOptions o;
    o.insecure_hosts = {server_.host()};
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
  image::ImageRef Image(const std::string& path) const {
    return *image::ImageRef::Parse(server_.host() + "/" + path + ":1.0.0");
  }
  static ScanTarget Gated(image::ImageRef image, const char* filter, GatedPolicy gate) {
    gate.filter = *image::TagFilter::Parse(filter);
    ScanTarget t{std::move(image), {*image::TagFilter::Parse(filter)}, {}};
    t.gated.push_back(std::move(gate));
    return t;
  }
  static std::map<std::string, const TagMetadata*> ByTag(const std::vector<TagMetadata>& tags) {
    std::map<std::string, const TagMetadata*> out;
    for (const auto& t : tags) out[t.tag] = &t;
    return out;
  }

  RegistryServer server_;
  testing::TempDir cache_dir_;
  FakeClock clock_;  // 2024-01-01T00:00:00Z
};

TEST_F(GateTest, MinAgeFetchesCreationTimesNewestFirstUntilOnePasses) {
  server_.PushImage("team/aged", "1.0.0", At("2023-06-01T00:00:00Z"));
  server_.PushImage("team/aged", "1.1.0", At("2023-12-01T00:00:00Z"));  // a month old
  server_.PushImage("team/aged", "1.2.0", At("2023-12-31T23:00:00Z"));  // 60 min old
  server_.PushImage("team/aged", "1.3.0", At("2023-12-31T23:50:00Z"));  // 10 min old
  auto s = Service(Options());
  ScanTarget target =
      Gated(Image("team/aged"), "semver:*", GatedPolicy{{}, "1.0.0", minutes(30), false});

  auto scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  auto tags = ByTag(*scanned);
  EXPECT_TRUE(tags["1.3.0"]->created);   // checked: too young
  EXPECT_TRUE(tags["1.2.0"]->created);   // checked: passes, the walk stops
  EXPECT_FALSE(tags["1.1.0"]->created);  // never needed
  EXPECT_FALSE(tags["1.0.0"]->created);
  auto first = s->metrics().Read();
  EXPECT_EQ(first.Count(RequestKind::kManifest), 2u);
  EXPECT_EQ(first.Count(RequestKind::kBlob), 2u);

  // Twenty minutes on, 1.3.0 comes of age: the next scan sees it from the
  // cache, with no metadata request (its creation time is known forever).
  clock_.Advance(minutes(20));
  scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  tags = ByTag(*scanned);
  ASSERT_TRUE(tags["1.3.0"]->created);
  EXPECT_GE(clock_.Now() - *tags["1.3.0"]->created, minutes(30));
  auto second = s->metrics().Read();
  EXPECT_EQ(second.Count(RequestKind::kManifest), 2u);
  EXPECT_EQ(second.Count(RequestKind::kBlob), 2u);
  EXPECT_EQ(second.Count(RequestKind::kTags), 2u);
}

TEST_F(GateTest, MinAgeWalkRespectsTheMetadataBudget) {
  server_.PushImage("team/budget", "1.0.0", At("2023-06-01T00:00:00Z"));
  server_.PushImage("team/budget", "1.1.0", At("2023-12-01T00:00:00Z"));
  server_.PushImage("team/budget", "1.2.0", At("2023-12-31T23:59:00Z"));  // young
  RegistryOptions o = Options();
  o.metadata_budget = 2;  // one tag's manifest and config per scan
  auto s = Service(o);
  ScanTarget target =
      Gated(Image("team/budget"), "semver:*", GatedPolicy{{}, "1.0.0", minutes(30), false});
  auto scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  auto tags = ByTag(*scanned);
  EXPECT_TRUE(tags["1.2.0"]->created);
  EXPECT_TRUE(tags["1.1.0"]->deferred);  // its turn comes next scan
  scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  tags = ByTag(*scanned);
  EXPECT_FALSE(tags["1.1.0"]->deferred);
  EXPECT_TRUE(tags["1.1.0"]->created);
}

TEST_F(GateTest, CosignWalkSkipsUnsignedAndBadlySignedTagsDownToASignedOne) {
  CosignSigner signer;
  CosignSigner stranger;
  const std::string repo = "team/signed";
  std::string name = server_.host() + "/" + repo;
  server_.PushImage(repo, "1.0.0", At("2023-06-01T00:00:00Z", "a"));
  std::string d11 = server_.PushImage(repo, "1.1.0", At("2023-07-01T00:00:00Z", "b"));
  server_.PushImage(repo, "1.2.0", At("2023-08-01T00:00:00Z", "c"));  // unsigned
  std::string d13 = server_.PushImage(repo, "1.3.0", At("2023-09-01T00:00:00Z", "d"));
  std::string d14 = server_.PushImage(repo, "1.4.0", At("2023-10-01T00:00:00Z", "e"));
  std::string d15 = server_.PushImage(repo, "1.5.0", At("2023-11-01T00:00:00Z", "f"));
  std::string p11 = CosignSigner::Payload(name, d11);
  server_.PushCosignSignature(repo, d11, p11, signer.Sign(p11));
  // 1.3.0: the payload was tampered with after signing.
  std::string p13 = CosignSigner::Payload(name, d13);
  std::string tampered = CosignSigner::Payload("evil.example/" + repo, d13);
  server_.PushCosignSignature(repo, d13, tampered, signer.Sign(p13));
  // 1.4.0: signed by a key nobody configured.
  std::string p14 = CosignSigner::Payload(name, d14);
  server_.PushCosignSignature(repo, d14, p14, stranger.Sign(p14));
  // 1.5.0: a valid signature, but of 1.1.0's digest, replayed under its tag.
  server_.PushCosignSignature(repo, d15, p11, signer.Sign(p11));

  RegistryOptions o = Options();
  o.cosign_keys = {signer.public_key_path()};
  auto s = Service(o);
  ScanTarget target = Gated(Image(repo), "semver:*", GatedPolicy{{}, "1.0.0", std::nullopt, true});
  auto scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  auto tags = ByTag(*scanned);
  EXPECT_EQ(tags["1.5.0"]->signature, SignatureState::kInvalid);
  EXPECT_NE(tags["1.5.0"]->signature_problem.find("names " + d11), std::string::npos)
      << tags["1.5.0"]->signature_problem;
  EXPECT_EQ(tags["1.4.0"]->signature, SignatureState::kInvalid);
  EXPECT_NE(tags["1.4.0"]->signature_problem.find("does not verify"), std::string::npos);
  EXPECT_EQ(tags["1.3.0"]->signature, SignatureState::kInvalid);
  EXPECT_NE(tags["1.3.0"]->signature_problem.find("does not verify"), std::string::npos);
  EXPECT_EQ(tags["1.2.0"]->signature, SignatureState::kInvalid);
  EXPECT_NE(tags["1.2.0"]->signature_problem.find("not signed"), std::string::npos);
  EXPECT_EQ(tags["1.1.0"]->signature, SignatureState::kValid);
  EXPECT_EQ(tags["1.1.0"]->digest, d11);
  EXPECT_EQ(tags["1.0.0"]->signature, SignatureState::kUnchecked);  // the current tag
  // Sig tags are listed like any tag, and semver never matches them.
  EXPECT_TRUE(tags.contains("sha256-" + d11.substr(7) + ".sig"));

  // Again: valid signatures are remembered, rejected .sig manifests are
  // fetched again (they may be re-pushed) but their payloads are not.
  auto before = s->metrics().Read();
  scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  EXPECT_EQ(ByTag(*scanned)["1.1.0"]->signature, SignatureState::kValid);
  auto after = s->metrics().Read();
  EXPECT_EQ(after.Count(RequestKind::kBlob), before.Count(RequestKind::kBlob));
  EXPECT_EQ(after.Count(RequestKind::kManifest) - before.Count(RequestKind::kManifest), 3u);
}

TEST_F(GateTest, ATrackedCurrentTagIsCheckedAgainAfterARepush) {
  CosignSigner signer;
  const std::string repo = "team/tracked";
  image::ImageRef image = *image::ImageRef::Parse(server_.host() + "/" + repo + ":latest");
  std::string d1 = server_.PushImage(repo, "latest", At("2023-06-01T00:00:00Z"));
  std::string p1 = CosignSigner::Payload(image.Name(), d1);
  server_.PushCosignSignature(repo, d1, p1, signer.Sign(p1));
  RegistryOptions o = Options();
  o.cosign_keys = {signer.public_key_path()};
  auto s = Service(o);
  ScanTarget target = Gated(image, "glob:latest",
                            GatedPolicy{{}, "latest", std::nullopt, true, /*track_digest=*/true});
  target.wanted = {"latest"};
  auto scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  EXPECT_EQ(ByTag(*scanned)["latest"]->signature, SignatureState::kValid);

  std::string d2 = server_.PushImage(repo, "latest", At("2023-07-01T00:00:00Z"));  // unsigned
  ASSERT_EQ(*s->scanner().CurrentDigest(image, "latest"), d2);
  scanned = s->scanner().ScanRepository(target);
  ASSERT_TRUE(scanned) << scanned.error().message;
  const TagMetadata* latest = ByTag(*scanned)["latest"];
  EXPECT_EQ(latest->digest, d2);
  EXPECT_EQ(latest->signature, SignatureState::kInvalid);
  EXPECT_NE(latest->signature_problem.find("not signed"), std::string::npos);
}

TEST_F(GateTest, CosignWithoutKeysRejectsEverySignature) {
  CosignSigner signer;
  std::string d = server_.PushImage("team/nokeys", "1.1.0", At("2023-07-01T00:00:00Z"));
  server_.PushImage("team/nokeys", "1.0.0", At("2023-06-01T00:00:00Z"));
  std::string p = CosignSigner::Payload(server_.host() + "/team/nokeys", d);
  server_.PushCosignSignature("team/nokeys", d, p, signer.Sign(p));
  auto s = Service(Options());
  auto scanned = s->scanner().ScanRepository(
      Gated(Image("team/nokeys"), "semver:*", GatedPolicy{{}, "1.0.0", std::nullopt, true}));
  ASSERT_TRUE(scanned) << scanned.error().message;
  auto tags = ByTag(*scanned);
  EXPECT_EQ(tags["1.1.0"]->signature, SignatureState::kInvalid);
  EXPECT_NE(tags["1.1.0"]->signature_problem.find("--cosign-key"), std::string::npos);
}

TEST_F(GateTest, AMissingCosignKeyFileIsAStartupErrorNamingIt) {
  RegistryOptions o = Options();
  o.cosign_keys = {(cache_dir_.path() / "nope.pub").string()};
  auto s = RegistryService::Create(o, clock_);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("--cosign-key " + o.cosign_keys[0]), std::string::npos)
      << s.error().message;
}

TEST_F(GateTest, CurrentDigestIsOneHeadAndFollowsARepush) {
  std::string first = server_.PushImage("team/mutable", "latest", At("2023-06-01T00:00:00Z"));
  auto s = Service(Options());
  image::ImageRef image = *image::ImageRef::Parse(server_.host() + "/team/mutable:latest");
  ASSERT_TRUE(s->scanner().ScanRepository(
      ScanTarget{image, {*image::TagFilter::Parse("glob:latest")}, {}}));
  auto before = s->metrics().Read();
  Result<std::string> d = s->scanner().CurrentDigest(image, "latest");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, first);
  auto after = s->metrics().Read();
  EXPECT_EQ(after.Count(RequestKind::kManifestHead) - before.Count(RequestKind::kManifestHead), 1u);
  EXPECT_EQ(after.Count(RequestKind::kManifest), before.Count(RequestKind::kManifest));

  std::string second = server_.PushImage("team/mutable", "latest", At("2023-07-01T00:00:00Z"));
  ASSERT_NE(first, second);
  d = s->scanner().CurrentDigest(image, "latest");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, second);
  // The cache now names the new digest: the next scan reads the new image.
  auto scanned =
      s->scanner().ScanRepository(ScanTarget{image, {*image::TagFilter::Parse("glob:latest")}, {}});
  ASSERT_TRUE(scanned) << scanned.error().message;
  auto tags = ByTag(*scanned);
  EXPECT_EQ(tags["latest"]->digest, second);
  ASSERT_TRUE(tags["latest"]->created);
  EXPECT_EQ(FormatRfc3339(*tags["latest"]->created), "2023-07-01T00:00:00Z");

  Result<std::string> gone = s->scanner().CurrentDigest(image, "nope");
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace tagflow::registry
