#include "daemon/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include "base/encoding.h"
#include "daemon/hooks.h"
#include "daemon/testing/raw_client.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::RawClient;
using testing::StatusOf;

using Steady = std::chrono::steady_clock;

constexpr char kHook[] =
    R"({"events":[{"action":"push","target":{"repository":"team/app","tag":"v2"},)"
    R"("request":{"host":"localhost:5000"}}]})";

// "POST <path>" with a chunked body to come, and `headers` ("Name: v\r\n"...).
std::string ChunkedHead(const std::string& path, const std::string& headers = "") {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" + headers +
         "Transfer-Encoding: chunked\r\n\r\n";
}

// A real server on a loopback port, driven by a real HTTP client.
class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(const std::string& secret) {
    HttpHandlers h;
    h.ready = [this] { return ready_.load(); };
    h.metrics = [] { return std::string("tagflow_cycles_total 3\n"); };
    h.workloads_json = [] { return Result<std::string>("[{\"ID\":\"default:deployment/app\"}]"); };
    h.images_json = [] {
      return Result<std::string>(std::unexpected(Error{ErrorKind::kTransient, "registry down"}));
    };
    h.request_sync = [this](const std::string& reason, const std::vector<std::string>& repos) {
      std::lock_guard lock(mu_);
      syncs_.push_back(reason);
      repos_.insert(repos_.end(), repos.begin(), repos.end());
      return !ignore_hooks_;
    };
    if (throw_in_workloads_) {
      h.workloads_json = []() -> Result<std::string> {
        throw std::runtime_error("detail that must stay inside: /etc/secret");
      };
    }
    server_ = std::make_unique<HttpServer>(h, secret, limits_);
    Result<int> port = server_->Start("127.0.0.1:0");
    ASSERT_TRUE(port.has_value()) << port.error().message;
    port_ = *port;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }
  size_t Syncs() {
    std::lock_guard lock(mu_);
    return syncs_.size();
  }

  ListenerLimits limits_{.max_connections = 64};
  bool throw_in_workloads_ = false;
  bool ignore_hooks_ = false;
  int port_ = 0;
  std::atomic<bool> ready_{false};
  std::mutex mu_;
  std::vector<std::string> syncs_;
  std::vector<std::string> repos_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, HealthAndReadiness) {
  StartServer("");
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = client_->Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 503);
  ready_ = true;
  EXPECT_EQ(client_->Get("/readyz")->status, 200);
}

TEST_F(HttpServerTest, MetricsAndJsonEndpoints) {
  StartServer("");
  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->body, "tagflow_cycles_total 3\n");
  auto workloads = client_->Get("/api/v1/workloads");
  ASSERT_TRUE(workloads);
  EXPECT_EQ(workloads->status, 200);
  EXPECT_THAT(workloads->body, HasSubstr("default:deployment/app"));
  auto images = client_->Get("/api/v1/images");
  ASSERT_TRUE(images);
  EXPECT_EQ(images->status, 503);
  EXPECT_THAT(images->body, HasSubstr("registry down"));
}

TEST_F(HttpServerTest, SyncWithoutSecretConfiguredIsOpen) {
  StartServer("");
  auto res = client_->Post("/api/v1/sync", "", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_EQ(Syncs(), 1u);
  std::lock_guard lock(mu_);
  EXPECT_THAT(syncs_, ElementsAre("sync"));
}

TEST_F(HttpServerTest, MutatingEndpointsRefuseWithoutTheSecret) {
  StartServer("s3cret");
  for (const char* path : {"/api/v1/sync", "/api/v1/hooks/registry", "/api/v1/hooks/dockerhub",
                           "/api/v1/hooks/harbor", "/api/v1/hooks/quay", "/api/v1/hooks/github",
                           "/api/v1/hooks/acr", "/api/v1/hooks/gcr", "/api/v1/hooks/generic"}) {
    auto res = client_->Post(path, "{}", "application/json");
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 401) << path;
    auto wrong = client_->Post(path, httplib::Headers{{"Authorization", "Bearer nope"}}, "{}",
                               "application/json");
    EXPECT_EQ(wrong->status, 401) << path;
  }
  EXPECT_EQ(Syncs(), 0u);
  // Reads stay open: they are what a dashboard polls.
  EXPECT_EQ(client_->Get("/api/v1/workloads")->status, 200);
}

TEST_F(HttpServerTest, RegistryHookWithHmacRequestsASyncForThePushedRepos) {
  StartServer("s3cret");
  std::string body = R"({"events":[{"action":"push","target":{"repository":"team/app","tag":"v2"},
                        "request":{"host":"localhost:5000"}}]})";
  httplib::Headers headers{{"X-Hub-Signature-256", HmacSha256Signature("s3cret", body)}};
  auto res = client_->Post("/api/v1/hooks/registry", headers, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  std::lock_guard lock(mu_);
  EXPECT_THAT(repos_, ElementsAre("localhost:5000/team/app"));
}

