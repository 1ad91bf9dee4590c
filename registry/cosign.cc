#include "registry/cosign.h"

#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"

namespace tagflow::registry {

struct CosignKeys::Key {
  std::string name;  // the file, for messages
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pkey{nullptr, &EVP_PKEY_free};
};

namespace {

constexpr std::string_view kSha256Prefix = "sha256:";
// A PEM file past this is not a public key.
constexpr size_t kMaxKeyFileBytes = 64 * 1024;

bool IsLowerHex(std::string_view s) {
  return s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

}  // namespace

Result<std::string> CosignSignatureTag(std::string_view digest) {
  if (!digest.starts_with(kSha256Prefix) || digest.size() != kSha256Prefix.size() + 64 ||
      !IsLowerHex(digest.substr(kSha256Prefix.size()))) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} is not a sha256 digest; no cosign signature tag for it", digest));
  }
  return fmt::format("sha256-{}.sig", digest.substr(kSha256Prefix.size()));
}

Result<std::string> SimpleSigningDigest(std::string_view payload) {
  std::optional<nlohmann::json> doc = ParseJson(payload);
  if (!doc || !doc->is_object()) {
    return Fail(ErrorKind::kInvalidInput, "the signed payload is not a JSON object");
  }
  const nlohmann::json& critical = JsonMember(*doc, "critical");
  std::string type = JsonString(critical, "type");
  if (type != kCosignPayloadType) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("the signed payload's critical.type is \"{}\", not \"{}\"",
                            EscapeControl(type.substr(0, 80)), kCosignPayloadType));
  }
  std::string digest = JsonString(JsonMember(critical, "image"), "docker-manifest-digest");
  if (digest.empty()) {
    return Fail(ErrorKind::kInvalidInput,
                "the signed payload has no critical.image.docker-manifest-digest");
  }
  return digest;
}

Result<std::vector<CosignLayer>> CosignLayers(std::string_view manifest) {
  std::optional<nlohmann::json> doc = ParseJson(manifest);
  if (!doc || !doc->is_object()) {
    return Fail(ErrorKind::kInvalidInput, "the signature manifest is not a JSON object");
  }
  const nlohmann::json& layers = JsonMember(*doc, "layers");
  if (!layers.is_array()) {
    return Fail(ErrorKind::kInvalidInput, "the signature manifest has no layers");
  }
  std::vector<CosignLayer> out;
  for (const nlohmann::json& layer : layers) {
    if (JsonString(layer, "mediaType") != kCosignPayloadMediaType) continue;
    std::string signature =
        JsonString(JsonMember(layer, "annotations"), kCosignSignatureAnnotation);
    std::string digest = JsonString(layer, "digest");
    const nlohmann::json& size = JsonMember(layer, "size");
    if (signature.empty() || digest.empty()) continue;
    out.push_back(CosignLayer{digest, size.is_number_integer() ? size.get<int64_t>() : -1,
                              std::move(signature)});
  }
  return out;
}

Result<CosignKeys> CosignKeys::FromPem(std::string_view pem, std::string_view name) {
  auto key = std::make_shared<Key>();
  key->name = std::string(name);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
  if (bio) key->pkey.reset(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key->pkey) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("--cosign-key {}: no PEM public key (\"-----BEGIN PUBLIC KEY-----\")", name));
  }
  char group[64] = {};
  size_t group_len = 0;
  if (!EVP_PKEY_is_a(key->pkey.get(), "EC") ||
      EVP_PKEY_get_utf8_string_param(key->pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof(group), &group_len) != 1 ||
      std::string_view(group, group_len) != "prime256v1") {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--cosign-key {}: not an ECDSA P-256 public key (as cosign "
                            "generate-key-pair makes)",
                            name));
  }
  CosignKeys keys;
  keys.keys_.push_back(std::move(key));
  return keys;
}

Result<CosignKeys> CosignKeys::LoadFiles(const std::vector<std::string>& paths) {
  CosignKeys keys;
  for (const std::string& path : paths) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--cosign-key {}: cannot read the file", path));
    }
    std::string pem(kMaxKeyFileBytes + 1, '\0');
    in.read(pem.data(), static_cast<std::streamsize>(pem.size()));
    if (in.bad()) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--cosign-key {}: cannot read the file", path));
    }
    pem.resize(static_cast<size_t>(in.gcount()));
    if (pem.size() > kMaxKeyFileBytes) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("--cosign-key {}: larger than {} bytes, not a public key", path,
                              kMaxKeyFileBytes));
    }
    Result<CosignKeys> one = FromPem(pem, path);
    if (!one) return Fail(one.error());
    keys.keys_.push_back(std::move(one->keys_.front()));
  }
  return keys;
}

Result<void> CosignKeys::Verify(std::string_view payload, std::string_view signature_b64) const {
  std::optional<std::string> der = Base64Decode(signature_b64);
  if (!der || der->empty()) {
    return Fail(ErrorKind::kInvalidInput, "the signature annotation is not base64");
  }
  for (const auto& key : keys_) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!ctx ||
        EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key->pkey.get()) != 1) {
      continue;
    }
    int ok = EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(der->data()),
                              der->size(), reinterpret_cast<const unsigned char*>(payload.data()),
                              payload.size());
    if (ok == 1) return {};
  }
  return Fail(ErrorKind::kInvalidInput, "the signature does not verify against any --cosign-key");
}

Result<void> VerifyCosignManifest(const CosignKeys& keys, std::string_view manifest,
                                  std::string_view digest, const CosignBlobFetch& fetch) {
  if (keys.empty()) {
    return Fail(ErrorKind::kInvalidInput, "no --cosign-key is configured to verify with");
  }
  Result<std::vector<CosignLayer>> layers = CosignLayers(manifest);
  if (!layers) return Fail(layers.error());
  Error last{ErrorKind::kInvalidInput,
             fmt::format("the signature manifest has no {} layer with a {} annotation",
                         kCosignPayloadMediaType, kCosignSignatureAnnotation)};
  for (const CosignLayer& layer : *layers) {
    if (layer.size < 0 || static_cast<size_t>(layer.size) > kMaxCosignPayloadBytes) {
      last = Error{ErrorKind::kInvalidInput,
                   fmt::format("a signed payload's size is not between 0 and {} bytes",
                               kMaxCosignPayloadBytes)};
      continue;
    }
    Result<std::string> payload = fetch(layer.digest, kMaxCosignPayloadBytes);
    if (!payload) {
      if (payload.error().kind == ErrorKind::kTransient ||
          payload.error().kind == ErrorKind::kUnauthorized) {
        return Fail(payload.error());
      }
      last = payload.error();
      continue;
    }
    if (Result<void> ok = keys.Verify(*payload, layer.signature); !ok) {
      last = ok.error();
      continue;
    }
    Result<std::string> named = SimpleSigningDigest(*payload);
    if (!named) {
      last = named.error();
      continue;
    }
    if (*named != digest) {
      last = Error{ErrorKind::kInvalidInput,
                   fmt::format("the signed payload names {}, not {}", *named, digest)};
      continue;
    }
    return {};
  }
  return Fail(last);
}

}  // namespace tagflow::registry
