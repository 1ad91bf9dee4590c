// SSH host key verification against an OpenSSH known_hosts file
// (`--git-known-hosts`). libgit2 1.5 only consults $HOME/.ssh/known_hosts by
// itself, so tagflow checks the key the server presented in libgit2's
// certificate callback with this code instead.
//
// Supported: plain host patterns (comma lists, `*` and `?` wildcards, `!`
// negation), hashed names (`|1|salt|hash`, as `ssh-keygen -H` writes), the
// `[host]:port` form for ports other than 22, `@revoked` lines. Lines marked
// `@cert-authority` are ignored (certificates are not supported).
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow::git {

// "SHA256:<unpadded base64 of sha256(key)>", as `ssh-keygen -l` prints it.
// `key_blob` is the raw public key in SSH wire format.
std::string HostKeyFingerprint(std::string_view key_blob);

// The key type named at the start of a wire-format key ("ssh-ed25519"), or
// "unknown".
std::string HostKeyType(std::string_view key_blob);

// The name a host is recorded under: "host" on port 22, "[host]:port" else.
std::string KnownHostsName(std::string_view host, int port);

// Succeeds when `known_hosts` (file contents) holds a line for host:port with
// exactly `key_blob`, and no `@revoked` line for that key. Otherwise a
// kUnauthorized error that names the host, the key type and its fingerprint,
// says whether the key is unknown, changed (the host is listed with other
// keys) or revoked, and names `source` (the file) to fix.
[[nodiscard]] Result<void> CheckKnownHost(std::string_view known_hosts, std::string_view source,
                                          std::string_view host, int port,
                                          std::string_view key_blob);

}  // namespace tagflow::git
