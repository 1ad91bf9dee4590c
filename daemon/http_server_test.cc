#include "daemon/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <mutex>

#include "daemon/hooks.h"

namespace tagflow::daemon {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

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
    };
    server_ = std::make_unique<HttpServer>(h, secret);
    Result<int> port = server_->Start("127.0.0.1:0");
    ASSERT_TRUE(port.has_value()) << port.error().message;
    client_ = std::make_unique<httplib::Client>("127.0.0.1", *port);
  }
  size_t Syncs() {
    std::lock_guard lock(mu_);
    return syncs_.size();
  }

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
}

TEST_F(HttpServerTest, MutatingEndpointsRefuseWithoutTheSecret) {
  StartServer("s3cret");
  for (const char* path : {"/api/v1/sync", "/api/v1/hooks/registry", "/api/v1/hooks/dockerhub"}) {
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

TEST_F(HttpServerTest, OversizedBodyIsRefused) {
  StartServer("");
  auto res = client_->Post("/api/v1/hooks/registry", std::string(2 << 20, 'x'), "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(Syncs(), 0u);
}

TEST(ParseListenAddressTest, ReadsTheForms) {
  EXPECT_EQ(ParseListenAddress(":3030").value(), std::make_pair(std::string("0.0.0.0"), 3030));
  EXPECT_EQ(ParseListenAddress("127.0.0.1:0").value(), std::make_pair(std::string("127.0.0.1"), 0));
  EXPECT_EQ(ParseListenAddress("[::1]:8080").value(), std::make_pair(std::string("::1"), 8080));
  EXPECT_FALSE(ParseListenAddress("3030").has_value());
  EXPECT_FALSE(ParseListenAddress(":http").has_value());
  EXPECT_FALSE(ParseListenAddress(":70000").has_value());
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
