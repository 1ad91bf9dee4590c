// The daemon's HTTP endpoints (DESIGN.md §7) on --listen.
//
//   GET  /healthz                 200 "ok" while the process serves
//   GET  /readyz                  200 after the first successful git sync, else 503
//   GET  /metrics                 Prometheus text
//   GET  /api/v1/workloads        JSON of `list-workloads -o json`
//   GET  /api/v1/images           JSON of `list-images -o json`
//   POST /api/v1/sync             run a cycle now (202)
//   POST /api/v1/hooks/registry   Docker distribution notification envelope (202)
//   POST /api/v1/hooks/dockerhub  Docker Hub push webhook (202)
// The POST endpoints require --webhook-secret when it is set (hooks.h); a
// refused request gets 401 and changes nothing. Bodies over 1 MiB get 413.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/error.h"

namespace httplib {
class Server;
}

namespace tagflow::daemon {

// What the server asks of the daemon. Every function is called from the
// server's worker threads and must be thread-safe.
struct HttpHandlers {
  std::function<bool()> ready;
  std::function<std::string()> metrics;
  std::function<Result<std::string>()> workloads_json;
  std::function<Result<std::string>()> images_json;
  // Ask for a cycle soon; `repositories` names the images a hook announced
  // (empty for /api/v1/sync). Must not block.
  std::function<void(const std::string& reason, const std::vector<std::string>& repositories)>
      request_sync;
};

class HttpServer {
 public:
  HttpServer(HttpHandlers handlers, std::string webhook_secret);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds `listen` (":3030", "127.0.0.1:0", "[::1]:8080") and serves on a
  // background thread. Returns the bound port. Errors name the address.
  [[nodiscard]] Result<int> Start(const std::string& listen);
  // Stops serving and joins the thread; safe to call twice.
  void Stop();

 private:
  void Route();

  HttpHandlers handlers_;
  std::string secret_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

// Splits ":3030" into ("0.0.0.0", 3030), "host:port" and "[v6]:port".
[[nodiscard]] Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen);

}  // namespace tagflow::daemon
