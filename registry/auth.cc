#include "registry/auth.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"

namespace tagflow::registry {
namespace {

constexpr std::chrono::seconds kDefaultTokenLifetime{60};
constexpr std::chrono::seconds kMaxExpiryMargin{10};
// The client_id of the refresh grant: the spec asks for one naming the client.
constexpr std::string_view kOAuthClientId = "tagflow";

bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

}  // namespace

std::string Challenge::Param(std::string_view name) const {
  auto it = params.find(std::string(name));
  return it == params.end() ? "" : it->second;
}

Result<Challenge> ParseChallenge(std::string_view header) {
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("invalid WWW-Authenticate challenge: {}", why));
  };
  size_t i = 0;
  auto skip_space = [&] {
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
  };
  skip_space();
  size_t start = i;
  while (i < header.size() && IsTokenChar(header[i])) ++i;
  if (i == start) return invalid("no scheme");
  Challenge challenge;
  challenge.scheme = Lower(header.substr(start, i - start));
  while (true) {
    skip_space();
    if (i < header.size() && header[i] == ',') {
      ++i;
      continue;
    }
    if (i >= header.size()) break;
    size_t key_start = i;
    while (i < header.size() && IsTokenChar(header[i])) ++i;
    std::string key = Lower(header.substr(key_start, i - key_start));
    skip_space();
    if (key.empty() || i >= header.size() || header[i] != '=') {
      // A token68 value or the start of a second challenge: stop here.
      break;
    }
    ++i;
    skip_space();
    std::string value;
    if (i < header.size() && header[i] == '"') {
      ++i;
      bool closed = false;
      while (i < header.size()) {
        char c = header[i++];
        if (c == '\\' && i < header.size()) {
          value += header[i++];
        } else if (c == '"') {
          closed = true;
          break;
        } else {
          value += c;
        }
      }
      if (!closed) return invalid(fmt::format("unterminated quoted value for {}", key));
    } else {
      size_t value_start = i;
      while (i < header.size() && header[i] != ',' && header[i] != ' ') ++i;
      value = std::string(header.substr(value_start, i - value_start));
    }
    challenge.params[key] = std::move(value);
  }
  return challenge;
}

std::string BasicAuthorization(const Credentials& credentials) {
  return "Basic " + Base64Encode(credentials.username + ":" + credentials.password);
}

Authenticator::Authenticator(HttpClient& http, Clock& clock, std::chrono::milliseconds timeout)
    : http_(http), clock_(clock), timeout_(timeout) {}

uint64_t Authenticator::token_fetches() const {
  std::lock_guard lock(mu_);
  return fetches_;
}

Result<std::string> Authenticator::Authorization(std::string_view registry_host,
                                                 const Challenge& challenge, std::string_view scope,
                                                 const std::optional<Credentials>& credentials,
                                                 bool refresh) {
  if (challenge.scheme == "basic") {
    // An identity token is only good for a Bearer realm's refresh grant.
    return credentials && !credentials->IsIdentityToken() ? BasicAuthorization(*credentials) : "";
  }
  if (challenge.scheme != "bearer") return std::string();
  // New credentials (a rotated password) never reuse a token of the old ones.
  std::string key =
      fmt::format("{}|{}|{}|{}|{}", challenge.Param("realm"), challenge.Param("service"), scope,
                  credentials ? credentials->username : "",
                  credentials ? Sha256Digest(credentials->password).substr(7, 16) : "");
  if (!refresh) {
    std::lock_guard lock(mu_);
    auto it = tokens_.find(key);
    if (it != tokens_.end() && clock_.Now() < it->second.expires) {
      return "Bearer " + it->second.value;
    }
  }
  auto token = FetchToken(registry_host, challenge, scope, credentials);
  if (!token) return Fail(token.error());
  std::lock_guard lock(mu_);
  tokens_[key] = *token;
  return "Bearer " + token->value;
}

