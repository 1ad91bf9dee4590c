// Registry webhooks and credential helpers end to end: the `tagflow daemon`
// binary, real docker-registry servers and a bare git repository. An image
// is pushed, the registry's hook (its documented payload) is POSTed, and the
// commit lands; a rotating `docker-credential-*` stand-in on the PATH keeps
// a long-running daemon working across a password change.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>

#include "base/encoding.h"
#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using ::testing::HasSubstr;

class HooksE2eTest : public E2eTest {
 protected:
  std::filesystem::path WebRepo() {
    return MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)}});
  }
  // Starts a daemon that only runs cycles at start and on request.
  std::unique_ptr<Subprocess> StartDaemon(const std::filesystem::path& repo,
                                          std::vector<std::string> extra = {}) {
    port_ = FreePort();
    auto flags = DaemonFlags("file://" + repo.string(), "127.0.0.1:" + std::to_string(port_)) +
                 std::vector<std::string>{"--webhook-secret",      "hook-s3cret",
                                          "--automation-interval", "1h",
                                          "--git-poll-interval",   "1h"} +
                 extra;
    auto proc = StartTagflow(flags);
    http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
    EXPECT_TRUE(WaitFor([&] {
      auto res = http_->Get("/readyz");
      return res && res->status == 200;
    })) << proc->Output();
    return proc;
  }
  bool WebAt(const std::filesystem::path& repo, const std::string& tag) {
    return WaitFor(
        [&] { return Show(repo, "apps/web.yaml").find(":" + tag + "'") != std::string::npos; },
        std::chrono::seconds(30));
  }

  int port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(HooksE2eTest, HarborPushArtifactHookCommitsThePushedTag) {
  auto repo = WebRepo();
  auto proc = StartDaemon(repo);
  ASSERT_TRUE(WebAt(repo, "v2")) << proc->Output();  // the start-up cycle

  // A hook for an image nothing automates: 202, ignored.
  std::string other = R"({"type":"PUSH_ARTIFACT","event_data":{"resources":[{"resource_url":")" +
                      registry_.host() + R"(/team/unused:v1"}]}})";
  httplib::Headers auth{{"Authorization", "Bearer hook-s3cret"}};
  auto ignored = http_->Post("/api/v1/hooks/harbor", auth, other, "application/json");
  ASSERT_TRUE(ignored);
  EXPECT_EQ(ignored->status, 202);
  EXPECT_THAT(ignored->body, HasSubstr("ignored"));

  registry_.PushImage("team/web", "v9", {.created = Day(9)});
  std::string hook = R"({"type":"PUSH_ARTIFACT","occur_at":1700000000,"operator":"ci",
    "event_data":{"resources":[{"digest":"sha256:00","tag":"v9","resource_url":")" +
                     registry_.host() + R"(/team/web:v9"}],
    "repository":{"name":"web","namespace":"team","repo_full_name":"team/web","repo_type":"private"}}})";
  auto accepted = http_->Post("/api/v1/hooks/harbor", auth, hook, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;
  EXPECT_THAT(accepted->body, HasSubstr("sync requested"));
  ASSERT_TRUE(WebAt(repo, "v9")) << proc->Output();
  EXPECT_EQ(Log(repo).front(), "Auto-release " + web_ + ":v9");
  auto metrics = http_->Get("/metrics");
  ASSERT_TRUE(metrics);
  // The start-up cycle and the hook's: the ignored hook ran none.
  EXPECT_THAT(metrics->body, HasSubstr("tagflow_cycles_total{result=\"ok\"} 2"));
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(std::chrono::seconds(10)), 0);
}

TEST_F(HooksE2eTest, GcrPubSubPushWithQueryTokenCommitsThePushedTag) {
  auto repo = WebRepo();
  auto proc = StartDaemon(repo);
  ASSERT_TRUE(WebAt(repo, "v2")) << proc->Output();
  registry_.PushImage("team/web", "v7", {.created = Day(7)});
  std::string data = R"({"action":"INSERT","digest":")" + web_ + "@sha256:" + std::string(64, 'a') +
                     R"(","tag":")" + web_ + R"(:v7"})";
  std::string envelope = R"({"message":{"attributes":{},"data":")" + Base64Encode(data) +
                         R"(","messageId":"1","publishTime":"2026-01-07T10:00:00Z"},)"
                         R"("subscription":"projects/p/subscriptions/tagflow"})";
  auto refused = http_->Post("/api/v1/hooks/gcr?token=wrong", envelope, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);
  auto bad = http_->Post("/api/v1/hooks/gcr?token=hook-s3cret", R"({"message":{"data":"%%"}})",
                         "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto accepted = http_->Post("/api/v1/hooks/gcr?token=hook-s3cret", envelope, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;
  ASSERT_TRUE(WebAt(repo, "v7")) << proc->Output();
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(std::chrono::seconds(10)), 0);
}

