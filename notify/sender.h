// The HTTP edge of the notifier: POST a body to a URL, get a status back.
//
// Notification URLs are credentials (a Slack webhook's path is its token, and
// generic webhooks often embed one too). A Sender never puts a URL's path,
// query or userinfo into an error message; use RedactUrl(url,
// UrlRedaction::kCredentialsAndPath) (base/url.h) for anything that is logged.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "base/url.h"

namespace tagflow::notify {

struct PostRequest {
  std::string url;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "..."}
  std::chrono::milliseconds timeout{10'000};                 // whole request, connect included
  // When non-null and it turns true, the request is abandoned soon after
  // (within about a second) with a kTransient error.
  const std::atomic<bool>* cancel = nullptr;
};

struct PostResponse {
  int status = 0;
  std::string body;  // at most the first few KiB
  std::optional<std::chrono::seconds>
      retry_after;  // from a Retry-After header (seconds or HTTP-date)
};

class Sender {
 public:
  virtual ~Sender() = default;

  // POSTs `request`. Returns the response whatever its status; an error
  // (kTransient for connect failures and timeouts, kInvalidInput for a URL it
  // cannot use) when there is no HTTP response at all. Thread-compatible:
  // callers must not share one Sender between threads without their own lock.
  [[nodiscard]] virtual Result<PostResponse> Post(const PostRequest& request) = 0;
};

}  // namespace tagflow::notify
