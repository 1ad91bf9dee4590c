#include "daemon/http_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.h"
#include "daemon/hooks.h"

namespace tagflow::daemon {
namespace {

using HookParse = std::function<Result<std::vector<std::string>>(const HeaderMap& headers,
                                                                 std::string_view body)>;

// A webhook receiver: its path, the name in logs and cycle reasons, how its
// body is read, and whether the secret may come as `?token=` (for senders
// that cannot set a header or sign: Docker Hub, Quay, a Pub/Sub push URL).
struct HookRoute {
  const char* path;
  const char* source;
  HookParse parse;
  bool allow_query_token;
};

const std::vector<HookRoute>& HookRoutes() {
  auto body_only = [](Result<std::vector<std::string>> (*f)(std::string_view)) {
    return [f](const HeaderMap&, std::string_view body) { return f(body); };
  };
  static const std::vector<HookRoute> routes = {
      {"/api/v1/hooks/registry", "hook registry", body_only(ParseRegistryNotification), false},
      {"/api/v1/hooks/dockerhub", "hook dockerhub", body_only(ParseDockerHubHook), true},
      {"/api/v1/hooks/harbor", "hook harbor", body_only(ParseHarborHook), false},
      {"/api/v1/hooks/quay", "hook quay", body_only(ParseQuayHook), true},
      {"/api/v1/hooks/github", "hook github",
       [](const HeaderMap& headers, std::string_view body) {
         auto it = headers.find("x-github-event");
         return ParseGitHubHook(it == headers.end() ? "" : it->second, body);
       },
       false},
      {"/api/v1/hooks/acr", "hook acr", body_only(ParseAcrHook), false},
      {"/api/v1/hooks/gcr", "hook gcr", body_only(ParseGcrPushMessage), true},
      {"/api/v1/hooks/generic", "hook generic", body_only(ParseGenericHook), false},
  };
  return routes;
}

const HookRoute* FindHook(const std::string& path) {
  for (const HookRoute& route : HookRoutes()) {
    if (path == route.path) return &route;
  }
  return nullptr;
}

// The probe listener's limits: a handful of short connections.
constexpr ListenerLimits kHealthLimits{.max_connections = HttpServer::kHealthConnections,
                                       .idle_timeout = std::chrono::seconds(2),
                                       .request_timeout = std::chrono::seconds(2),
                                       .write_timeout = std::chrono::seconds(2),
                                       .max_requests_per_connection = 100};

bool IsPostRoute(const std::string& path) {
  return path == "/api/v1/sync" || FindHook(path) != nullptr;
}

HeaderMap LowerHeaders(const httplib::Headers& headers) {
  HeaderMap out;
  for (const auto& [k, v] : headers) {
    out[Lower(k)] = v;
  }
  return out;
}

// JSON text that never throws: invalid UTF-8 (which parsing already refuses)
// would be replaced, not fatal.
std::string Dump(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void SetError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(Dump({{"error", message}}), "application/json");
}

void SetJson(httplib::Response& res, const Result<std::string>& body) {
  if (body) {
    res.set_content(*body, "application/json");
  } else {
    SetError(res, body.error().kind == ErrorKind::kTransient ? 503 : 500, body.error().message);
  }
}

// The declared Content-Length; nullopt when absent, UINT64_MAX when unreadable.
std::optional<uint64_t> ContentLength(const httplib::Request& req) {
  if (!req.has_header("Content-Length")) return std::nullopt;
  std::string text = req.get_header_value("Content-Length");
  uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size()) return UINT64_MAX;
  return value;
}

// A plain 500: the exception's text goes to the log, never to the client.
void AnswerHandlerFailure(const httplib::Request& req, httplib::Response& res,
                          std::exception_ptr ep) {
  std::string what = "unknown exception";
  try {
    if (ep) std::rethrow_exception(ep);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  spdlog::error("http handler failed method={} path={} error=\"{}\"", req.method, req.path, what);
  res.headers.clear();
  SetError(res, 500, "internal error");
}

void AddProbes(Router& s, const std::function<bool()>& ready,
               const std::function<std::string()>& details) {
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  s.Get("/readyz", [ready, details](const httplib::Request&, httplib::Response& res) {
    bool is_ready = ready && ready();
    res.status = is_ready ? 200 : 503;
    std::string body = is_ready ? "ready\n" : "not ready: no successful git sync yet\n";
    if (details) body += details() + "\n";
    res.set_content(body, "text/plain");
  });
  s.set_exception_handler(AnswerHandlerFailure);
}

// The cap for --listen from the soft RLIMIT_NOFILE.
size_t ConnectionCapFromLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return ConnectionCapForFileLimit(1024);
  return ConnectionCapForFileLimit(limit.rlim_cur == RLIM_INFINITY ? UINT64_MAX : limit.rlim_cur);
}

// Serves `router` on `listen` (the value of `flag`) into `*listener`;
// returns the bound port.
Result<int> Listen(Router& router, const ListenerLimits& limits, const std::string& listen,
                   std::string_view flag, std::unique_ptr<HttpListener>& listener) {
  Result<std::pair<std::string, int>> addr = ParseListenAddress(listen, flag);
  if (!addr) return Fail(addr.error());
  auto started = std::make_unique<HttpListener>(router, limits);
  Result<int> port = started->Start(addr->first, addr->second);
  if (!port) {
    // A runtime failure, not bad usage.
    return Fail(ErrorKind::kTransient,
                fmt::format("{} {}: cannot bind (in use or not permitted): {}", flag, listen,
                            port.error().message));
  }
  listener = std::move(started);
  return port;
}

}  // namespace