TEST_F(HttpServerTest, MalformedHookIs400AndNoSync) {
  StartServer("s3cret");
  auto res =
      client_->Post("/api/v1/hooks/registry", httplib::Headers{{"Authorization", "Bearer s3cret"}},
                    "garbage", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, DockerHubHookAcceptsQueryToken) {
  StartServer("s3cret");
  auto res = client_->Post("/api/v1/hooks/dockerhub?token=s3cret",
                           R"({"repository":{"repo_name":"org/app"}})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  std::lock_guard lock(mu_);
  EXPECT_THAT(repos_, ElementsAre("docker.io/org/app"));
}

TEST_F(HttpServerTest, GitHubHookIsVerifiedByItsSignatureAndReadsTheEventHeader) {
  StartServer("s3cret");
  std::string body = R"({"action":"published","registry_package":{"name":"app",
    "namespace":"org","package_type":"CONTAINER",
    "package_version":{"package_url":"ghcr.io/org/app:v2"}}})";
  httplib::Headers forged{{"X-GitHub-Event", "registry_package"},
                          {"X-Hub-Signature-256", HmacSha256Signature("other", body)}};
  auto refused = client_->Post("/api/v1/hooks/github", forged, body, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  httplib::Headers signed_{{"X-GitHub-Event", "registry_package"},
                           {"X-Hub-Signature-256", HmacSha256Signature("s3cret", body)}};
  auto res = client_->Post("/api/v1/hooks/github", signed_, body, "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  // GitHub cannot send a query token: it is not accepted there.
  EXPECT_EQ(client_->Post("/api/v1/hooks/github?token=s3cret", body, "application/json")->status,
            401);
  std::lock_guard lock(mu_);
  EXPECT_THAT(syncs_, ElementsAre("hook github"));
  EXPECT_THAT(repos_, ElementsAre("ghcr.io/org/app"));
}

TEST_F(HttpServerTest, PubSubAndQuayHooksTakeTheQueryTokenHarborAndAcrDoNot) {
  StartServer("s3cret");
  std::string gcr = R"({"message":{"data":")" +
                    Base64Encode(R"({"action":"INSERT","tag":"gcr.io/p/app:v1"})") + R"("}})";
  EXPECT_EQ(client_->Post("/api/v1/hooks/gcr?token=s3cret", gcr, "application/json")->status, 202);
  EXPECT_EQ(client_
                ->Post("/api/v1/hooks/quay?token=s3cret", R"({"docker_url":"quay.io/n/r"})",
                       "application/json")
                ->status,
            202);
  std::string acr =
      R"({"action":"push","target":{"repository":"r"},"request":{"host":"x.azurecr.io"}})";
  EXPECT_EQ(client_->Post("/api/v1/hooks/acr?token=s3cret", acr, "application/json")->status, 401);
  EXPECT_EQ(client_
                ->Post("/api/v1/hooks/acr", httplib::Headers{{"Authorization", "Bearer s3cret"}},
                       acr, "application/json")
                ->status,
            202);
  auto bad =
      client_->Post("/api/v1/hooks/harbor", httplib::Headers{{"Authorization", "Bearer s3cret"}},
                    R"({"type":"PUSH_ARTIFACT"})", "application/json");
  EXPECT_EQ(bad->status, 400);
  EXPECT_THAT(bad->body, HasSubstr("Harbor webhook"));
  std::lock_guard lock(mu_);
  EXPECT_THAT(repos_, ElementsAre("gcr.io/p/app", "quay.io/n/r", "x.azurecr.io/r"));
}

