#include "registry/client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/encoding.h"
#include "base/json.h"
#include "base/strings.h"
#include "image/reference.h"
#include "registry/rate_limit.h"

namespace tagflow::registry {
namespace {

// "CODE: message" of the first entry of a registry error body, or "".
std::string RegistryErrorText(std::string_view body) {
  auto doc = ParseJsonOrDiscarded(body);
  if (!doc.is_object()) return "";
  auto errors = doc.find("errors");
  if (errors == doc.end() || !errors->is_array() || errors->empty()) return "";
  const auto& first = (*errors)[0];
  if (!first.is_object()) return "";
  std::string code = JsonString(first, "code");
  std::string message = JsonString(first, "message");
  if (code.empty()) return message;
  return message.empty() ? code : code + ": " + message;
}

// The target of a `Link: <url>; rel="next"` header, or "".
std::string NextLink(std::string_view header) {
  size_t pos = 0;
  while (pos < header.size()) {
    size_t open = header.find('<', pos);
    if (open == std::string_view::npos) return "";
    size_t close = header.find('>', open);
    if (close == std::string_view::npos) return "";
    size_t end = header.find(',', close);
    std::string_view params =
        header.substr(close + 1, end == std::string_view::npos ? end : end - close - 1);
    if (params.find("rel=\"next\"") != std::string_view::npos ||
        params.find("rel=next") != std::string_view::npos) {
      return std::string(header.substr(open + 1, close - open - 1));
    }
    if (end == std::string_view::npos) return "";
    pos = end + 1;
  }
  return "";
}

bool IsDigest(std::string_view reference) { return reference.find(':') != std::string_view::npos; }

}  // namespace

Error ResponseError(const HttpResponse& response, std::string_view host, std::string_view what) {
  std::string detail = RegistryErrorText(response.body);
  std::string status = detail.empty() ? fmt::format("HTTP {}", response.status)
                                      : fmt::format("HTTP {}: {}", response.status, detail);
  int s = response.status;
  ErrorKind kind = ErrorKind::kInvalidInput;
  std::string message;
  if (IsTooManyRequests(response)) {
    kind = ErrorKind::kTransient;
    message = fmt::format("registry {} is rate-limiting requests for {} ({})", host, what, status);
  } else if (s == 401 || s == 403) {
    kind = ErrorKind::kUnauthorized;
    message = fmt::format("registry {} refused access to {} ({})", host, what, status);
  } else if (s == 404) {
    kind = ErrorKind::kNotFound;
    message = fmt::format("registry {}: {} not found ({})", host, what, status);
  } else {
    kind = s >= 500 ? ErrorKind::kTransient : ErrorKind::kInvalidInput;
    message = fmt::format("registry {}: unexpected answer for {} ({})", host, what, status);
  }
  return Error{kind, message};
}

std::optional<Credentials> CredentialsForRealm(const std::optional<Credentials>& credentials,
                                               const std::string& base_url,
                                               const Challenge& challenge, bool insecure_host) {
  if (!credentials || insecure_host || challenge.scheme != "bearer") return credentials;
  Result<UrlParts> registry = ParseUrl(base_url);
  Result<UrlParts> realm = ParseUrl(challenge.Param("realm"));
  if (registry && realm && registry->scheme == "https" && realm->scheme != "https") {
    spdlog::warn(
        "registry {}: the token realm {} is not https: credentials withheld, asking anonymously",
        registry->authority, realm->authority);
    return std::nullopt;
  }
  return credentials;
}

Client::Client(HttpClient& http, Authenticator& auth, CredentialStore& credentials,
               ClientOptions options)
    : http_(http), auth_(auth), credentials_(credentials), options_(std::move(options)) {}

Result<void> Client::Ping(std::string_view host, bool again) {
  auto state = Host(host, again);
  if (!state) return Fail(state.error());
  return {};
}

Result<Client::HostState> Client::Host(std::string_view host, bool again) {
  if (!again) {
    std::lock_guard lock(mu_);
    if (auto it = hosts_.find(host); it != hosts_.end()) return it->second;
  }
  auto parts = ParseUrl(fmt::format("https://{}", host));
  if (!parts) return Fail(parts.error());
  bool insecure = options_.insecure_hosts.contains(parts->authority) ||
                  options_.insecure_hosts.contains(parts->host);
  // Insecure hosts are asked over plain HTTP first: a TLS server answers that
  // at once (400 or a closed connection), whereas a plain-HTTP server sent a
  // TLS hello may wait for a line break until the timeout. A redirect to
  // https is followed, and the scheme that answered is kept.
  std::vector<std::string> schemes = {"https"};
  if (insecure) schemes = {"http", "https"};
  auto settle = [&](const HttpResponse& response) -> Result<HostState> {
    HostState state;
    auto answered = ParseUrl(response.url);
    if (!answered) return Fail(answered.error());
    state.base_url = fmt::format("{}://{}", answered->scheme, host);
    if (response.status == 401) {
      auto challenge = ParseChallenge(response.Header("www-authenticate"));
      if (!challenge) return Fail(challenge.error().Wrap(fmt::format("registry {}", host)));
      state.challenge = std::move(*challenge);
    } else if (response.status == 404) {
      return Fail(
          ErrorKind::kInvalidInput,
          fmt::format("registry {} does not serve the v2 API (GET /v2/ gave HTTP 404)", host));
    } else if (response.status != 200) {
      return Fail(ResponseError(response, host, "the v2 API"));
    }
    std::lock_guard lock(mu_);
    return hosts_.insert_or_assign(std::string(host), std::move(state)).first->second;
  };
  Error last{ErrorKind::kTransient, ""};
  std::optional<HttpResponse> odd_answer;  // not a registry answer, over http
  for (const auto& scheme : schemes) {
    HttpRequest request;
    request.url = fmt::format("{}://{}/v2/", scheme, host);
    request.timeout = options_.timeout;
    auto response = http_.Send(request);
    if (!response) {
      last = response.error().Wrap(fmt::format("registry {}", host));
      continue;
    }
    if (response->status == 200 || response->status == 401 || scheme == schemes.back()) {
      return settle(*response);
    }
    odd_answer = std::move(*response);
  }
  if (odd_answer) return settle(*odd_answer);
  return Fail(last);
}

bool Client::IsInsecure(std::string_view host) const {
  Result<UrlParts> parts = ParseUrl(fmt::format("https://{}", host));
  return parts && (options_.insecure_hosts.contains(parts->authority) ||
                   options_.insecure_hosts.contains(parts->host));
}

void Client::ReportInvalidTag(const image::ImageRef& image, std::string_view tag) {
  constexpr size_t kMaxRemembered = 10'000;
  std::string key = fmt::format("{}:{}", image.CanonicalName(), tag);
  {
    std::lock_guard lock(mu_);
    if (invalid_tags_.size() >= kMaxRemembered || !invalid_tags_.insert(key).second) return;
  }
  // The tag may hold anything (newlines, quotes): log it escaped, cut short.
  spdlog::warn("registry {}: {} lists the tag {} which is not a valid tag; never a candidate",
               image.ApiHost(), image.CanonicalName(),
               "\"" + EscapeControl(tag.substr(0, 140)) + "\"");
}

Result<std::string> Client::RepositoryUrl(const image::ImageRef& image, std::string_view suffix) {
  auto state = Host(image.ApiHost());
  if (!state) return Fail(state.error());
  return fmt::format("{}/v2/{}/{}", state->base_url, image.Repository(), suffix);
}

Result<HttpResponse> Client::Get(const image::ImageRef& image, const std::string& url,
                                 std::string_view accept, std::string_view method) {
  std::string domain = image.CanonicalDomain();
  for (int round = 0;; ++round) {
    Result<std::optional<Credentials>> credentials = credentials_.For(domain);
    if (!credentials) return Fail(credentials.error());
    Result<HttpResponse> response = GetWith(image, url, accept, method, *credentials);
    bool refused =
        response ? response->status == 401 : response.error().kind == ErrorKind::kUnauthorized;
    if (refused && round == 0 && credentials_.Invalidate(domain, *credentials)) {
      spdlog::info("registry {} refused the credentials of {}: asking its helper again",
                   image.ApiHost(), domain);
      continue;
    }
    return response;
  }
}

Result<HttpResponse> Client::GetWith(const image::ImageRef& image, const std::string& url,
                                     std::string_view accept, std::string_view method,
                                     const std::optional<Credentials>& credentials) {
  std::string host = image.ApiHost();
  auto state = Host(host);
  if (!state) return Fail(state.error());
  std::string scope = fmt::format("repository:{}:pull", image.Repository());
  Challenge challenge = state->challenge;
  for (int attempt = 0;; ++attempt) {
    HttpRequest request;
    request.method = std::string(method);
    request.url = url;
    request.timeout = options_.timeout;
    if (!accept.empty()) request.SetHeader("Accept", std::string(accept));
    bool insecure_host = IsInsecure(host);
    auto authorization = auth_.Authorization(
        host, challenge, scope,
        CredentialsForRealm(credentials, state->base_url, challenge, insecure_host), attempt > 0);
    if (!authorization) return Fail(authorization.error());
    if (!authorization->empty()) request.SetHeader("Authorization", *authorization);
    auto response = http_.Send(request);
    if (!response) return response;
    std::optional<Challenge> fresh;
    if (response->status == 401 && attempt == 0) {
      auto parsed = ParseChallenge(response->Header("www-authenticate"));
      if (parsed && !parsed->scheme.empty()) fresh = std::move(*parsed);
    }
    if (!fresh) {
      if (response->status == 401 && !credentials) {
        return Fail(ErrorKind::kUnauthorized,
                    fmt::format("registry {} requires authentication for {} and --docker-config "
                                "has no credentials for {}",
                                host, image.CanonicalName(), image.CanonicalDomain()));
      }
      return response;
    }
    // A fresh challenge: the registry may want another scheme or scope than
    // its /v2/ answer suggested, or the cached token was revoked.
    if (std::string s = fresh->Param("scope"); !s.empty()) scope = s;
    challenge = *fresh;
    std::lock_guard lock(mu_);
    if (auto it = hosts_.find(host); it != hosts_.end()) {
      it->second.challenge = *fresh;
      it->second.challenge.params.erase("scope");
    }
  }
}

Result<std::vector<std::string>> Client::ListTags(const image::ImageRef& image) {
  std::string host = image.ApiHost();
  std::string what = fmt::format("tags of {}", image.CanonicalName());
  std::string query =
      options_.tag_page_size > 0 ? fmt::format("?n={}", options_.tag_page_size) : "";
  auto first = RepositoryUrl(image, "tags/list" + query);
  if (!first) return Fail(first.error());
  std::vector<std::string> tags;
  std::string url = *first;
  auto origin = ParseUrl(url);
  if (!origin) return Fail(origin.error());
  for (int page = 0;; ++page) {
    if (page >= options_.max_tag_pages) {
      return Fail(ErrorKind::kInvalidInput, fmt::format("registry {}: more than {} pages of {}",
                                                        host, options_.max_tag_pages, what));
    }
    auto response = Get(image, url, "application/json");
    if (!response) return Fail(response.error());
    if (response->status == 400 && page == 0 && !query.empty()) {
      // Some registries refuse a page size they do not like: ask for their own.
      url = url.substr(0, url.size() - query.size());
      query.clear();
      --page;
      continue;
    }
    if (response->status == 404) {
      return Fail(ErrorKind::kNotFound,
                  fmt::format("registry {}: repository {} not found", host, image.Repository()));
    }
    if (response->status != 200) return Fail(ResponseError(*response, host, what));
    auto doc = ParseJsonOrDiscarded(response->body);
    if (!doc.is_object()) {
      return Fail(ErrorKind::kTransient, fmt::format("registry {}: the tag list of {} is not JSON",
                                                     host, image.Repository()));
    }
    auto list = doc.find("tags");
    if (list != doc.end() && list->is_array()) {
      for (const auto& tag : *list) {
        if (!tag.is_string()) continue;
        const std::string& name = tag.get_ref<const std::string&>();
        if (image::IsValidTag(name)) {
          tags.push_back(name);
        } else {
          ReportInvalidTag(image, name);
        }
      }
    } else if (list != doc.end() && !list->is_null()) {
      return Fail(ErrorKind::kTransient,
                  fmt::format("registry {}: the tag list of {} has no tags array", host,
                              image.Repository()));
    }
    std::string next = NextLink(response->Header("link"));
    if (next.empty()) break;
    auto resolved = ResolveUrl(url, next);
    if (!resolved) return Fail(resolved.error());
    auto parts = ParseUrl(*resolved);
    if (!parts || parts->authority != origin->authority || parts->scheme != origin->scheme) {
      return Fail(ErrorKind::kInvalidInput,
                  fmt::format("registry {}: tag list pagination points to another host", host));
    }
    url = *resolved;
  }
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

Result<FetchedManifest> Client::GetManifest(const image::ImageRef& image,
                                            std::string_view reference) {
  std::string host = image.ApiHost();
  std::string what = fmt::format("manifest {}{}{}", image.CanonicalName(),
                                 IsDigest(reference) ? "@" : ":", reference);
  auto url = RepositoryUrl(image, fmt::format("manifests/{}", reference));
  if (!url) return Fail(url.error());
  auto response = Get(image, *url, ManifestAccept());
  if (!response) return Fail(response.error());
  if (response->status != 200) return Fail(ResponseError(*response, host, what));
  FetchedManifest fetched;
  std::string expected =
      IsDigest(reference) ? std::string(reference) : response->Header("docker-content-digest");
  if (!expected.empty()) {
    if (auto ok = VerifyDigest(expected, response->body); !ok) {
      return Fail(ok.error().Wrap(fmt::format("registry {}: {}", host, what)));
    }
    fetched.digest = expected;
  } else {
    fetched.digest = Sha256Digest(response->body);
  }
  auto manifest = ParseManifest(response->Header("content-type"), response->body);
  if (manifest) {
    fetched.manifest = std::move(*manifest);
  } else {
    fetched.problem = manifest.error().message;
  }
  fetched.body = std::move(response->body);
  return fetched;
}

Result<std::string> Client::HeadManifest(const image::ImageRef& image, std::string_view tag) {
  std::string host = image.ApiHost();
  std::string what = fmt::format("manifest {}:{}", image.CanonicalName(), tag);
  auto url = RepositoryUrl(image, fmt::format("manifests/{}", tag));
  if (!url) return Fail(url.error());
  auto response = Get(image, *url, ManifestAccept(), "HEAD");
  if (!response) return Fail(response.error());
  if (response->status == 200) {
    std::string digest = response->Header("docker-content-digest");
    if (image::IsValidDigest(digest)) return digest;
  } else if (response->status != 405 && response->status != 501) {
    // A HEAD answer has no body to read a registry error from.
    return Fail(ResponseError(*response, host, what));
  }
  spdlog::debug("registry {}: HEAD {} gave no Docker-Content-Digest; asking with GET", host, what);
  auto fetched = GetManifest(image, tag);
  if (!fetched) return Fail(fetched.error());
  return fetched->digest;
}

Result<std::string> Client::GetBlob(const image::ImageRef& image, std::string_view digest,
                                    size_t max_bytes) {
  std::string host = image.ApiHost();
  std::string what = fmt::format("blob {}@{}", image.CanonicalName(), digest);
  auto url = RepositoryUrl(image, fmt::format("blobs/{}", digest));
  if (!url) return Fail(url.error());
  auto response = Get(image, *url, "");
  if (!response) return Fail(response.error());
  if (response->status != 200) return Fail(ResponseError(*response, host, what));
  if (response->body.size() > max_bytes) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("registry {}: {} is larger than {} bytes", host, what, max_bytes));
  }
  if (auto ok = VerifyDigest(digest, response->body); !ok) {
    return Fail(ok.error().Wrap(fmt::format("registry {}: {}", host, what)));
  }
  return std::move(response->body);
}

Result<ImageConfig> Client::GetImageConfig(const image::ImageRef& image, std::string_view digest) {
  std::string host = image.ApiHost();
  std::string what = fmt::format("config blob {}@{}", image.CanonicalName(), digest);
  auto url = RepositoryUrl(image, fmt::format("blobs/{}", digest));
  if (!url) return Fail(url.error());
  auto response = Get(image, *url, "");
  if (!response) return Fail(response.error());
  if (response->status != 200) return Fail(ResponseError(*response, host, what));
  if (auto ok = VerifyDigest(digest, response->body); !ok) {
    return Fail(ok.error().Wrap(fmt::format("registry {}: {}", host, what)));
  }
  auto config = ParseImageConfig(response->body);
  if (!config) return Fail(config.error().Wrap(fmt::format("registry {}: {}", host, what)));
  return config;
}

}  // namespace tagflow::registry