Result<std::pair<std::string, int>> ParseListenAddress(const std::string& listen,
                                                       std::string_view flag) {
  auto bad = [&] {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("{} \"{}\": expected [host]:port, e.g. :3030 or 127.0.0.1:3030", flag, listen));
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

HttpServer::HttpServer(HttpHandlers handlers, std::string webhook_secret, ListenerLimits limits)
    : handlers_(std::move(handlers)),
      secret_(std::move(webhook_secret)),
      limits_(limits),
      router_(std::make_unique<Router>()) {
  Route();
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Route() {
  Router& s = *router_;
  s.set_payload_max_length(kMaxBodyBytes);
  AddProbes(s, handlers_.ready, handlers_.ready_details);
  // Only the POST endpoints ever read a body, through HandlePost.
  s.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") return Router::HandlerResponse::Unhandled;
    if (req.method == "POST" && IsPostRoute(req.path)) return Router::HandlerResponse::Unhandled;
    if (req.method == "POST") {
      SetError(res, 404, "not found");
    } else {
      SetError(res, 405, "method not allowed");
    }
    return Router::HandlerResponse::Handled;
  });
  // `Expect: 100-continue`: refuse before the client sends the body.
  s.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "POST" || !IsPostRoute(req.path)) return 100;
    const HookRoute* hook = FindHook(req.path);
    int status = CheckHead(req, res, hook != nullptr && hook->allow_query_token);
    return status == 0 ? 100 : status;
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

  auto post = [this](const std::string& path, const std::string& source, HookParse parse,
                     bool allow_query_token) {
    router_->Post(path, [this, source, parse, allow_query_token](
                            const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
      HandlePost(req, res, reader, source, parse, allow_query_token);
    });
  };
  post("/api/v1/sync", "sync", nullptr, false);
  for (const HookRoute& hook : HookRoutes()) {
    post(hook.path, hook.source, hook.parse, hook.allow_query_token);
  }
}

void HttpServer::LogRefusal(const httplib::Request& req, std::string_view reason) {
  // At most one line per 10 s, with a count: a flood of unauthenticated
  // requests must not become a flood of log lines.
  constexpr int64_t kEveryMs = 10'000;
  int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now().time_since_epoch())
                    .count();
  uint64_t refused = ++refused_since_log_;
  int64_t last = last_refusal_log_ms_.load();
  if (last != 0 && now - last < kEveryMs) return;
  if (!last_refusal_log_ms_.compare_exchange_strong(last, now)) return;
  refused_since_log_ = 0;
  spdlog::warn("http refused path={} remote={} reason=\"{}\" refused_since_last_line={}", req.path,
               req.remote_addr, reason, refused);
}

