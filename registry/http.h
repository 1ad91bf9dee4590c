// HTTP behind an interface: the registry client, the token fetcher and the
// rate limiter speak to `HttpClient`; CurlHttpClient is the real one (libcurl),
// tests pass fakes or run real servers on loopback.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/error.h"

namespace tagflow::registry {

struct HttpRequest {
  std::string method = "GET";  // GET or HEAD
  std::string url;
  // Header name and value pairs, sent as given.
  std::vector<std::pair<std::string, std::string>> headers;
  // Whole-request deadline (connect, redirects and body included).
  std::chrono::milliseconds timeout{30'000};

  // Adds or replaces header `name` (case-insensitive).
  void SetHeader(std::string_view name, std::string value);
};

struct HttpResponse {
  int status = 0;
  // Header names lower-cased, in arrival order, of the final response only.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The URL that produced this response (differs from the request's after a
  // redirect).
  std::string url;

  // The first value of header `name` (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
};

class HttpClient {
 public:
  virtual ~HttpClient() = default;
  // Sends `request` and returns the final response, whatever its status.
  // Errors are only for failures below HTTP: kTransient for connect, TLS,
  // timeout and oversized bodies, kInvalidInput for a malformed URL. Error
  // messages name the host and never carry header values.
  [[nodiscard]] virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

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

// libcurl transport. Redirects are followed here rather than by libcurl (at
// most `max_redirects`): when a hop leaves the scheme and authority of the
// original URL, Authorization is dropped for that hop and every later one, so
// credentials are only ever sent to the host they were issued for. TLS is
// verified except for hosts in `insecure_hosts` ("host" or "host:port").
// Connections are kept alive and reused across calls. Thread-safe.
class CurlHttpClient : public HttpClient {
 public:
  struct Options {
    std::set<std::string> insecure_hosts;
    int max_redirects = 5;
    size_t max_body_bytes = 32u << 20;
    std::string user_agent = "tagflow";
  };

  explicit CurlHttpClient(Options options);
  ~CurlHttpClient() override;
  CurlHttpClient(const CurlHttpClient&) = delete;
  CurlHttpClient& operator=(const CurlHttpClient&) = delete;

  Result<HttpResponse> Send(const HttpRequest& request) override;

 private:
  struct Pool;
  Result<HttpResponse> SendOnce(const HttpRequest& request, std::chrono::milliseconds timeout);
  bool IsInsecure(const UrlParts& url) const;

  Options options_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace tagflow::registry
