// Registry credentials from Docker `config.json` files (--docker-config,
// repeatable):
//   {"auths": {"<host>": {"auth": base64("user:password")}
//                        | {"username": "...", "password": "..."}
//                        | {"identitytoken": "..."}},
//    "credHelpers": {"<host>": "<name>"},   // docker-credential-<name> for that host
//    "credsStore": "<name>"}                // docker-credential-<name> for every host
// Keys may carry a scheme and path ("https://ghcr.io", "http://host:5000/v2/");
// Docker Hub's key is "https://index.docker.io/v1/".
//
// Precedence inside one file, as the Docker CLI does it: credHelpers[host],
// then credsStore, then auths[host] (Docker writes `auths` entries that only
// mark a login when a store holds the secret). Across files (DockerConfigs):
// the first file that names the host in credHelpers or auths decides; when
// none does, the first file with a credsStore.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace tagflow::registry {

// The username Docker uses for an identity token: `password` then holds an
// OAuth2 refresh token, exchanged at the Bearer realm (auth.h).
inline constexpr std::string_view kIdentityTokenUser = "<token>";

// A username and password (or identity token). Never logged or put in an
// error message.
struct Credentials {
  std::string username;
  std::string password;

  bool IsIdentityToken() const { return username == kIdentityTokenUser; }
};

// Where the credentials of one registry host come from.
struct CredentialSource {
  enum class Kind { kNone, kStatic, kHelper };
  Kind kind = Kind::kNone;
  Credentials credentials;  // kStatic
  std::string helper;       // kHelper: <name> of docker-credential-<name>
  // kHelper from a credsStore: the file's auths entry for the host, used
  // when the store has no credentials for it.
  std::optional<Credentials> fallback;
  std::string file;  // the config file that decided ("" for kNone)
  std::string key;   // "credHelpers", "credsStore" or "auths", for messages
};

class DockerConfig {
 public:
  DockerConfig() = default;

  // Reads and parses `path`. kNotFound when it does not exist; kInvalidInput
  // naming the file and the key at fault (never a secret) when malformed.
  [[nodiscard]] static Result<DockerConfig> Load(const std::filesystem::path& path);
  // Parses config.json text; `source` names it in errors. A helper name that
  // is not [A-Za-z0-9._-]+ is kInvalidInput (it becomes a program name).
  [[nodiscard]] static Result<DockerConfig> Parse(std::string_view json, std::string_view source);

  // Static credentials from `auths` for registry `host` ("ghcr.io",
  // "localhost:5000", "docker.io" or "registry-1.docker.io" for the Hub).
  std::optional<Credentials> For(std::string_view host) const;
  // True when credHelpers or auths (with credentials) has an entry for `host`.
  bool Names(std::string_view host) const;
  // What this file says for `host`, by the precedence above.
  CredentialSource SourceFor(std::string_view host) const;
  const std::string& creds_store() const { return creds_store_; }
  // Hosts with static credentials in auths.
  size_t size() const { return auths_.size(); }

 private:
  std::string source_;
  std::map<std::string, Credentials, std::less<>> auths_;
  std::map<std::string, std::string, std::less<>> helpers_;
  std::string creds_store_;
};

// Several config files (one per mounted pull secret), in flag order.
class DockerConfigs {
 public:
  DockerConfigs() = default;
  explicit DockerConfigs(std::vector<DockerConfig> files) : files_(std::move(files)) {}

  // Loads every path; the first missing or malformed file is an error
  // naming it.
  [[nodiscard]] static Result<DockerConfigs> Load(const std::vector<std::string>& paths);

  // The source for `host`: the first file naming it decides; else the first
  // file with a credsStore; else kNone.
  CredentialSource SourceFor(std::string_view host) const;
  bool empty() const { return files_.empty(); }

 private:
  std::vector<DockerConfig> files_;
};

// The host a config.json key or registry host stands for: scheme and path
// removed, lower-cased, every Docker Hub spelling mapped to "docker.io".
std::string NormalizeRegistryHost(std::string_view key);

// What a credential helper is asked for `host`: Docker Hub's
// "https://index.docker.io/v1/", else the host itself.
std::string HelperServerUrl(std::string_view host);

}  // namespace tagflow::registry
