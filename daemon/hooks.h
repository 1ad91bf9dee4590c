// Webhooks: who may call the daemon's mutating endpoints, and what a registry
// notification says. Pure functions, tested from strings.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

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

}  // namespace tagflow::daemon
