#include "daemon/hooks.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <unordered_set>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"

namespace tagflow::daemon {
namespace {

constexpr const char* kSignatureHeaders[] = {"x-hub-signature-256", "x-signature-256",
                                             "x-tagflow-signature"};

std::string Header(const HeaderMap& headers, const std::string& name) {
  auto it = headers.find(name);
  return it == headers.end() ? "" : it->second;
}

}  // namespace

std::string HmacSha256Signature(std::string_view secret, std::string_view body) {
  return "sha256=" + HmacSha256Hex(secret, body);
}

HeaderAuth AuthorizeHeaders(std::string_view secret, const HeaderMap& headers,
                            std::string_view query_token) {
  if (secret.empty()) return HeaderAuth::kGranted;
  std::string auth = Header(headers, "authorization");
  if (auth.size() > 7 && Lower(auth.substr(0, 7)) == "bearer " &&
      ConstantTimeEquals(auth.substr(7), secret))
    return HeaderAuth::kGranted;
  if (!query_token.empty() && ConstantTimeEquals(query_token, secret)) return HeaderAuth::kGranted;
  for (const char* name : kSignatureHeaders) {
    if (!Header(headers, name).empty()) return HeaderAuth::kNeedsBody;
  }
  return HeaderAuth::kRefused;
}

bool WebhookAuthorized(std::string_view secret, const HeaderMap& headers, std::string_view body,
                       std::string_view query_token) {
  HeaderAuth decided = AuthorizeHeaders(secret, headers, query_token);
  if (decided != HeaderAuth::kNeedsBody) return decided == HeaderAuth::kGranted;
  std::string expected = HmacSha256Signature(secret, body);
  for (const char* name : kSignatureHeaders) {
    std::string got = Lower(Header(headers, name));
    if (!got.empty() && ConstantTimeEquals(got, expected)) return true;
  }
  return false;
}

Result<std::vector<std::string>> ParseRegistryNotification(std::string_view body) {
  std::optional<nlohmann::json> j = ParseJson(body);
  if (!j)
    return Fail(ErrorKind::kInvalidInput, "registry notification: not JSON (or not valid UTF-8)");
  const nlohmann::json& events = JsonMember(*j, "events");
  if (!events.is_array())
    return Fail(ErrorKind::kInvalidInput, "registry notification: no \"events\" array");
  std::vector<std::string> repos;
  std::unordered_set<std::string> seen;  // a 1 MiB body holds ~20,000 events
  for (const auto& event : events) {
    if (JsonString(event, "action") != "push") continue;
    std::string repo = JsonString(JsonMember(event, "target"), "repository");
    if (repo.empty()) continue;
    std::string host = JsonString(JsonMember(event, "request"), "host");
    std::string name = host.empty() ? repo : host + "/" + repo;
    if (seen.insert(name).second) repos.push_back(std::move(name));
  }
  return repos;
}

Result<std::vector<std::string>> ParseDockerHubHook(std::string_view body) {
  std::optional<nlohmann::json> j = ParseJson(body);
  if (!j)
    return Fail(ErrorKind::kInvalidInput, "Docker Hub webhook: not JSON (or not valid UTF-8)");
  std::string repo = JsonString(JsonMember(*j, "repository"), "repo_name");
  if (repo.empty())
    return Fail(ErrorKind::kInvalidInput, "Docker Hub webhook: no repository.repo_name");
  return std::vector<std::string>{"docker.io/" + repo};
}

}  // namespace tagflow::daemon
