// Cosign signatures made with a key pair (`cosign sign --key`), checked
// offline against the public keys of --cosign-key (DESIGN.md §2,
// tagflow.io/verify). Keyless signatures (Fulcio certificates, Rekor
// entries) are out of scope: they need the internet.
//
// How cosign lays a signature out in the image's own repository:
//
//   tag  sha256-<hex of the signed digest>.sig
//   manifest (OCI image manifest), one layer per signature:
//     mediaType   application/vnd.dev.cosign.simplesigning.v1+json
//     digest      the payload blob
//     annotations dev.cosignproject.cosign/signature: base64(DER ECDSA
//                 signature over SHA-256 of the payload bytes)
//   payload (simple signing):
//     {"critical": {"identity": {"docker-reference": "..."},
//                   "image": {"docker-manifest-digest": "sha256:..."},
//                   "type": "cosign container image signature"},
//      "optional": {...}}
//
// A digest is signed when one layer's signature verifies against one key
// and its payload names that digest. Pure except for the blob fetch the
// caller passes in.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow::registry {

inline constexpr std::string_view kCosignPayloadMediaType =
    "application/vnd.dev.cosign.simplesigning.v1+json";
inline constexpr std::string_view kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";
inline constexpr std::string_view kCosignPayloadType = "cosign container image signature";
// Payload blobs are a few hundred bytes; anything past this is refused.
inline constexpr size_t kMaxCosignPayloadBytes = 64 * 1024;

// "sha256-<hex>.sig" for "sha256:<hex>"; kInvalidInput for another shape.
[[nodiscard]] Result<std::string> CosignSignatureTag(std::string_view digest);

// The `critical.image.docker-manifest-digest` of a simple-signing payload.
// kInvalidInput, saying why, when the payload is not JSON, has no such
// string, or its `critical.type` is not kCosignPayloadType.
[[nodiscard]] Result<std::string> SimpleSigningDigest(std::string_view payload);

// One signature layer of a `.sig` manifest.
struct CosignLayer {
  std::string digest;     // the payload blob
  int64_t size = 0;       // as the manifest says
  std::string signature;  // base64, as annotated
};

// The signature layers of a `.sig` manifest body (layers of the payload
// media type that carry the signature annotation). kInvalidInput when the
// body is not an image manifest; an empty list when no layer qualifies.
[[nodiscard]] Result<std::vector<CosignLayer>> CosignLayers(std::string_view manifest);

// The --cosign-key public keys: ECDSA P-256 in PEM (SubjectPublicKeyInfo,
// "-----BEGIN PUBLIC KEY-----", as `cosign generate-key-pair` writes).
// Immutable after loading; copies share the keys; thread-safe.
class CosignKeys {
 public:
  CosignKeys() = default;
  // Reads every file of `paths`. kInvalidInput naming --cosign-key and the
  // file when one cannot be read, holds no PEM public key, or is not an
  // ECDSA P-256 key.
  [[nodiscard]] static Result<CosignKeys> LoadFiles(const std::vector<std::string>& paths);
  // One key from PEM text; `name` goes into error messages.
  [[nodiscard]] static Result<CosignKeys> FromPem(std::string_view pem, std::string_view name);

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }

  // Success when `signature_b64` (base64 of an ASN.1 DER ECDSA signature)
  // verifies `payload` (SHA-256) against one of the keys; kInvalidInput
  // saying why otherwise (not base64, no key verifies it).
  [[nodiscard]] Result<void> Verify(std::string_view payload, std::string_view signature_b64) const;

 private:
  struct Key;
  std::vector<std::shared_ptr<const Key>> keys_;
};

// Fetches the blob `digest` (verified) of at most `max_bytes`.
using CosignBlobFetch =
    std::function<Result<std::string>(const std::string& digest, size_t max_bytes)>;

// Whether the `.sig` manifest body `manifest` holds a signature of `digest`
// by one of `keys`: each signature layer's payload is fetched (at most
// kMaxCosignPayloadBytes) and checked until one is valid. kInvalidInput with
// the reason of the last layer tried ("no signature layer", "the signature
// does not verify against any --cosign-key", "the payload names sha256:...,
// not ...") when none is; a failed fetch is returned as is.
[[nodiscard]] Result<void> VerifyCosignManifest(const CosignKeys& keys, std::string_view manifest,
                                                std::string_view digest,
                                                const CosignBlobFetch& fetch);

}  // namespace tagflow::registry
