// The daemon's HTTP endpoints (DESIGN.md §7) on --listen.
//
//   GET  /healthz                 200 "ok" while the process serves
//   GET  /readyz                  200 after the first successful git sync, else 503
//   GET  /metrics                 Prometheus text
//   GET  /api/v1/workloads        JSON of `list-workloads -o json`
//   GET  /api/v1/images           JSON of `list-images -o json`
//   POST /api/v1/sync             run a cycle soon (202)
//   POST /api/v1/hooks/registry   Docker distribution notification envelope (202)
//   POST /api/v1/hooks/dockerhub  Docker Hub push webhook (202)
//   POST /api/v1/hooks/harbor, /quay, /github, /acr, /gcr, /generic
//                                 those registries' push notifications (hooks.h)
//
// A hook is answered 202 whether or not it runs a cycle: the JSON says
// "sync requested" or "ignored: ..." (no automated container uses the
// images it names) and lists the images it named.
//
// The POST endpoints require --webhook-secret when it is set (hooks.h). A
// bearer or query token is checked before the body is read (with
// `Expect: 100-continue`, before the client sends it); an HMAC signature
// needs the body, so at most kMaxBodyBytes of it is read first. Errors are
// JSON {"error": ...} and change nothing:
//   401 no or wrong secret        413 body over kMaxBodyBytes (chunked or not)
//   400 malformed body (bad JSON or UTF-8, cut short, too slow)
//   415 multipart or an encoding we cannot read
//   503 too many bodies being read at once (Retry-After: 1)
//   404/405 any other path or method (a body is never read for them)
//   500 "internal error" for a handler failure, never its details.
// Connections are bounded per listener (http_listener.h): /healthz and
// /readyz answer promptly whatever other clients do. StartHealth() serves
// only the two probes on a second address, with a few threads of its own.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <semaphore>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"
#include "daemon/http_listener.h"

namespace tagflow::daemon {

// The largest request body the endpoints read.
inline constexpr size_t kMaxBodyBytes = 1 << 20;

// What the server asks of the daemon. Every function is called from the
// server's connection threads and must be thread-safe.
struct HttpHandlers {
  std::function<bool()> ready;
  // Optional: a line /readyz adds to its body (the writer lease's state).
  std::function<std::string()> ready_details;
  std::function<std::string()> metrics;
  std::function<Result<std::string>()> workloads_json;
  std::function<Result<std::string>()> images_json;
  // Ask for a cycle soon. `source` is "sync" or "hook <receiver>";
  // `repositories` names the images a hook announced (empty for
  // /api/v1/sync). Returns false when the request was ignored (a hook
  // naming no image tagflow automates). Must not block.
  std::function<bool(const std::string& source, const std::vector<std::string>& repositories)>
      request_sync;
};

class HttpServer {
 public:
  // `limits` bound the --listen connections; max_connections 0 means "from
  // the process's open-file limit" (ConnectionCapForFileLimit).
  HttpServer(HttpHandlers handlers, std::string webhook_secret,
             ListenerLimits limits = {.max_connections = 0});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` (":3030", "127.0.0.1:0", "[::1]:8080") and serves every
  // endpoint on background threads. Returns the bound port. kInvalidInput
  // for a malformed address; kTransient, naming it, when it cannot be bound.
  [[nodiscard]] Result<int> Start(const std::string& listen);
  // The same for --health-listen: only GET /healthz and /readyz, at most
  // kHealthConnections connections with short timeouts.
  [[nodiscard]] Result<int> StartHealth(const std::string& listen);
  // Stops serving and joins every thread; safe to call twice.
  void Stop();

  static constexpr size_t kHealthConnections = 8;
  // Bodies read at once (each up to kMaxBodyBytes); a POST waits up to
  // kBodyWait for its turn, then gets 503.
  static constexpr std::ptrdiff_t kBodySlots = 8;
  static constexpr std::chrono::seconds kBodyWait{2};

 private:
  void Route();
  void HandlePost(
      const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader,
      const std::string& source,
      const std::function<Result<std::vector<std::string>>(
          const std::map<std::string, std::string>& headers, std::string_view body)>& parse,
      bool allow_query_token);
  // The checks made on the head alone; 0 when the body may be read, else the
  // status already set on `res`.
  int CheckHead(const httplib::Request& req, httplib::Response& res, bool allow_query_token);

  // Logs a refused request, rate-limited (one line per 10 s with a count).
  void LogRefusal(const httplib::Request& req, std::string_view reason);

  HttpHandlers handlers_;
  std::string secret_;
  std::atomic<int64_t> last_refusal_log_ms_{0};  // steady clock, for LogRefusal
  std::atomic<uint64_t> refused_since_log_{0};
  ListenerLimits limits_;
  std::counting_semaphore<kBodySlots> body_slots_{kBodySlots};
  std::unique_ptr<Router> router_;
  std::unique_ptr<Router> health_router_;
  std::unique_ptr<HttpListener> listener_;
  std::unique_ptr<HttpListener> health_listener_;
};

// Splits ":3030" into ("0.0.0.0", 3030), "host:port" and "[v6]:port";
// errors name `flag`.
[[nodiscard]] Result<std::pair<std::string, int>> ParseListenAddress(
    const std::string& listen, std::string_view flag = "--listen");

}  // namespace tagflow::daemon
