// HTTP behind an interface, the one libcurl adapter of tagflow: the registry
// client, the token fetcher, the rate limiter and the notifier speak to
// `HttpClient`; CurlHttpClient is the real one, tests pass fakes or run real
// servers on loopback.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/url.h"

namespace tagflow {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, POST, PATCH or PUT
  std::string url;
  // Header name and value pairs, sent as given.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // POST, PATCH and PUT only
  // Whole-request deadline (connect, redirects and body included).
  std::chrono::milliseconds timeout{30'000};
  // When false, a 3xx is returned as it is (webhook URLs must not wander).
  bool follow_redirects = true;
  // When non-null and it turns true, the request is abandoned soon after
  // (within about a second) with a kTransient error.
  const std::atomic<bool>* cancel = nullptr;

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
  // Errors are only for failures below HTTP: kTransient for connect,
  // timeout, cancel and oversized bodies, kUnauthorized for a TLS peer that
  // fails verification, kInvalidInput for a malformed URL or a scheme other
  // than http(s). Error messages name the host (never the path, the query,
  // userinfo or header values).
  [[nodiscard]] virtual Result<HttpResponse> Send(const HttpRequest& request) = 0;
};

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

}  // namespace tagflow