int HttpServer::CheckHead(const httplib::Request& req, httplib::Response& res,
                          bool allow_query_token) {
  std::string token = allow_query_token ? req.get_param_value("token") : "";
  if (AuthorizeHeaders(secret_, LowerHeaders(req.headers), token) == HeaderAuth::kRefused) {
    LogRefusal(req, "missing or wrong webhook secret");
    SetError(res, 401, "missing or wrong webhook secret");
    return 401;
  }
  if (std::optional<uint64_t> length = ContentLength(req); length && *length > kMaxBodyBytes) {
    SetError(res, 413, fmt::format("request body over {} bytes", kMaxBodyBytes));
    return 413;
  }
  if (req.is_multipart_form_data()) {
    SetError(res, 415, "multipart bodies are not accepted");
    return 415;
  }
  return 0;
}

void HttpServer::HandlePost(const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader, const std::string& source,
                            const HookParse& parse, bool allow_query_token) {
  if (CheckHead(req, res, allow_query_token) != 0) return;
  std::string body;
  if (DeclaresBody(req)) {
    if (!body_slots_.try_acquire_for(kBodyWait)) {
      res.set_header("Retry-After", "1");
      SetError(res, 503, "busy: too many request bodies at once, retry");
      return;
    }
    bool too_large = false;
    bool complete = reader([&](const char* data, size_t n) {
      if (body.size() + n > kMaxBodyBytes) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    body_slots_.release();
    if (too_large) {
      SetError(res, 413, fmt::format("request body over {} bytes", kMaxBodyBytes));
      return;
    }
    if (!complete) {
      // httplib's own status: 415 for an encoding it cannot decode.
      SetError(res, res.status == 415 ? 415 : 400,
               "could not read the request body (malformed, cut short or too slow)");
      return;
    }
  }
  std::string token = allow_query_token ? req.get_param_value("token") : "";
  HeaderMap headers = LowerHeaders(req.headers);
  if (!WebhookAuthorized(secret_, headers, body, token)) {
    LogRefusal(req, "wrong webhook signature");
    SetError(res, 401, "missing or wrong webhook secret");
    return;
  }
  std::vector<std::string> repos;
  if (parse) {
    Result<std::vector<std::string>> parsed = parse(headers, body);
    if (!parsed) {
      SetError(res, 400, parsed.error().message);
      return;
    }
    repos = std::move(*parsed);
  }
  bool requested = handlers_.request_sync && handlers_.request_sync(source, repos);
  res.status = 202;
  res.set_content(Dump({{"status", requested ? "sync requested"
                                             : "ignored: no automated container uses these images"},
                        {"repositories", repos}}),
                  "application/json");
}

Result<int> HttpServer::Start(const std::string& listen) {
  if (listener_) return Fail(ErrorKind::kInternal, "the HTTP server is already started");
  ListenerLimits limits = limits_;
  if (limits.max_connections == 0) limits.max_connections = ConnectionCapFromLimit();
  Result<int> port = Listen(*router_, limits, listen, "--listen", listener_);
  if (port) {
    spdlog::debug("http listening listen={} port={} max_connections={}", listen, *port,
                  limits.max_connections);
  }
  return port;
}

Result<int> HttpServer::StartHealth(const std::string& listen) {
  if (health_listener_) return Fail(ErrorKind::kInternal, "the health server is already started");
  health_router_ = std::make_unique<Router>();
  AddProbes(*health_router_, handlers_.ready, handlers_.ready_details);
  health_router_->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if ((req.method == "GET" || req.method == "HEAD") &&
        (req.path == "/healthz" || req.path == "/readyz"))
      return Router::HandlerResponse::Unhandled;
    SetError(res, 404, "not found: this address serves /healthz and /readyz only");
    return Router::HandlerResponse::Handled;
  });
  return Listen(*health_router_, kHealthLimits, listen, "--health-listen", health_listener_);
}

void HttpServer::Stop() {
  if (health_listener_) health_listener_->Stop();
  if (listener_) listener_->Stop();
}

}  // namespace tagflow::daemon
