// Sender over libcurl: TLS verified against the system CA store, no redirects
// followed, only http:// and https://, the request's timeout enforced on the
// whole exchange. Error messages carry the URL redacted (RedactUrl) and never
// its path, query or userinfo.
#pragma once

#include "notify/sender.h"

namespace tagflow::notify {

class CurlSender final : public Sender {
 public:
  // Initialises libcurl (reference counted by libcurl itself).
  CurlSender();
  ~CurlSender() override;
  CurlSender(const CurlSender&) = delete;
  CurlSender& operator=(const CurlSender&) = delete;

  // See Sender::Post. Error kinds: kInvalidInput for a URL curl cannot use,
  // kUnauthorized for a TLS peer that fails verification, kTransient for
  // everything else (refused, reset, DNS, timeout).
  [[nodiscard]] Result<HttpResponse> Post(const HttpRequest& request) override;
};

}  // namespace tagflow::notify
