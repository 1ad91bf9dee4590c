#include "git/known_hosts.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdint>
#include <sstream>
#include <vector>

#include "base/encoding.h"
#include "base/glob.h"

namespace tagflow::git {
namespace {

std::vector<std::string_view> SplitFields(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) fields.push_back(line.substr(start, i - start));
  }
  return fields;
}

// `|1|base64(salt)|base64(hmac_sha1(salt, name))`.
bool HashedMatch(std::string_view entry, std::string_view name) {
  std::string_view rest = entry.substr(3);
  auto bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  std::optional<std::string> salt = Base64Decode(rest.substr(0, bar));
  std::optional<std::string> hash = Base64Decode(rest.substr(bar + 1));
  if (!salt || !hash) return false;
  return *hash == Hmac(HmacHash::kSha1, *salt, name);
}

// Whether the host field of a known_hosts line applies to `name`.
bool HostFieldMatches(std::string_view field, std::string_view name) {
  if (field.starts_with("|1|")) return HashedMatch(field, name);
  bool positive = false;
  size_t start = 0;
  while (start <= field.size()) {
    auto comma = field.find(',', start);
    std::string_view pattern = field.substr(start, comma - start);
    bool negated = pattern.starts_with('!');
    if (negated) pattern.remove_prefix(1);
    if (!pattern.empty() && GlobMatch(pattern, name, GlobCase::kInsensitive)) {
      if (negated) return false;
      positive = true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return positive;
}

}  // namespace

std::string HostKeyFingerprint(std::string_view key_blob) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(key_blob.data()), key_blob.size(), digest);
  std::string encoded =
      Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
  while (encoded.ends_with('=')) encoded.pop_back();
  return "SHA256:" + encoded;
}

std::string HostKeyType(std::string_view key_blob) {
  if (key_blob.size() < 4) return "unknown";
  uint32_t len = (uint8_t(key_blob[0]) << 24) | (uint8_t(key_blob[1]) << 16) |
                 (uint8_t(key_blob[2]) << 8) | uint8_t(key_blob[3]);
  if (len == 0 || len > 64 || len > key_blob.size() - 4) return "unknown";
  return std::string(key_blob.substr(4, len));
}

std::string KnownHostsName(std::string_view host, int port) {
  if (port == 22) return std::string(host);
  return fmt::format("[{}]:{}", host, port);
}

Result<void> CheckKnownHost(std::string_view known_hosts, std::string_view source,
                            std::string_view host, int port, std::string_view key_blob) {
  const std::string name = KnownHostsName(host, port);
  bool host_listed = false, matched = false, revoked = false;
  std::istringstream lines{std::string(known_hosts)};
  for (std::string line; std::getline(lines, line);) {
    auto fields = SplitFields(line);
    if (fields.empty() || fields[0].starts_with('#')) continue;
    bool is_revoked = false;
    if (fields[0].starts_with('@')) {
      if (fields[0] != "@revoked") continue;  // @cert-authority: not supported
      is_revoked = true;
      fields.erase(fields.begin());
    }
    if (fields.size() < 3 || !HostFieldMatches(fields[0], name)) continue;
    std::optional<std::string> decoded = Base64Decode(fields[2]);
    if (!decoded) continue;
    const std::string& key = *decoded;
    bool same_key = key == key_blob;
    if (is_revoked) {
      revoked = revoked || same_key;
      continue;
    }
    host_listed = true;
    matched = matched || same_key;
  }
  if (matched && !revoked) return {};
  std::string key_text =
      fmt::format("{} key {}", HostKeyType(key_blob), HostKeyFingerprint(key_blob));
  std::string why = revoked       ? "is marked @revoked in"
                    : host_listed ? "does not match the keys listed (the host key changed?) in"
                                  : "is unknown: no entry for this host in";
  return Fail(ErrorKind::kUnauthorized,
              fmt::format("ssh host key refused: {} presented {}, which {} --git-known-hosts {}",
                          name, key_text, why, source));
}

}  // namespace tagflow::git
