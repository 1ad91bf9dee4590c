// The HTTP edge of the notifier: POST a body to a URL, get a status back.
//
// Notification URLs are credentials (a Slack webhook's path is its token, and
// generic webhooks often embed one too). A Sender never puts a URL's path,
// query or userinfo into an error message; use RedactUrl() for anything that
// is logged.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "registry/error.h"

namespace tagflow::notify {

struct HttpRequest {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "..."}
  std::chrono::milliseconds timeout{10'000};                 // whole request, connect included
  // When non-null and it turns true, the request is abandoned soon after
  // (within about a second) with a kTransient error.
  const std::atomic<bool>* cancel = nullptr;
};

struct HttpResponse {
  int status = 0;
  std::string body;                                 // at most the first few KiB
  std::optional<std::chrono::seconds> retry_after;  // from a Retry-After header in seconds
};

class Sender {
 public:
  virtual ~Sender() = default;

  // POSTs `request`. Returns the response whatever its status; an error
  // (kTransient for connect failures and timeouts, kInvalidInput for a URL it
  // cannot use) when there is no HTTP response at all. Thread-compatible:
  // callers must not share one Sender between threads without their own lock.
  [[nodiscard]] virtual Result<HttpResponse> Post(const HttpRequest& request) = 0;
};

// `scheme://host[:port]/***`: the URL with userinfo dropped and its path and
// query replaced by `***` (kept as `scheme://host[:port]` when it has none).
// Text that does not parse as a URL becomes "***".
std::string RedactUrl(std::string_view url);

// Replaces in `text` every occurrence of `url` by RedactUrl(url), and of its
// path (with query) by "/***". For messages from libraries and servers that
// may quote the URL back.
std::string ScrubUrl(std::string text, std::string_view url);

// True when `url` is an absolute http:// or https:// URL with a host.
bool IsHttpUrl(std::string_view url);

}  // namespace tagflow::notify