TEST_F(HooksE2eTest, RotatingHelperCredentialsKeepALongRunningDaemonWorking) {
  RegistryServer locked({.auth = RegistryServer::Auth::kHtpasswd, .password = "pw-one-aaaa"});
  locked.PushImage("team/app", "v1", {.created = Day(1)});
  locked.PushImage("team/app", "v2", {.created = Day(2)});
  // The stand-in helper: prints the current credentials file.
  auto bin = scratch_.path() / "bin";
  auto creds = scratch_.path() / "creds.json";
  auto requests = scratch_.path() / "helper.requests";
  auto write_creds = [&](const std::string& password) {
    WriteFile(creds, R"({"ServerURL":"","Username":"tagflow-user","Secret":")" + password + "\"}");
  };
  write_creds("pw-one-aaaa");
  WriteFile(bin / "docker-credential-rotating", "#!/bin/sh\nread url\necho \"$url\" >> '" +
                                                    requests.string() + "'\ncat '" +
                                                    creds.string() + "'\n");
  chmod((bin / "docker-credential-rotating").c_str(), 0755);
  env_["PATH"] = bin.string() + ":/usr/bin:/bin";
  // Two pull secrets: the first names another registry only.
  auto first = scratch_.path() / "secret-a.json";
  auto second = scratch_.path() / "secret-b.json";
  WriteFile(first, R"({"auths":{"other.example":{"username":"x","password":"y"}}})");
  WriteFile(second, R"({"credHelpers":{")" + locked.host() + R"(":"rotating"}})");
  std::string image = locked.host() + "/team/app";
  auto repo = MakeRepo({{"apps/app.yaml", Deployment("app", image + ":v1", kAutomated)}});
  auto proc = StartDaemon(
      repo, {"--registry-insecure-host", locked.host(), "--docker-config", first.string(),
             "--docker-config", second.string(), "--registry-credential-ttl", "1h"});
  ASSERT_TRUE(WaitFor([&] {
    return Show(repo, "apps/app.yaml").find(":v2'") != std::string::npos;
  })) << proc->Output();
  EXPECT_EQ(ReadFile(requests), locked.host() + "\n");

  // The password rotates: the old one stops working, the helper has the new one.
  locked.ChangePassword("pw-two-bbbb");
  write_creds("pw-two-bbbb");
  locked.PushImage("team/app", "v3", {.created = Day(3)});
  auto sync = http_->Post("/api/v1/sync", httplib::Headers{{"Authorization", "Bearer hook-s3cret"}},
                          "", "application/json");
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->status, 202);
  ASSERT_TRUE(WaitFor([&] {
    return Show(repo, "apps/app.yaml").find(":v3'") != std::string::npos;
  })) << proc->Output();
  EXPECT_EQ(ReadFile(requests), locked.host() + "\n" + locked.host() + "\n");
  EXPECT_THAT(proc->Output(), ::testing::Not(HasSubstr("pw-two")));
  proc->Signal(SIGTERM);
  EXPECT_EQ(proc->Wait(std::chrono::seconds(10)), 0);
}

TEST_F(HooksE2eTest, AMissingHelperFailsOnlyItsRegistry) {
  RegistryServer locked({.auth = RegistryServer::Auth::kHtpasswd});
  locked.PushImage("team/app", "v1", {.created = Day(1)});
  locked.PushImage("team/app", "v2", {.created = Day(2)});
  auto config = scratch_.path() / "config.json";
  WriteFile(config, R"({"credHelpers":{")" + locked.host() + R"(":"not-installed"}})");
  env_["PATH"] = "/usr/bin:/bin";
  auto repo =
      MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)},
                {"apps/app.yaml", Deployment("app", locked.host() + "/team/app:v1", kAutomated)}});
  RunResult r =
      Tagflow(DaemonFlags("file://" + repo.string()) +
              std::vector<std::string>{"--once", "--registry-insecure-host", locked.host(),
                                       "--docker-config", config.string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("docker-credential-not-installed"));
  EXPECT_THAT(r.output, HasSubstr(locked.host()));
  // The open registry's workload was still updated.
  EXPECT_THAT(Show(repo, "apps/web.yaml"), HasSubstr(":v2'"));
  EXPECT_THAT(Show(repo, "apps/app.yaml"), HasSubstr(":v1'"));
}

}  // namespace
}  // namespace tagflow::testing
