// Webhooks: who may call the daemon's mutating endpoints, and what each
// registry's push notification says. Pure functions, tested from strings
// (recorded payloads in daemon/testdata/hooks/).
//
// Every parser returns the images the hook announces, deduplicated, as
// "host/path" ("path" alone when the sender does not say the host); events
// other than pushes give an empty list. Malformed JSON (malformed UTF-8
// included) or a payload without the fields that say what was pushed is
// kInvalidInput with a message naming the receiver and the field.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "image/reference.h"

namespace tagflow::daemon {

// Header names are compared case-insensitively; keys here are lower-case.
using HeaderMap = std::map<std::string, std::string>;

// True when the request proves it knows `secret`: `Authorization: Bearer
// <secret>`, or an HMAC-SHA256 of the body in `X-Hub-Signature-256`,
// `X-Signature-256` or `X-Tagflow-Signature` as `sha256=<hex>`, or (for
// senders that cannot set headers, like Docker Hub) `query_token` equal to the
// secret. Comparisons are constant-time. An empty secret admits everyone.
bool WebhookAuthorized(std::string_view secret, const HeaderMap& headers, std::string_view body,
                       std::string_view query_token);

// What the request line and headers alone decide, so that a request nobody
// authorised is refused before its body is read.
enum class HeaderAuth {
  kGranted,    // empty secret, or a matching bearer token or query token
  kNeedsBody,  // a signature header: WebhookAuthorized on the body decides
  kRefused,    // no credential that could match
};
HeaderAuth AuthorizeHeaders(std::string_view secret, const HeaderMap& headers,
                            std::string_view query_token);

// "sha256=<lower-case hex HMAC-SHA256(secret, body)>".
std::string HmacSha256Signature(std::string_view secret, std::string_view body);

// Repositories pushed according to a Docker distribution notification
// envelope ({"events":[{"action":"push","target":{"repository":..}, "request":
// {"host":..}}]}), as "host/repository" when the host is known, else the
// repository. Pull events are ignored. Malformed JSON, malformed UTF-8
// included, is kInvalidInput.
[[nodiscard]] Result<std::vector<std::string>> ParseRegistryNotification(std::string_view body);

// The repository ("docker.io/<repo_name>") of a Docker Hub push webhook;
// kInvalidInput as above.
[[nodiscard]] Result<std::vector<std::string>> ParseDockerHubHook(std::string_view body);

// Harbor (default payload format): {"type": "PUSH_ARTIFACT", "event_data":
// {"resources": [{"resource_url": "host/project/repo:tag"}], "repository":
// {"repo_full_name": "project/repo"}}}. Other event types: none.
[[nodiscard]] Result<std::vector<std::string>> ParseHarborHook(std::string_view body);

// Quay repository push notification: {"docker_url": "quay.io/ns/repo",
// "repository": "ns/repo", "updated_tags": [...]}.
[[nodiscard]] Result<std::vector<std::string>> ParseQuayHook(std::string_view body);

// GitHub `package` and `registry_package` events (`X-GitHub-Event`, given as
// `event`) for container packages: {"action": "published"|"updated",
// "package" | "registry_package": {"name", "namespace", "package_type":
// "CONTAINER", "package_version": {"package_url": "ghcr.io/owner/name:tag"}}}.
// `ping` and other events, and packages that are not containers: none.
[[nodiscard]] Result<std::vector<std::string>> ParseGitHubHook(std::string_view event,
                                                               std::string_view body);

// Azure Container Registry push event: {"action": "push", "target":
// {"repository", "tag"}, "request": {"host": "<name>.azurecr.io"}}.
[[nodiscard]] Result<std::vector<std::string>> ParseAcrHook(std::string_view body);

// Google Container Registry / Artifact Registry through a Pub/Sub push
// subscription: {"message": {"data": base64({"action": "INSERT", "digest":
// "host/path@sha256:...", "tag": "host/path:tag"})}, "subscription": ...}.
// DELETE actions: none.
[[nodiscard]] Result<std::vector<std::string>> ParseGcrPushMessage(std::string_view body);

// Anything else (a CI job, a script): {"image": "host/path[:tag]", "tag":
// "v1"} ("tag" optional).
[[nodiscard]] Result<std::vector<std::string>> ParseGenericHook(std::string_view body);

// True when `announced` (what a hook names) is the repository of `image`:
// the same canonical name ("docker.io/library/x" for "x" or "docker.io/x"),
// or, when the hook named no host, the same repository path on any host.
bool AnnouncedImageMatches(std::string_view announced, const image::ImageRef& image);

}  // namespace tagflow::daemon
