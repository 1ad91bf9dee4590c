// URLs, once for every module: splitting and resolving the http(s) URLs the
// registry client follows, and the one redaction of credentials in URLs that
// logs, errors and notifications use.
//
// What is a secret in a URL: a password always; the user name of an
// http(s)/git URL (it is often a token: `https://x-access-token:...@`,
// `https://<token>@`), but not the user of an ssh URL (`git@`, a login name);
// and, for notification endpoints (Slack and chat webhooks), the path and
// query, which carry the token.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"

namespace tagflow {

// Parts of an absolute URL, as far as the registry client needs them.
struct UrlParts {
  std::string scheme;     // "https"
  std::string authority;  // "host" or "host:port" as written, userinfo removed
  std::string host;       // "host" without port, no brackets for IPv6
};

// Splits `url`; kInvalidInput when it has no scheme or host.
[[nodiscard]] Result<UrlParts> ParseUrl(std::string_view url);

// Resolves `location` (absolute, scheme-relative, or path) against `base`.
[[nodiscard]] Result<std::string> ResolveUrl(std::string_view base, std::string_view location);

// Percent-encodes `s` for use in a query value.
std::string UrlEncode(std::string_view s);

enum class UrlRedaction {
  // `https://user:pw@h/r` and `https://token@h/r` -> `https://***@h/r`;
  // `ssh://git:pw@h/r` -> `ssh://git:***@h/r`, `ssh://git@h/r` unchanged.
  // Text that is not `scheme://...` comes back unchanged.
  kCredentials,
  // `scheme://host[:port]/***`: userinfo dropped, path and query replaced
  // (kept as `scheme://host[:port]` when there is none). Text that is not a
  // URL becomes "***". For webhook URLs whose path is the token.
  kCredentialsAndPath,
};

// The URL with its secrets hidden (see UrlRedaction): the one redaction of
// URLs. RedactSecrets (logging.h) applies it to every URL in a log line.
std::string RedactUrl(std::string_view url, UrlRedaction mode = UrlRedaction::kCredentials);

// Replaces in `text` every occurrence of `url` by its kCredentialsAndPath
// redaction, of its path (with query) by "/***", and of its userinfo by
// "***". For messages from libraries and servers that may quote the URL back.
std::string ScrubUrl(std::string text, std::string_view url);

// True when `url` is an absolute http:// or https:// URL with a host.
bool IsHttpUrl(std::string_view url);

}  // namespace tagflow
