// Byte encodings the registry client needs: base64 for Basic auth and
// config.json `auth` fields, content digests for verifying what registries
// send (OpenSSL).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "registry/error.h"

namespace tagflow::registry {

// Standard base64 with padding.
std::string Base64Encode(std::string_view data);
// Decodes standard or URL-safe base64, padding optional, whitespace ignored;
// nullopt on any other byte.
std::optional<std::string> Base64Decode(std::string_view text);

// "sha256:<64 hex>" of `data`.
std::string Sha256Digest(std::string_view data);
// Checks that `data` hashes to `digest` ("sha256:..." or "sha512:...").
// kInvalidInput for an unsupported algorithm, kInternal for a mismatch (the
// message names both digests).
[[nodiscard]] Result<void> VerifyDigest(std::string_view digest, std::string_view data);

}  // namespace tagflow::registry
