#include "daemon/hooks.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>

#include "base/encoding.h"
#include "base/strings.h"

namespace tagflow::daemon {
namespace {


std::string Header(const HeaderMap& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}


}  // namespace

std::string HmacSha256Signature(std::string_view secret, std::string_view body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

bool WebhookAuthorized(std::string_view secret, const HeaderMap& headers, std::string_view body,
                       std::string_view query_token) {
  if (secret.empty()) return true;
  std::string auth = Header(headers, "authorization");
  if (auth.size() > 7 && Lower(auth.substr(0, 7)) == "bearer " &&
      ConstantTimeEquals(auth.substr(7), secret))
    return true;
  std::string expected = HmacSha256Signature(secret, body);
  for (const char* name : {"x-hub-signature-256", "x-signature-256", "x-tagflow-signature"}) {
    std::string got = Lower(Header(headers, name));
    if (!got.empty() && ConstantTimeEquals(got, expected)) return true;
  }
  return !query_token.empty() && ConstantTimeEquals(query_token, secret);
}

Result<std::vector<std::string>> ParseRegistryNotification(std::string_view body) {
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    if (!j.is_object() || !j.contains("events") || !j["events"].is_array())
      return Fail(ErrorKind::kInvalidInput, "registry notification: no \"events\" array");
    std::vector<std::string> repos;
    for (const auto& event : j["events"]) {
      if (event.value("action", "") != "push") continue;
      std::string repo = event.contains("target") ? event["target"].value("repository", "") : "";
      if (repo.empty()) continue;
      std::string host = event.contains("request") ? event["request"].value("host", "") : "";
      std::string name = host.empty() ? repo : host + "/" + repo;
      if (std::find(repos.begin(), repos.end(), name) == repos.end()) repos.push_back(name);
    }
    return repos;
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("registry notification: {}", e.what()));
  }
}

Result<std::vector<std::string>> ParseDockerHubHook(std::string_view body) {
  try {
    nlohmann::json j = nlohmann::json::parse(body);
    std::string repo;
    if (j.is_object() && j.contains("repository") && j["repository"].is_object())
      repo = j["repository"].value("repo_name", "");
    if (repo.empty())
      return Fail(ErrorKind::kInvalidInput, "Docker Hub webhook: no repository.repo_name");
    return std::vector<std::string>{"docker.io/" + repo};
  } catch (const nlohmann::json::exception& e) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("Docker Hub webhook: {}", e.what()));
  }
}

}  // namespace tagflow::daemon
