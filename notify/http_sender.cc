#include "notify/http_sender.h"

#include <fmt/format.h>

#include <chrono>

#include "base/time.h"
#include "base/url.h"

namespace tagflow::notify {
namespace {

constexpr size_t kMaxResponseBody = 4096;

}  // namespace

Result<PostResponse> HttpSender::Post(const PostRequest& request) {
  std::string redacted = RedactUrl(request.url, UrlRedaction::kCredentialsAndPath);
  if (!IsHttpUrl(request.url)) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("POST {}: not an http(s) URL", redacted));
  }
  HttpRequest http;
  http.method = "POST";
  http.url = request.url;
  http.headers = request.headers;
  http.body = request.body;
  http.timeout = request.timeout;
  http.follow_redirects = false;
  http.cancel = request.cancel;
  Result<HttpResponse> response = client_.Send(http);
  if (!response) {
    return Fail(
        response.error().kind,
        ScrubUrl(fmt::format("POST {}: {}", redacted, response.error().message), request.url));
  }
  PostResponse out;
  out.status = response->status;
  out.body = response->body.substr(0, kMaxResponseBody);
  std::string retry_after = response->Header("retry-after");
  if (!retry_after.empty()) {
    auto now = std::chrono::system_clock::now();
    if (auto wait = ParseRetryAfter(retry_after, now)) {
      out.retry_after = std::chrono::ceil<std::chrono::seconds>(*wait);
    }
  }
  return out;
}

}  // namespace tagflow::notify
