#include "base/http.h"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <mutex>

#include "base/strings.h"

namespace tagflow {
namespace {

struct Transfer {
  HttpResponse* response;
  size_t max_body;
  const std::atomic<bool>* cancel = nullptr;
  bool too_large = false;
};

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel != nullptr && t->cancel->load() ? 1 : 0;
}

ErrorKind KindOf(CURLcode code) {
  switch (code) {
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return ErrorKind::kInvalidInput;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
      return ErrorKind::kUnauthorized;
    default:
      return ErrorKind::kTransient;
  }
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  if (t->response->body.size() + n > t->max_body) {
    t->too_large = true;
    return 0;
  }
  t->response->body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  std::string_view line(data, n);
  if (line.starts_with("HTTP/")) {
    t->response->headers.clear();  // a new response (after 100 Continue)
    return n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    t->response->headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                      std::string(Trim(line.substr(colon + 1))));
  }
  return n;
}

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

void HttpRequest::SetHeader(std::string_view name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return IEquals(h.first, name); });
  headers.emplace_back(std::string(name), std::move(value));
}

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (IEquals(key, name)) return value;
  }
  return "";
}

// Idle easy handles; each keeps its connections alive for reuse.
struct CurlHttpClient::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;

  CURL* Take() {
    {
      std::lock_guard lock(mu);
      if (!idle.empty()) {
        CURL* h = idle.back();
        idle.pop_back();
        return h;
      }
    }
    return curl_easy_init();
  }
  void Give(CURL* h) {
    std::lock_guard lock(mu);
    idle.push_back(h);
  }
  ~Pool() {
    for (CURL* h : idle) curl_easy_cleanup(h);
  }
};

CurlHttpClient::CurlHttpClient(Options options)
    : options_(std::move(options)), pool_(std::make_unique<Pool>()) {
  InitCurlOnce();
}

CurlHttpClient::~CurlHttpClient() = default;

bool CurlHttpClient::IsInsecure(const UrlParts& url) const {
  return options_.insecure_hosts.contains(url.authority) ||
         options_.insecure_hosts.contains(url.host);
}

Result<HttpResponse> CurlHttpClient::Send(const HttpRequest& request) {
  auto origin = ParseUrl(request.url);
  if (!origin) return Fail(origin.error());
  auto start = std::chrono::steady_clock::now();
  HttpRequest hop = request;
  for (int redirects = 0;; ++redirects) {
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    if (elapsed >= request.timeout) {
      return Fail(ErrorKind::kTransient, fmt::format("request to {} timed out after {} ms",
                                                     origin->authority, request.timeout.count()));
    }
    auto response = SendOnce(hop, request.timeout - elapsed);
    if (!response) return response;
    int s = response->status;
    bool redirect = s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
    std::string location = response->Header("location");
    if (!redirect || location.empty() || !request.follow_redirects) return response;
    if (redirects >= options_.max_redirects) {
      return Fail(ErrorKind::kTransient,
                  fmt::format("too many redirects from {}", origin->authority));
    }
    auto next = ResolveUrl(hop.url, location);
    if (!next) return Fail(next.error());
    auto next_parts = ParseUrl(*next);
    if (!next_parts) return Fail(next_parts.error());
    if (next_parts->scheme != origin->scheme || next_parts->authority != origin->authority) {
      std::erase_if(hop.headers, [](const auto& h) { return IEquals(h.first, "authorization"); });
    }
    if (s == 303) hop.method = "GET";
    hop.url = *next;
  }
}

Result<HttpResponse> CurlHttpClient::SendOnce(const HttpRequest& request,
                                              std::chrono::milliseconds timeout) {
  auto parts = ParseUrl(request.url);
  if (!parts) return Fail(parts.error());
  if (parts->scheme != "http" && parts->scheme != "https") {
    return Fail(ErrorKind::kInvalidInput, fmt::format("unsupported URL scheme \"{}\" for {}",
                                                      parts->scheme, parts->authority));
  }
  HttpResponse response;
  response.url = request.url;
  Transfer transfer{&response, options_.max_body_bytes, request.cancel};

  CURL* h = pool_->Take();
  if (h == nullptr) return Fail(ErrorKind::kInternal, "curl_easy_init failed");
  curl_easy_reset(h);
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers = curl_slist_append(headers, fmt::format("{}: {}", name, value).c_str());
  }
  curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(std::max<int64_t>(1, timeout.count())));
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::clamp<int64_t>(timeout.count(), 1, 10'000)));
  if (request.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (request.method == "POST" || request.method == "PATCH" || request.method == "PUT") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    // PATCH and PUT send their body as POST does, under their own verb.
    if (request.method != "POST")
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  if (IsInsecure(*parts)) {
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  if (request.cancel != nullptr) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &OnProgress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &transfer);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  char error_buffer[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);

  CURLcode code = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(headers);
  pool_->Give(h);

  if (transfer.too_large) {
    return Fail(ErrorKind::kTransient, fmt::format("response from {} exceeds {} bytes",
                                                   parts->authority, options_.max_body_bytes));
  }
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return Fail(ErrorKind::kTransient, fmt::format("request to {} timed out after {} ms",
                                                   parts->authority, timeout.count()));
  }
  if (code == CURLE_ABORTED_BY_CALLBACK) {
    return Fail(ErrorKind::kTransient,
                fmt::format("request to {} cancelled: shutting down", parts->authority));
  }
  if (code != CURLE_OK) {
    std::string why = error_buffer[0] != 0 ? error_buffer : curl_easy_strerror(code);
    return Fail(
        KindOf(code),
        ScrubUrl(fmt::format("request to {} failed: {}", parts->authority, why), request.url));
  }
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace tagflow
