#include "daemon/hooks.h"

#include <fmt/format.h>

#include <algorithm>
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

namespace tagflow::daemon {
namespace {

// The image name of a reference a hook sent: tag and digest removed.
std::string WithoutTagOrDigest(std::string_view ref) {
  ref = ref.substr(0, ref.find('@'));
  size_t slash = ref.rfind('/');
  size_t colon = ref.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref = ref.substr(0, colon);
  }
  return std::string(ref);
}

// Adds `name` to `out` once.
void AddImage(std::vector<std::string>& out, std::string name) {
  if (name.empty()) return;
  if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(std::move(name));
}

Result<nlohmann::json> ParseObject(std::string_view body, std::string_view receiver) {
  std::optional<nlohmann::json> j = ParseJson(body);
  if (!j || !j->is_object())
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} webhook: not a JSON object (or not valid UTF-8)", receiver));
  return std::move(*j);
}

Error Missing(std::string_view receiver, std::string_view field) {
  return Error{ErrorKind::kInvalidInput,
               fmt::format("{} webhook: no {} saying which image was pushed", receiver, field)};
}

// The first component of a name looks like a registry host.
bool HasHost(std::string_view name) {
  size_t slash = name.find('/');
  if (slash == std::string_view::npos) return false;
  std::string_view first = name.substr(0, slash);
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost";
}

}  // namespace

Result<std::vector<std::string>> ParseHarborHook(std::string_view body) {
  auto j = ParseObject(body, "Harbor");
  if (!j) return Fail(j.error());
  std::string type = JsonString(*j, "type");
  if (type.empty()) return Fail(Missing("Harbor", "\"type\""));
  if (type != "PUSH_ARTIFACT") return std::vector<std::string>{};
  const nlohmann::json& data = JsonMember(*j, "event_data");
  std::vector<std::string> images;
  const nlohmann::json& resources = JsonMember(data, "resources");
  if (resources.is_array()) {
    for (const auto& resource : resources) {
      AddImage(images, WithoutTagOrDigest(JsonString(resource, "resource_url")));
    }
  }
  if (images.empty()) {
    AddImage(images, JsonString(JsonMember(data, "repository"), "repo_full_name"));
  }
  if (images.empty()) {
    return Fail(Missing("Harbor", "event_data.resources[].resource_url or repository"));
  }
  return images;
}

Result<std::vector<std::string>> ParseQuayHook(std::string_view body) {
  auto j = ParseObject(body, "Quay");
  if (!j) return Fail(j.error());
  std::string image = JsonString(*j, "docker_url");
  if (image.empty()) image = JsonString(*j, "repository");
  if (image.empty()) return Fail(Missing("Quay", "docker_url or repository"));
  return std::vector<std::string>{WithoutTagOrDigest(image)};
}

Result<std::vector<std::string>> ParseGitHubHook(std::string_view event, std::string_view body) {
  auto j = ParseObject(body, "GitHub");
  if (!j) return Fail(j.error());
  if (event.empty()) event = j->contains("registry_package") ? "registry_package" : "package";
  if (event != "package" && event != "registry_package") return std::vector<std::string>{};
  const nlohmann::json& package = JsonMember(*j, event);
  if (!package.is_object()) return Fail(Missing("GitHub", fmt::format("\"{}\" object", event)));
  std::string action = JsonString(*j, "action");
  if (action != "published" && action != "updated") return std::vector<std::string>{};
  if (Lower(JsonString(package, "package_type")) != "container") return std::vector<std::string>{};
  std::string url = JsonString(JsonMember(package, "package_version"), "package_url");
  std::string image;
  if (HasHost(url)) {
    image = WithoutTagOrDigest(url);
  } else {
    std::string owner = JsonString(package, "namespace");
    if (owner.empty()) owner = JsonString(JsonMember(package, "owner"), "login");
    std::string name = JsonString(package, "name");
    if (owner.empty() || name.empty()) {
      return Fail(Missing("GitHub", "package_version.package_url or namespace and name"));
    }
    image = "ghcr.io/" + owner + "/" + name;
  }
  return std::vector<std::string>{Lower(image)};  // ghcr.io names are lower-case
}

Result<std::vector<std::string>> ParseAcrHook(std::string_view body) {
  auto j = ParseObject(body, "ACR");
  if (!j) return Fail(j.error());
  std::string action = JsonString(*j, "action");
  if (action.empty()) return Fail(Missing("ACR", "\"action\""));
  if (action != "push" && action != "chart_push") return std::vector<std::string>{};
  std::string repo = JsonString(JsonMember(*j, "target"), "repository");
  if (repo.empty()) return Fail(Missing("ACR", "target.repository"));
  std::string host = JsonString(JsonMember(*j, "request"), "host");
  return std::vector<std::string>{host.empty() ? repo : host + "/" + repo};
}

Result<std::vector<std::string>> ParseGcrPushMessage(std::string_view body) {
  auto j = ParseObject(body, "GCR Pub/Sub");
  if (!j) return Fail(j.error());
  std::string data = JsonString(JsonMember(*j, "message"), "data");
  if (data.empty()) return Fail(Missing("GCR Pub/Sub", "message.data"));
  std::optional<std::string> decoded = Base64Decode(data);
  if (!decoded)
    return Fail(ErrorKind::kInvalidInput, "GCR Pub/Sub webhook: message.data is not base64");
  auto inner = ParseObject(*decoded, "GCR Pub/Sub message.data");
  if (!inner) return Fail(inner.error());
  std::string action = JsonString(*inner, "action");
  if (action.empty()) return Fail(Missing("GCR Pub/Sub", "message.data action"));
  if (action != "INSERT") return std::vector<std::string>{};
  std::string ref = JsonString(*inner, "tag");
  if (ref.empty()) ref = JsonString(*inner, "digest");
  if (ref.empty()) return Fail(Missing("GCR Pub/Sub", "message.data tag or digest"));
  return std::vector<std::string>{WithoutTagOrDigest(ref)};
}

Result<std::vector<std::string>> ParseGenericHook(std::string_view body) {
  auto j = ParseObject(body, "generic");
  if (!j) return Fail(j.error());
  std::string image = JsonString(*j, "image");
  if (image.empty()) return Fail(Missing("generic", "\"image\""));
  std::string name = WithoutTagOrDigest(image);
  if (!image::ImageRef::Parse(name)) {
    return Fail(ErrorKind::kInvalidInput,
                "generic webhook: \"image\" is not an image reference (host/path[:tag])");
  }
  return std::vector<std::string>{name};
}

bool AnnouncedImageMatches(std::string_view announced, const image::ImageRef& image) {
  if (!HasHost(announced) && announced.rfind("docker.io/", 0) != 0) {
    // No host: compare repository paths ("team/app" on any registry).
    return announced == image.path() || announced == image.Repository();
  }
  Result<image::ImageRef> parsed = image::ImageRef::Parse(announced);
  return parsed && parsed->CanonicalName() == image.CanonicalName();
}

}  // namespace tagflow::daemon
