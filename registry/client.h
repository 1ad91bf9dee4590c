// The Docker Registry HTTP API v2 / OCI distribution client: ping, tag list,
// manifests, config blobs. Authentication (Bearer or Basic, answered from the
// host's challenge) and the scheme of insecure hosts are handled here; rate
// limits, retries after 429 and request counting live in the HttpClient passed
// in (a ThrottledHttpClient). Thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/http.h"
#include "image/reference.h"
#include "registry/auth.h"
#include "registry/credential_store.h"
#include "registry/docker_config.h"
#include "registry/oci.h"

namespace tagflow::registry {

struct ClientOptions {
  // Hosts ("host" or "host:port") asked over plain HTTP first, then over
  // HTTPS with TLS unverified (which the HttpClient decides); the scheme that
  // answers like a registry is kept.
  std::set<std::string> insecure_hosts;
  std::chrono::milliseconds timeout{30'000};  // per request
  int tag_page_size = 1000;                   // `?n=` of the first tag-list request; 0: none
  int max_tag_pages = 1000;                   // a Link chain longer than this is an error
};

struct FetchedManifest {
  std::string digest;  // verified digest of the body
  Manifest manifest;
  std::string body;  // the bytes as served (verified against `digest`)
  // Set when the body is not a manifest tagflow can read (schema 1, an
  // artifact, not JSON): the digest is still valid, `manifest` is empty.
  std::string problem;
};

class Client {
 public:
  // Borrows everything; all must outlive the client.
  Client(HttpClient& http, Authenticator& auth, CredentialStore& credentials,
         ClientOptions options);

  // GET /v2/ on `host` (an ApiHost()), once per host for the client's life
  // unless `again`: picks the scheme and learns the auth challenge.
  // kTransient when the host cannot be reached, kInvalidInput when it does
  // not speak the v2 API.
  [[nodiscard]] Result<void> Ping(std::string_view host, bool again = false);

  // Every tag of the image's repository, following Link pagination, sorted
  // in byte order without duplicates. kNotFound for an unknown repository,
  // kUnauthorized for refused credentials (message names the host, never a
  // secret), kTransient for network failures, 5xx and rate limits.
  [[nodiscard]] Result<std::vector<std::string>> ListTags(const image::ImageRef& image);

  // The manifest (index, list or image manifest) for `reference`, a tag or a
  // digest of the image's repository. The body is verified against the
  // requested digest or the Docker-Content-Digest header. kNotFound for an
  // unknown tag or repository; kInternal for a digest mismatch. A body that
  // is not a supported manifest is a success with `problem` set.
  [[nodiscard]] Result<FetchedManifest> GetManifest(const image::ImageRef& image,
                                                    std::string_view reference);

  // The digest `tag` of the image's repository points at now, from a HEAD
  // on its manifest (the same Accept as GetManifest) and its
  // Docker-Content-Digest header; when the registry answers the HEAD without
  // a valid header (or refuses the method), a GET of the manifest instead.
  // Errors as GetManifest.
  [[nodiscard]] Result<std::string> HeadManifest(const image::ImageRef& image,
                                                 std::string_view tag);

  // The blob `digest` of the image's repository, verified; kInvalidInput
  // when it is larger than `max_bytes`.
  [[nodiscard]] Result<std::string> GetBlob(const image::ImageRef& image, std::string_view digest,
                                            size_t max_bytes);

  // The image config blob `digest`, verified and parsed.
  [[nodiscard]] Result<ImageConfig> GetImageConfig(const image::ImageRef& image,
                                                   std::string_view digest);

 private:
  struct HostState {
    std::string base_url;  // "https://host:port"
    Challenge challenge;
  };

  Result<HostState> Host(std::string_view host, bool again = false);
  // GET `url` of the image's repository with its Authorization, answering a
  // fresh 401 challenge once; when the registry still refuses credentials a
  // helper gave, asks the helper again once (they may have rotated).
  Result<HttpResponse> Get(const image::ImageRef& image, const std::string& url,
                           std::string_view accept, std::string_view method = "GET");
  Result<HttpResponse> GetWith(const image::ImageRef& image, const std::string& url,
                               std::string_view accept, std::string_view method,
                               const std::optional<Credentials>& credentials);
  Result<std::string> RepositoryUrl(const image::ImageRef& image, std::string_view suffix);
  // True for a host named by --registry-insecure-host ("host" or "host:port").
  bool IsInsecure(std::string_view host) const;
  // Logs, once per repository and tag, a listed tag outside the grammar.
  void ReportInvalidTag(const image::ImageRef& image, std::string_view tag);

  HttpClient& http_;
  Authenticator& auth_;
  CredentialStore& credentials_;
  ClientOptions options_;
  std::mutex mu_;
  std::map<std::string, HostState, std::less<>> hosts_;  // guarded by mu_
  std::set<std::string> invalid_tags_;                   // guarded by mu_
};

// Credentials for a Bearer challenge sent by a registry reached at
// `base_url`: none when the realm is plain http:// while the registry itself
// was reached over https:// (a downgrade that would put the password on the
// wire in clear; the token is then asked for anonymously), unless the
// registry host is an --registry-insecure-host. A realm on another host over
// https (Docker Hub's) keeps them.
std::optional<Credentials> CredentialsForRealm(const std::optional<Credentials>& credentials,
                                               const std::string& base_url,
                                               const Challenge& challenge, bool insecure_host);

// The error for a registry response that is not a success: kind from the
// status (401/403 kUnauthorized, 404 kNotFound, 429 and 5xx kTransient,
// other 4xx kInvalidInput), message naming the host, `what` was asked for,
// the status and the registry's own error code and message.
Error ResponseError(const HttpResponse& response, std::string_view host, std::string_view what);

}  // namespace tagflow::registry
