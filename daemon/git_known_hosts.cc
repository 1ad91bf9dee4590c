#include "daemon/git_known_hosts.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdint>
#include <sstream>
#include <vector>

namespace tagflow::daemon {
namespace {

constexpr std::string_view kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

// Glob with `*` and `?`, as OpenSSH's match_pattern (case-insensitive hosts).
bool GlobMatch(std::string_view text, std::string_view pattern) {
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || lower(pattern[p]) == lower(text[t]))) {
      ++t;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// `|1|base64(salt)|base64(hmac_sha1(salt, name))`.
bool HashedMatch(std::string_view entry, std::string_view name) {
  std::string_view rest = entry.substr(3);
  auto bar = rest.find('|');
  if (bar == std::string_view::npos) return false;
  std::string salt, hash;
  if (!Base64Decode(rest.substr(0, bar), &salt) || !Base64Decode(rest.substr(bar + 1), &hash)) {
    return false;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  HMAC(EVP_sha1(), salt.data(), static_cast<int>(salt.size()),
       reinterpret_cast<const unsigned char*>(name.data()), name.size(), digest, &digest_len);
  return hash == std::string_view(reinterpret_cast<char*>(digest), digest_len);
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
    if (!pattern.empty() && GlobMatch(name, pattern)) {
      if (negated) return false;
      positive = true;
    }
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return positive;
}

}  // namespace

std::string Base64Encode(std::string_view data) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    for (int shift : {18, 12, 6, 0}) out += kBase64Alphabet[(v >> shift) & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t v = uint8_t(data[i]) << 16;
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += kBase64Alphabet[(v >> 18) & 63];
    out += kBase64Alphabet[(v >> 12) & 63];
    out += kBase64Alphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool Base64Decode(std::string_view text, std::string* out) {
  out->clear();
  uint32_t buffer = 0;
  int bits = 0;
  size_t padding = 0;
  for (char c : text) {
    if (c == '=') {
      ++padding;
      continue;
    }
    if (padding > 0) return false;
    auto pos = kBase64Alphabet.find(c);
    if (pos == std::string_view::npos) return false;
    buffer = (buffer << 6) | static_cast<uint32_t>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return padding <= 2 && bits < 6;
}

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
    std::string key;
    if (!Base64Decode(fields[2], &key)) continue;
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

}  // namespace tagflow::daemon
