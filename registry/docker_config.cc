#include "registry/docker_config.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"

namespace tagflow::registry {

std::string NormalizeRegistryHost(std::string_view key) {
  if (size_t sep = key.find("://"); sep != std::string_view::npos) key.remove_prefix(sep + 3);
  key = key.substr(0, key.find('/'));
  std::string host = Lower(key);
  if (host == "index.docker.io" || host == "registry-1.docker.io" ||
      host == "registry.hub.docker.com") {
    return "docker.io";
  }
  return host;
}

Result<DockerConfig> DockerConfig::Load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Fail(ErrorKind::kNotFound,
                fmt::format("docker config {} cannot be read", path.string()));
  }
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str(), path.string());
}

Result<DockerConfig> DockerConfig::Parse(std::string_view json, std::string_view source) {
  nlohmann::json doc = ParseJsonOrDiscarded(json);
  if (doc.is_discarded() || !doc.is_object()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("docker config {} is not a JSON object", source));
  }
  if (doc.contains("credsStore") || doc.contains("credHelpers")) {
    spdlog::warn("docker config {}: credsStore/credHelpers are not supported; only auths is read",
                 source);
  }
  DockerConfig config;
  auto auths = doc.find("auths");
  if (auths == doc.end()) return config;
  if (!auths->is_object()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("docker config {}: auths is not an object", source));
  }
  for (const auto& [key, entry] : auths->items()) {
    auto invalid = [&](std::string_view why) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("docker config {}: auths[\"{}\"]: {}", source, key, why));
    };
    if (!entry.is_object()) return invalid("not an object");
    Credentials creds;
    auto string_field = [&](const char* name) -> std::string {
      auto it = entry.find(name);
      return it != entry.end() && it->is_string() ? it->get<std::string>() : "";
    };
    std::string auth = string_field("auth");
    if (!auth.empty()) {
      auto decoded = Base64Decode(auth);
      if (!decoded) return invalid("auth is not base64");
      size_t colon = decoded->find(':');
      if (colon == std::string::npos) return invalid("auth does not decode to user:password");
      creds.username = decoded->substr(0, colon);
      creds.password = decoded->substr(colon + 1);
    } else {
      creds.username = string_field("username");
      creds.password = string_field("password");
    }
    if (creds.username.empty()) {
      if (entry.contains("identitytoken")) {
        spdlog::warn("docker config {}: auths[\"{}\"]: identitytoken is not supported; skipped",
                     source, key);
      }
      continue;
    }
    config.by_host_[NormalizeRegistryHost(key)] = std::move(creds);
  }
  return config;
}

std::optional<Credentials> DockerConfig::For(std::string_view host) const {
  auto it = by_host_.find(NormalizeRegistryHost(host));
  if (it == by_host_.end()) return std::nullopt;
  return it->second;
}

}  // namespace tagflow::registry
