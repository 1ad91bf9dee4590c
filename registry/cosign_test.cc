#include "registry/cosign.h"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "base/encoding.h"
#include "test/support/process.h"

namespace tagflow::registry {
namespace {

using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A fresh key pair of `curve` ("P-256", as cosign generate-key-pair makes).
KeyPtr NewKey(const char* curve = "P-256") {
  return KeyPtr(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve), &EVP_PKEY_free);
}

std::string PublicPem(EVP_PKEY* key) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), &BIO_free);
  PEM_write_bio_PUBKEY(bio.get(), key);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

// base64(DER ECDSA signature over SHA-256 of `payload`), as cosign annotates.
std::string Sign(EVP_PKEY* key, std::string_view payload) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EXPECT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key), 1);
  size_t len = 0;
  auto data = reinterpret_cast<const unsigned char*>(payload.data());
  EXPECT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, data, payload.size()), 1);
  std::string sig(len, '\0');
  EXPECT_EQ(EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                           payload.size()),
            1);
  sig.resize(len);
  return Base64Encode(sig);
}

const std::string kDigest =
    "sha256:1111111111111111111111111111111111111111111111111111111111111111";

std::string Payload(const std::string& digest) {
  return R"({"critical":{"identity":{"docker-reference":"registry.test/app"},"image":{"docker-manifest-digest":")" +
         digest + R"("},"type":"cosign container image signature"},"optional":null})";
}

std::string SigManifest(const std::vector<std::pair<std::string, std::string>>& layers) {
  std::string out =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[)";
  for (size_t i = 0; i < layers.size(); ++i) {
    const auto& [payload, signature] = layers[i];
    out +=
        (i ? "," : "") +
        std::string(R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":)") +
        std::to_string(payload.size()) + R"(,"digest":")" + Sha256Digest(payload) +
        R"(","annotations":{"dev.cosignproject.cosign/signature":")" + signature + R"("}})";
  }
  return out + "]}";
}

// Serves blobs by digest, counting fetches.
struct Blobs {
  std::map<std::string, std::string> by_digest;
  int fetches = 0;
  void Add(const std::string& blob) { by_digest[Sha256Digest(blob)] = blob; }
  CosignBlobFetch Fetch() {
    return [this](const std::string& digest, size_t max) -> Result<std::string> {
      ++fetches;
      auto it = by_digest.find(digest);
      if (it == by_digest.end()) return Fail(ErrorKind::kNotFound, "blob " + digest + " not found");
      if (it->second.size() > max) return Fail(ErrorKind::kInvalidInput, "too large");
      return it->second;
    };
  }
};

TEST(CosignTest, SignatureTagOfADigest) {
  EXPECT_EQ(*CosignSignatureTag(kDigest),
            "sha256-1111111111111111111111111111111111111111111111111111111111111111.sig");
  EXPECT_FALSE(CosignSignatureTag("sha512:abcd"));
  EXPECT_FALSE(CosignSignatureTag("sha256:XYZ"));
  EXPECT_FALSE(CosignSignatureTag("sha256:../../etc"));
}

TEST(CosignTest, ParsesTheSimpleSigningPayload) {
  Result<std::string> d = SimpleSigningDigest(Payload(kDigest));
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(*d, kDigest);
  EXPECT_FALSE(SimpleSigningDigest("not json"));
  EXPECT_FALSE(SimpleSigningDigest(R"({"critical":{"type":"cosign container image signature"}})"));
  Result<std::string> wrong_type = SimpleSigningDigest(
      R"({"critical":{"image":{"docker-manifest-digest":"sha256:1"},"type":"other"}})");
  ASSERT_FALSE(wrong_type);
  EXPECT_NE(wrong_type.error().message.find("critical.type"), std::string::npos);
}

TEST(CosignTest, VerifiesAGoodSignatureAndRejectsTamperingAndOtherKeys) {
  KeyPtr key = NewKey();
  KeyPtr other = NewKey();
  Result<CosignKeys> keys = CosignKeys::FromPem(PublicPem(key.get()), "cosign.pub");
  ASSERT_TRUE(keys) << keys.error().message;
  std::string payload = Payload(kDigest);
  std::string sig = Sign(key.get(), payload);
  EXPECT_TRUE(keys->Verify(payload, sig));

  std::string tampered = payload;
  tampered[tampered.find("registry.test")] = 'R';
  EXPECT_FALSE(keys->Verify(tampered, sig));
  Result<void> wrong_key = keys->Verify(payload, Sign(other.get(), payload));
  ASSERT_FALSE(wrong_key);
  EXPECT_NE(wrong_key.error().message.find("does not verify"), std::string::npos);
  EXPECT_FALSE(keys->Verify(payload, "%%% not base64"));
  EXPECT_FALSE(keys->Verify(payload, Base64Encode("not DER")));
}

