#include "registry/docker_config.h"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"

namespace tagflow::registry {
namespace {

bool IsHelperName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// The credentials of one auths entry; nullopt when it holds none. Errors
// name the file and the key.
Result<std::optional<Credentials>> ParseAuthEntry(const nlohmann::json& entry,
                                                  std::string_view source, std::string_view key) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("docker config {}: auths[\"{}\"]: {}", source, key, why));
  };
  if (!entry.is_object()) return invalid("not an object");
  if (std::string token = JsonString(entry, "identitytoken"); !token.empty()) {
    return Credentials{std::string(kIdentityTokenUser), std::move(token)};
  }
  Credentials creds;
  if (std::string auth = JsonString(entry, "auth"); !auth.empty()) {
    auto decoded = Base64Decode(auth);
    if (!decoded) return invalid("auth is not base64");
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) return invalid("auth does not decode to user:password");
    creds.username = decoded->substr(0, colon);
    creds.password = decoded->substr(colon + 1);
  } else {
    creds.username = JsonString(entry, "username");
    creds.password = JsonString(entry, "password");
  }
  if (creds.username.empty()) return std::optional<Credentials>();
  return creds;
}

}  // namespace

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

std::string HelperServerUrl(std::string_view host) {
  std::string normal = NormalizeRegistryHost(host);
  return normal == "docker.io" ? "https://index.docker.io/v1/" : normal;
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
  DockerConfig config;
  config.source_ = std::string(source);
  const nlohmann::json& store = JsonMember(doc, "credsStore");
  if (!store.is_null()) {
    std::string name = store.is_string() ? store.get<std::string>() : "";
    if (!IsHelperName(name)) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("docker config {}: credsStore is not a helper name "
                              "(letters, digits, '.', '_', '-')",
                              source));
    }
    config.creds_store_ = std::move(name);
  }
  const nlohmann::json& helpers = JsonMember(doc, "credHelpers");
  if (!helpers.is_null() && !helpers.is_object()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("docker config {}: credHelpers is not an object", source));
  }
  if (helpers.is_object()) {
    for (const auto& [key, name] : helpers.items()) {
      if (!name.is_string() || !IsHelperName(name.get<std::string>())) {
        return Fail(ErrorKind::kInvalidInput,
                    fmt::format("docker config {}: credHelpers[\"{}\"] is not a helper name "
                                "(letters, digits, '.', '_', '-')",
                                source, key));
      }
      config.helpers_[NormalizeRegistryHost(key)] = name.get<std::string>();
    }
  }
  const nlohmann::json& auths = JsonMember(doc, "auths");
  if (auths.is_null()) return config;
  if (!auths.is_object()) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("docker config {}: auths is not an object", source));
  }
  for (const auto& [key, entry] : auths.items()) {
    auto creds = ParseAuthEntry(entry, source, key);
    if (!creds) return Fail(creds.error());
    if (*creds) config.auths_[NormalizeRegistryHost(key)] = std::move(**creds);
  }
  return config;
}

std::optional<Credentials> DockerConfig::For(std::string_view host) const {
  auto it = auths_.find(NormalizeRegistryHost(host));
  if (it == auths_.end()) return std::nullopt;
  return it->second;
}

bool DockerConfig::Names(std::string_view host) const {
  std::string normal = NormalizeRegistryHost(host);
  return helpers_.contains(normal) || auths_.contains(normal);
}

CredentialSource DockerConfig::SourceFor(std::string_view host) const {
  std::string normal = NormalizeRegistryHost(host);
  CredentialSource out;
  out.file = source_;
  if (auto it = helpers_.find(normal); it != helpers_.end()) {
    out.kind = CredentialSource::Kind::kHelper;
    out.helper = it->second;
    out.key = "credHelpers";
    return out;
  }
  if (!creds_store_.empty()) {
    out.kind = CredentialSource::Kind::kHelper;
    out.helper = creds_store_;
    out.fallback = For(normal);
    out.key = "credsStore";
    return out;
  }
  if (auto creds = For(normal)) {
    out.kind = CredentialSource::Kind::kStatic;
    out.credentials = std::move(*creds);
    out.key = "auths";
    return out;
  }
  return CredentialSource{};
}

Result<DockerConfigs> DockerConfigs::Load(const std::vector<std::string>& paths) {
  std::vector<DockerConfig> files;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    auto config = DockerConfig::Load(path);
    if (!config) return Fail(config.error());
    files.push_back(std::move(*config));
  }
  return DockerConfigs(std::move(files));
}

CredentialSource DockerConfigs::SourceFor(std::string_view host) const {
  for (const DockerConfig& file : files_) {
    if (file.Names(host)) return file.SourceFor(host);
  }
  for (const DockerConfig& file : files_) {
    if (!file.creds_store().empty()) return file.SourceFor(host);
  }
  return CredentialSource{};
}

}  // namespace tagflow::registry
