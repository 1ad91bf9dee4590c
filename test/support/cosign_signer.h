// Signs like `cosign sign --key` for tests, with the `openssl` command line:
// an ECDSA P-256 key pair made by `openssl ecparam -genkey`, the public key
// in PEM (what --cosign-key reads), and base64 DER signatures over SHA-256 of
// a payload (`openssl dgst -sha256 -sign`). Push the result with
// RegistryServer::PushCosignSignature.
#pragma once

#include <filesystem>
#include <string>

#include "test/support/process.h"

namespace tagflow::testing {

class CosignSigner {
 public:
  // Generates the key pair in a temp dir. Throws std::runtime_error with
  // openssl's output when it fails.
  CosignSigner();

  // The PEM public key file ("cosign.pub").
  std::string public_key_path() const { return (dir_.path() / "cosign.pub").string(); }

  // base64 of the DER ECDSA signature of `payload`.
  std::string Sign(const std::string& payload) const;

  // The simple-signing payload cosign signs for `reference` at `digest`.
  static std::string Payload(const std::string& reference, const std::string& digest);

 private:
  TempDir dir_;
};

}  // namespace tagflow::testing
