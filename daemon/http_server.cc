#include "daemon/http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>

#include "daemon/hooks.h"
#include "base/strings.h"

namespace tagflow::daemon {
namespace {

constexpr size_t kMaxBody = 1 << 20;

HeaderMap LowerHeaders(const httplib::Headers& headers) {
  HeaderMap out;
  for (const auto& [k, v] : headers) {
    out[Lower(k)] = v;
  }
  return out;
}

void SetError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump() + "\n", "application/json");
}

void SetJson(httplib::Response& res, const Result<std::string>& body) {
  if (body) {
    res.set_content(*body, "application/json");
  } else {
    SetError(res, body.error().kind == ErrorKind::kTransient ? 503 : 500, body.error().message);
  }
}

}  // namespace

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen) {
  auto bad = [&] {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("--listen \"{}\": expected [host]:port, e.g. :3030 or 127.0.0.1:3030", listen));
  };
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return bad();
  std::string host = listen.substr(0, colon);
  std::string port_text = listen.substr(colon + 1);
  int port = -1;
  auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return bad();
  if (host.empty()) host = "0.0.0.0";
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  return std::make_pair(host, port);
}

HttpServer::HttpServer(HttpHandlers handlers, std::string webhook_secret)
    : handlers_(std::move(handlers)),
      secret_(std::move(webhook_secret)),
      server_(std::make_unique<httplib::Server>()) {
  Route();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route() {
  httplib::Server& s = *server_;
  // SO_REUSEADDR only: httplib's default SO_REUSEPORT would let a second
  // daemon bind the same port silently.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  s.set_payload_max_length(kMaxBody);
  s.set_read_timeout(10, 0);
  s.set_write_timeout(10, 0);

  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    bool ready = handlers_.ready && handlers_.ready();
    res.status = ready ? 200 : 503;
    res.set_content(ready ? "ready\n" : "not ready: no successful git sync yet\n", "text/plain");
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(handlers_.metrics ? handlers_.metrics() : "",
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/api/v1/workloads", [this](const httplib::Request&, httplib::Response& res) {
    SetJson(res, handlers_.workloads_json());
  });
  s.Get("/api/v1/images", [this](const httplib::Request&, httplib::Response& res) {
    SetJson(res, handlers_.images_json());
  });

  // Mutating endpoints: authorise, parse, then ask for a cycle.
  auto post = [this](const std::string& path,
                     std::function<Result<std::vector<std::string>>(std::string_view)> parse,
                     bool allow_query_token) {
    server_->Post(path, [this, path, parse, allow_query_token](const httplib::Request& req,
                                                               httplib::Response& res) {
      std::string token = allow_query_token ? req.get_param_value("token") : "";
      if (!WebhookAuthorized(secret_, LowerHeaders(req.headers), req.body, token)) {
        spdlog::warn("http refused path={} remote={} reason=\"missing or wrong webhook secret\"",
                     path, req.remote_addr);
        SetError(res, 401, "missing or wrong webhook secret");
        return;
      }
      std::vector<std::string> repos;
      if (parse) {
        Result<std::vector<std::string>> parsed = parse(req.body);
        if (!parsed) {
          SetError(res, 400, parsed.error().message);
          return;
        }
        repos = std::move(*parsed);
      }
      if (handlers_.request_sync) handlers_.request_sync(path, repos);
      res.status = 202;
      nlohmann::json body = {{"status", "sync requested"}, {"repositories", repos}};
      res.set_content(body.dump() + "\n", "application/json");
    });
  };
  post("/api/v1/sync", nullptr, false);
  post("/api/v1/hooks/registry", ParseRegistryNotification, false);
  post("/api/v1/hooks/dockerhub", ParseDockerHubHook, true);
}

Result<int> HttpServer::Start(const std::string& listen) {
  Result<std::pair<std::string, int>> addr = ParseListenAddress(listen);
  if (!addr) return Fail(addr.error());
  auto [host, port] = *addr;
  int bound = port;
  if (port == 0) {
    bound = server_->bind_to_any_port(host);
  } else if (!server_->bind_to_port(host, port)) {
    bound = -1;
  }
  if (bound < 0)
    return Fail(ErrorKind::kTransient,  // a runtime failure, not bad usage
                fmt::format("--listen {}: cannot bind (in use or not permitted)", listen));
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // Stop() before the thread runs would be lost (httplib ignores stop() on a
  // server that is not running yet), so return only once it serves.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server_->is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return bound;
}

void HttpServer::Stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tagflow::daemon
