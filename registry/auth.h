// Registry authentication: the WWW-Authenticate challenge of a registry, and
// the Authorization header that answers it — Bearer tokens fetched from the
// challenge's realm (anonymously or with credentials) and cached per scope
// until they expire, or Basic.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/error.h"
#include "base/http.h"
#include "registry/docker_config.h"

namespace tagflow::registry {

struct Challenge {
  std::string scheme;                         // lower-cased: "bearer", "basic"; "" = no auth asked
  std::map<std::string, std::string> params;  // keys lower-cased: realm, service, scope

  // The parameter's value, "" when absent.
  std::string Param(std::string_view name) const;
};

// Parses the first challenge of a WWW-Authenticate value, e.g.
//   Bearer realm="https://auth.example/token",service="registry",scope="repository:a:pull"
// Quoted values may contain commas and \-escapes. kInvalidInput when there is
// no scheme or a parameter is malformed.
[[nodiscard]] Result<Challenge> ParseChallenge(std::string_view header);

class Authenticator {
 public:
  // Token requests go through `http` (which should be the rate-limited and
  // counted client), each with `timeout`.
  Authenticator(HttpClient& http, Clock& clock, std::chrono::milliseconds timeout);

  // The Authorization header value that answers `challenge` for `scope`
  // ("repository:<name>:pull"), or "" when none can be sent (no challenge,
  // Basic without credentials). Bearer tokens are cached per realm, service,
  // scope and credentials until shortly before they expire; `refresh` skips
  // the cache. Credentials holding an identity token (username "<token>")
  // get their Bearer token through the OAuth2 refresh grant, and nothing
  // for a Basic challenge. Errors: kUnauthorized when the token service refuses (the message
  // names `registry_host`, the realm host and the user, never the password),
  // kTransient for network failures and 5xx.
  [[nodiscard]] Result<std::string> Authorization(std::string_view registry_host,
                                                  const Challenge& challenge,
                                                  std::string_view scope,
                                                  const std::optional<Credentials>& credentials,
                                                  bool refresh = false);

  // Token requests sent so far.
  uint64_t token_fetches() const;

 private:
  struct Token {
    std::string value;
    Clock::time_point expires;
  };
  Result<Token> FetchToken(std::string_view registry_host, const Challenge& challenge,
                           std::string_view scope, const std::optional<Credentials>& credentials);
  // The OAuth2 refresh-token grant (distribution's spec/auth/oauth): POST to
  // the realm with grant_type=refresh_token, the identity token, service,
  // scope and client_id.
  Result<Token> FetchTokenWithRefreshGrant(std::string_view registry_host,
                                           const Challenge& challenge, std::string_view scope,
                                           std::string_view identity_token, const UrlParts& realm);
  Result<Token> ParseTokenResponse(std::string_view registry_host, const UrlParts& realm,
                                   std::string_view body);

  HttpClient& http_;
  Clock& clock_;
  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::map<std::string, Token> tokens_;
  uint64_t fetches_ = 0;
};

// "Basic <base64(user:password)>".
std::string BasicAuthorization(const Credentials& credentials);

}  // namespace tagflow::registry