TEST_F(HttpServerTest, AnIgnoredHookIsStill202AndSaysSo) {
  ignore_hooks_ = true;
  StartServer("");
  auto res = client_->Post("/api/v1/hooks/generic", R"({"image":"reg.example/unused","tag":"1"})",
                           "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 202);
  EXPECT_THAT(res->body, HasSubstr("ignored: no automated container uses these images"));
  EXPECT_THAT(res->body, HasSubstr("reg.example/unused"));
}

TEST_F(HttpServerTest, OversizedBodyIsRefused) {
  StartServer("");
  auto res = client_->Post("/api/v1/hooks/registry", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, ChunkedBodyOverTheCapIs413) {
  StartServer("s3cret");
  // A bearer token admits the body, a signature needs it read: either way
  // no more than kMaxBodyBytes is.
  for (const char* auth :
       {"Authorization: Bearer s3cret\r\n", "X-Hub-Signature-256: sha256=00\r\n"}) {
    for (size_t size : {kMaxBodyBytes + 1, 4 * kMaxBodyBytes}) {
      RawClient c(port_);
      size_t sent = 0;
      std::string response =
          c.StreamChunked(ChunkedHead("/api/v1/hooks/registry", auth), size, seconds(10), &sent);
      EXPECT_EQ(StatusOf(response), 413) << auth << size << response;
    }
  }
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, ChunkedBodyWithoutTheSecretIsRefusedUnread) {
  StartServer("s3cret");
  RawClient c(port_);
  size_t sent = 0;
  auto start = Steady::now();
  std::string response = c.StreamChunked(ChunkedHead("/api/v1/hooks/registry"), 64 * kMaxBodyBytes,
                                         seconds(10), &sent);
  EXPECT_EQ(StatusOf(response), 401) << response;
  EXPECT_LT(Steady::now() - start, seconds(5));
  // Far less than the 64 MiB offered went out before the answer.
  EXPECT_LT(sent, 16 * kMaxBodyBytes);
}

TEST_F(HttpServerTest, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  StartServer("s3cret");
  for (const auto& [headers, status] : std::vector<std::pair<std::string, int>>{
           {"Content-Length: 100\r\n", 401},
           {"Authorization: Bearer s3cret\r\nContent-Length: 5000000\r\n", 413},
           {"Authorization: Bearer s3cret\r\nContent-Length: 10\r\n", 100}}) {
    RawClient c(port_);
    ASSERT_TRUE(c.Send("POST /api/v1/hooks/registry HTTP/1.1\r\nHost: t\r\n" + headers +
                       "Expect: 100-continue\r\n\r\n"));
    std::string response = c.ReadResponse(seconds(5));
    EXPECT_EQ(StatusOf(response), status) << headers << response;
  }
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, ContentLengthOverTheCapIs413WithoutTheSecretToo) {
  StartServer("");
  RawClient c(port_);
  ASSERT_TRUE(
      c.Send("POST /api/v1/sync HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n"));
  EXPECT_EQ(StatusOf(c.ReadResponse()), 413);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, MalformedUtf8Is400) {
  StartServer("s3cret");
  httplib::Headers auth{{"Authorization", "Bearer s3cret"}};
  for (std::string body : {std::string(R"({"events":[{"action":"push","target":{"repository":"a)") +
                               "\xff" + R"("}}]})",
                           std::string("{\"events\":[]}\xc3"), std::string("\xfe\xff")}) {
    auto res = client_->Post("/api/v1/hooks/registry", auth, body, "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 400) << res->body;
    EXPECT_FALSE(res->has_header("EXCEPTION_WHAT"));
  }
  auto hub = client_->Post("/api/v1/hooks/dockerhub?token=s3cret",
                           "{\"repository\":{\"repo_name\":\"a\xc3\"}}", "application/json");
  ASSERT_TRUE(hub);
  EXPECT_EQ(hub->status, 400);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, HandlerExceptionIsAPlain500) {
  throw_in_workloads_ = true;
  StartServer("");
  auto res = client_->Get("/api/v1/workloads");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_FALSE(res->has_header("EXCEPTION_WHAT"));
  EXPECT_THAT(res->body, HasSubstr("internal error"));
  EXPECT_THAT(res->body, Not(HasSubstr("secret")));
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
}

TEST_F(HttpServerTest, OtherPathsAndMethodsNeverReadABody) {
  StartServer("");
  RawClient post(port_);
  ASSERT_TRUE(post.Send("POST /nowhere HTTP/1.1\r\nHost: t\r\nContent-Length: 1073741824\r\n\r\n"));
  EXPECT_EQ(StatusOf(post.ReadResponse()), 404);
  RawClient put(port_);
  ASSERT_TRUE(put.Send(ChunkedHead("/api/v1/sync").replace(0, 4, "PUT")));
  EXPECT_EQ(StatusOf(put.ReadResponse()), 405);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, MultipartIs415) {
  StartServer("");
  auto res = client_->Post("/api/v1/hooks/registry", "--b\r\n\r\nx\r\n--b--\r\n",
                           "multipart/form-data; boundary=b");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 415);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, ChunkedHookWithinTheCapIsAccepted) {
  StartServer("s3cret");
  RawClient c(port_);
  std::string body = kHook;
  char size[16];
  snprintf(size, sizeof size, "%zx", body.size());
  ASSERT_TRUE(
      c.Send(ChunkedHead("/api/v1/hooks/registry",
                         "X-Hub-Signature-256: " + HmacSha256Signature("s3cret", body) + "\r\n") +
             size + "\r\n" + body + "\r\n0\r\n\r\n"));
  std::string response = c.ReadResponse();
  EXPECT_EQ(StatusOf(response), 202) << response;
  EXPECT_THAT(response, HasSubstr("Connection: close"));
  std::lock_guard lock(mu_);
  EXPECT_THAT(repos_, ElementsAre("localhost:5000/team/app"));
  EXPECT_THAT(syncs_, ElementsAre("hook registry"));
}

