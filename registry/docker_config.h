// Registry credentials from a Docker `config.json` (--docker-config):
//   {"auths": {"<host>": {"auth": base64("user:password")}
//                        | {"username": "...", "password": "..."}}}
// Keys may carry a scheme and path ("https://ghcr.io", "http://host:5000/v2/");
// Docker Hub's key is "https://index.docker.io/v1/". credsStore, credHelpers
// and identitytoken are not supported: entries using only them are skipped
// with a warning.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow::registry {

// A username and password. Never logged or put in an error message.
struct Credentials {
  std::string username;
  std::string password;
};

class DockerConfig {
 public:
  DockerConfig() = default;

  // Reads and parses `path`. kNotFound when it does not exist; kInvalidInput
  // naming the file and the key at fault (never a secret) when malformed.
  [[nodiscard]] static Result<DockerConfig> Load(const std::filesystem::path& path);
  // Parses config.json text; `source` names it in errors.
  [[nodiscard]] static Result<DockerConfig> Parse(std::string_view json, std::string_view source);

  // Credentials for registry `host` ("ghcr.io", "localhost:5000", "docker.io"
  // or "registry-1.docker.io" for the Hub), or nullopt.
  std::optional<Credentials> For(std::string_view host) const;
  size_t size() const { return by_host_.size(); }

 private:
  std::map<std::string, Credentials, std::less<>> by_host_;
};

// The host a config.json key or registry host stands for: scheme and path
// removed, lower-cased, every Docker Hub spelling mapped to "docker.io".
std::string NormalizeRegistryHost(std::string_view key);

}  // namespace tagflow::registry
