#include "test/support/cosign_signer.h"

#include <stdexcept>

#include "base/encoding.h"

namespace tagflow::testing {

CosignSigner::CosignSigner() {
  std::string key = (dir_.path() / "cosign.key").string();
  std::string output;
  int rc = RunShell("openssl ecparam -name prime256v1 -genkey -noout -out " + ShellQuote(key) +
                        " && openssl ec -in " + ShellQuote(key) + " -pubout -out " +
                        ShellQuote(public_key_path()),
                    &output);
  if (rc != 0) throw std::runtime_error("openssl key generation failed: " + output);
}

std::string CosignSigner::Sign(const std::string& payload) const {
  std::filesystem::path in = dir_.path() / "payload.json";
  std::filesystem::path out = dir_.path() / "payload.sig";
  WriteFile(in, payload);
  std::string output;
  int rc =
      RunShell("openssl dgst -sha256 -sign " + ShellQuote((dir_.path() / "cosign.key").string()) +
                   " -out " + ShellQuote(out.string()) + " " + ShellQuote(in.string()),
               &output);
  if (rc != 0) throw std::runtime_error("openssl signing failed: " + output);
  return Base64Encode(ReadFile(out));
}

std::string CosignSigner::Payload(const std::string& reference, const std::string& digest) {
  return R"({"critical":{"identity":{"docker-reference":")" + reference +
         R"("},"image":{"docker-manifest-digest":")" + digest +
         R"("},"type":"cosign container image signature"},"optional":null})";
}

}  // namespace tagflow::testing