TEST_F(HttpServerTest, BodiesReadAtOnceAreBounded) {
  limits_.request_timeout = seconds(8);
  StartServer("");
  // kBodySlots clients start a body and stall: each holds a slot.
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < HttpServer::kBodySlots; ++i) {
    stalled.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(stalled.back()->Send(ChunkedHead("/api/v1/sync") + "10\r\nabc"));
  }
  std::string response;
  // The slots may not all be taken yet when `late` arrives: retry until 503.
  ASSERT_TRUE(testing::WaitFor(
      [&] {
        RawClient c(port_);
        c.Send(ChunkedHead("/api/v1/sync") + "2\r\n{}\r\n0\r\n\r\n");
        response = c.ReadResponse(seconds(5));
        return StatusOf(response) == 503;
      },
      seconds(20)))
      << response;
  EXPECT_THAT(response, HasSubstr("Retry-After: 1"));
  // Probes are not bodies: they still answer at once.
  auto start = Steady::now();
  EXPECT_EQ(client_->Get("/healthz")->status, 200);
  EXPECT_LT(Steady::now() - start, seconds(1));
}

TEST_F(HttpServerTest, HealthListenerServesOnlyTheProbes) {
  StartServer("");
  Result<int> port = server_->StartHealth("127.0.0.1:0");
  ASSERT_TRUE(port.has_value()) << port.error().message;
  httplib::Client health("127.0.0.1", *port);
  EXPECT_EQ(health.Get("/healthz")->status, 200);
  EXPECT_EQ(health.Get("/readyz")->status, 503);
  ready_ = true;
  EXPECT_EQ(health.Get("/readyz")->status, 200);
  EXPECT_EQ(health.Get("/metrics")->status, 404);
  EXPECT_EQ(health.Post("/api/v1/sync", "", "application/json")->status, 404);
  EXPECT_EQ(Syncs(), 0u);
}

TEST_F(HttpServerTest, HealthListenerAnswersWhileTheMainOneIsFull) {
  limits_.max_connections = 4;
  StartServer("");
  Result<int> health_port = server_->StartHealth("127.0.0.1:0");
  ASSERT_TRUE(health_port.has_value());
  // Many more connections than either listener takes, trickling heads.
  std::vector<std::unique_ptr<RawClient>> flood;
  for (int i = 0; i < 40; ++i) {
    flood.push_back(std::make_unique<RawClient>(i % 2 ? port_ : *health_port));
    flood.back()->Send("GET /healthz HTTP/1.1\r\n");
  }
  for (int i = 0; i < 5; ++i) {
    RawClient probe(*health_port);
    auto start = Steady::now();
    ASSERT_TRUE(probe.Send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    EXPECT_EQ(StatusOf(probe.ReadResponse(seconds(1))), 200);
    EXPECT_LT(Steady::now() - start, seconds(1));
  }
}

TEST(ParseListenAddressTest, ReadsTheForms) {
  EXPECT_EQ(ParseListenAddress(":3030").value(), std::make_pair(std::string("0.0.0.0"), 3030));
  EXPECT_EQ(ParseListenAddress("127.0.0.1:0").value(), std::make_pair(std::string("127.0.0.1"), 0));
  EXPECT_EQ(ParseListenAddress("[::1]:8080").value(), std::make_pair(std::string("::1"), 8080));
  EXPECT_FALSE(ParseListenAddress("3030").has_value());
  EXPECT_FALSE(ParseListenAddress(":http").has_value());
  EXPECT_FALSE(ParseListenAddress(":70000").has_value());
  EXPECT_THAT(ParseListenAddress("x", "--health-listen").error().message,
              HasSubstr("--health-listen"));
}

TEST(HttpServerBindTest, PortInUseIsAClearError) {
  HttpServer first({}, "");
  Result<int> port = first.Start("127.0.0.1:0");
  ASSERT_TRUE(port.has_value());
  HttpServer second({}, "");
  Result<int> again = second.Start("127.0.0.1:" + std::to_string(*port));
  ASSERT_FALSE(again.has_value());
  EXPECT_THAT(again.error().message, HasSubstr(std::to_string(*port)));
}

}  // namespace
}  // namespace tagflow::daemon