Result<Authenticator::Token> Authenticator::FetchToken(
    std::string_view registry_host, const Challenge& challenge, std::string_view scope,
    const std::optional<Credentials>& credentials) {
  std::string realm = challenge.Param("realm");
  auto realm_url = ParseUrl(realm);
  if (!realm_url) {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("registry {} sent a Bearer challenge without a usable realm", registry_host));
  }
  if (credentials && credentials->IsIdentityToken()) {
    return FetchTokenWithRefreshGrant(registry_host, challenge, scope, credentials->password,
                                      *realm_url);
  }
  HttpRequest request;
  request.timeout = timeout_;
  request.url = realm;
  char sep = realm.find('?') == std::string::npos ? '?' : '&';
  if (std::string service = challenge.Param("service"); !service.empty()) {
    request.url += fmt::format("{}service={}", sep, UrlEncode(service));
    sep = '&';
  }
  size_t pos = 0;
  while (pos < scope.size()) {
    size_t end = std::min(scope.find(' ', pos), scope.size());
    if (end > pos) {
      request.url += fmt::format("{}scope={}", sep, UrlEncode(scope.substr(pos, end - pos)));
      sep = '&';
    }
    pos = end + 1;
  }
  if (credentials) request.SetHeader("Authorization", BasicAuthorization(*credentials));
  {
    std::lock_guard lock(mu_);
    ++fetches_;
  }
  auto response = http_.Send(request);
  if (!response) {
    return Fail(response.error().Wrap(fmt::format("registry {}: token request", registry_host)));
  }
  std::string who = credentials
                        ? fmt::format("the credentials of user \"{}\"", credentials->username)
                        : std::string("anonymous access");
  if (response->status == 401 || response->status == 403) {
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("registry {}: token service {} refused {} (HTTP {}){}", registry_host,
                            realm_url->authority, who, response->status,
                            credentials ? "" : "; configure credentials with --docker-config"));
  }
  if (response->status != 200) {
    return Fail(response->status >= 500 || response->status == 429 ? ErrorKind::kTransient
                                                                   : ErrorKind::kUnauthorized,
                fmt::format("registry {}: token service {} answered HTTP {}", registry_host,
                            realm_url->authority, response->status));
  }
  return ParseTokenResponse(registry_host, *realm_url, response->body);
}

Result<Authenticator::Token> Authenticator::ParseTokenResponse(std::string_view registry_host,
                                                               const UrlParts& realm,
                                                               std::string_view body) {
  nlohmann::json doc = ParseJsonOrDiscarded(body);
  Token token;
  if (doc.is_object()) {
    for (const char* field : {"token", "access_token"}) {
      auto it = doc.find(field);
      if (it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
        token.value = it->get<std::string>();
        break;
      }
    }
  }
  if (token.value.empty()) {
    return Fail(ErrorKind::kTransient, fmt::format("registry {}: token service {} sent no token",
                                                   registry_host, realm.authority));
  }
  std::chrono::seconds lifetime = kDefaultTokenLifetime;
  if (auto it = doc.find("expires_in");
      it != doc.end() && it->is_number() && it->get<double>() > 0) {
    lifetime = std::chrono::seconds(static_cast<int64_t>(it->get<double>()));
  }
  auto margin = std::min<std::chrono::seconds>(kMaxExpiryMargin, lifetime / 4);
  token.expires = clock_.Now() + lifetime - margin;
  return token;
}

Result<Authenticator::Token> Authenticator::FetchTokenWithRefreshGrant(
    std::string_view registry_host, const Challenge& challenge, std::string_view scope,
    std::string_view identity_token, const UrlParts& realm) {
  HttpRequest request;
  request.method = "POST";
  request.timeout = timeout_;
  request.url = challenge.Param("realm");
  request.SetHeader("Content-Type", "application/x-www-form-urlencoded");
  request.body = fmt::format("grant_type=refresh_token&refresh_token={}&client_id={}",
                             UrlEncode(identity_token), kOAuthClientId);
  if (std::string service = challenge.Param("service"); !service.empty()) {
    request.body += "&service=" + UrlEncode(service);
  }
  // One space-separated scope parameter (RFC 6749 section 3.3).
  if (!scope.empty()) request.body += "&scope=" + UrlEncode(scope);
  {
    std::lock_guard lock(mu_);
    ++fetches_;
  }
  auto response = http_.Send(request);
  if (!response) {
    return Fail(response.error().Wrap(fmt::format("registry {}: token request", registry_host)));
  }
  if (response->status == 400 || response->status == 401 || response->status == 403) {
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("registry {}: token service {} refused the identity token (HTTP {})",
                            registry_host, realm.authority, response->status));
  }
  if (response->status != 200) {
    return Fail(response->status >= 500 || response->status == 429 ? ErrorKind::kTransient
                                                                   : ErrorKind::kUnauthorized,
                fmt::format("registry {}: token service {} answered HTTP {} to the refresh grant",
                            registry_host, realm.authority, response->status));
  }
  return ParseTokenResponse(registry_host, realm, response->body);
}

}  // namespace tagflow::registry