TEST(CosignTest, ManifestWithAValidLayerVerifies) {
  KeyPtr key = NewKey();
  Result<CosignKeys> keys = CosignKeys::FromPem(PublicPem(key.get()), "k.pub");
  ASSERT_TRUE(keys);
  Blobs blobs;
  std::string payload = Payload(kDigest);
  blobs.Add(payload);
  std::string bogus = Payload(kDigest) + " ";
  blobs.Add(bogus);
  // A bad first layer (signed by nobody) does not hide a good second one.
  std::string manifest =
      SigManifest({{bogus, Base64Encode("junk")}, {payload, Sign(key.get(), payload)}});
  Result<void> ok = VerifyCosignManifest(*keys, manifest, kDigest, blobs.Fetch());
  EXPECT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(blobs.fetches, 2);
}

TEST(CosignTest, ManifestRejections) {
  KeyPtr key = NewKey();
  KeyPtr other = NewKey();
  Result<CosignKeys> keys = CosignKeys::FromPem(PublicPem(key.get()), "k.pub");
  ASSERT_TRUE(keys);
  std::string payload = Payload(kDigest);
  std::string sig = Sign(key.get(), payload);
  auto reason = [&](const std::string& manifest, Blobs& blobs, const std::string& digest) {
    Result<void> r = VerifyCosignManifest(*keys, manifest, digest, blobs.Fetch());
    return r ? std::string("ok") : r.error().message;
  };
  {  // the payload blob was replaced by another (the registry serves other bytes)
    Blobs blobs;
    std::string tampered =
        Payload("sha256:2222222222222222222222222222222222222222222222222222222222222222");
    std::string manifest = SigManifest({{tampered, sig}});
    blobs.Add(tampered);
    EXPECT_NE(reason(manifest, blobs, kDigest).find("does not verify"), std::string::npos);
  }
  {  // validly signed, but for another digest
    Blobs blobs;
    blobs.Add(payload);
    std::string other_digest =
        "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    EXPECT_NE(reason(SigManifest({{payload, sig}}), blobs, other_digest).find("names " + kDigest),
              std::string::npos);
  }
  {  // signed by a key that is not configured
    Blobs blobs;
    blobs.Add(payload);
    EXPECT_NE(reason(SigManifest({{payload, Sign(other.get(), payload)}}), blobs, kDigest)
                  .find("does not verify"),
              std::string::npos);
  }
  {  // no signature layer at all
    Blobs blobs;
    EXPECT_NE(reason(SigManifest({}), blobs, kDigest).find("no application/vnd.dev.cosign"),
              std::string::npos);
    EXPECT_EQ(blobs.fetches, 0);
  }
  {  // not a manifest
    Blobs blobs;
    EXPECT_NE(reason("[1,2]", blobs, kDigest).find("not a JSON object"), std::string::npos);
  }
  {  // a payload the manifest says is huge is never fetched
    Blobs blobs;
    std::string manifest = SigManifest({{payload, sig}});
    std::string size = "\"size\":" + std::to_string(payload.size());
    manifest.replace(manifest.find(size), size.size(), "\"size\":99999999");
    EXPECT_NE(reason(manifest, blobs, kDigest).find("size"), std::string::npos);
    EXPECT_EQ(blobs.fetches, 0);
  }
  {  // no keys
    Blobs blobs;
    blobs.Add(payload);
    Result<void> r =
        VerifyCosignManifest(CosignKeys{}, SigManifest({{payload, sig}}), kDigest, blobs.Fetch());
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("no --cosign-key"), std::string::npos);
  }
}

TEST(CosignTest, KeyFilesAreCheckedAtLoad) {
  tagflow::testing::TempDir temp;
  const std::filesystem::path& dir = temp.path();
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  KeyPtr p256 = NewKey();
  KeyPtr p384 = NewKey("P-384");
  std::string good = write("good.pub", PublicPem(p256.get()));
  std::string second = write("second.pub", PublicPem(NewKey().get()));
  Result<CosignKeys> keys = CosignKeys::LoadFiles({good, second});
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->size(), 2u);

  std::string missing = (dir / "missing.pub").string();
  std::string garbage = write("garbage.pub", "hello\n");
  std::string wrong_curve = write("p384.pub", PublicPem(p384.get()));
  for (const std::string& bad : {missing, garbage, wrong_curve}) {
    Result<CosignKeys> r = CosignKeys::LoadFiles({good, bad});
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::kInvalidInput);
    EXPECT_NE(r.error().message.find("--cosign-key " + bad), std::string::npos)
        << r.error().message;
  }
}

}  // namespace
}  // namespace tagflow::registry
