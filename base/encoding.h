// Byte encodings, once for every module: base64 (Basic auth, config.json
// `auth`, known_hosts keys), hex, content digests for verifying what
// registries send, and HMAC (webhook signatures, hashed known_hosts). OpenSSL
// underneath.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow {

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

// Lower-case hex of the bytes of `data`.
std::string HexEncode(std::string_view data);

enum class HmacHash { kSha1, kSha256 };

// The raw HMAC of `data` under `key` (20 bytes for SHA-1, 32 for SHA-256).
// SHA-1 only for what mandates it (hashed known_hosts entries).
std::string Hmac(HmacHash hash, std::string_view key, std::string_view data);

// Lower-case hex of HMAC-SHA256(key, data), as webhook signatures carry it.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Compares in time independent of where the strings differ (secrets).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace tagflow
