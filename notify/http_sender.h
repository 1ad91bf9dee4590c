// The Sender of the daemon: POSTs through base's HttpClient (libcurl), which
// verifies TLS against the system CA store; redirects are not followed and
// only http:// and https:// are used. Error messages carry the URL redacted
// (RedactUrl, kCredentialsAndPath) and never its path, query or userinfo.
#pragma once

#include "base/http.h"
#include "notify/sender.h"

namespace tagflow::notify {

class HttpSender final : public Sender {
 public:
  // Borrows `client`, which must outlive the sender.
  explicit HttpSender(HttpClient& client) : client_(client) {}

  // See Sender::Post. Error kinds: kInvalidInput for a URL it cannot use,
  // kUnauthorized for a TLS peer that fails verification, kTransient for
  // everything else (refused, reset, DNS, timeout, cancelled). The response
  // body is cut to its first 4 KiB; Retry-After is read in both of its forms
  // (seconds and HTTP-date).
  [[nodiscard]] Result<PostResponse> Post(const PostRequest& request) override;

 private:
  HttpClient& client_;
};

}  // namespace tagflow::notify
