// The daemon runtime with fakes at every edge: a fake git remote, a fake
// image source, a FakeClock and a notifier over a FakeSender. The HTTP server
// is real (loopback, port 0), so a hook travels the same path as in
// production: authentication, parsing, the loop's queue, one cycle.
#include "daemon/daemon.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <mutex>
#include <thread>

#include "git/fake_repo.h"
#include "manifest/real_filesystem.h"
#include "notify/fake_sender.h"
#include "notify/notifier.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using registry::TagMetadata;
using ::testing::HasSubstr;

constexpr char kSecret[] = "hook-s3cret";
constexpr char kHook[] = R"({"events":[{"action":"push","target":{"repository":"web","tag":"v2"},)"
                         R"("request":{"host":"localhost:5000"}}]})";

TimePoint At(int s) { return TimePoint(std::chrono::seconds(1'700'000'000 + s)); }

// Tag lists by canonical repository; the test changes them between cycles.
class FakeImageSource final : public ImageSource {
 public:
  void SetTags(const std::string& repository, std::vector<TagMetadata> tags) {
    std::lock_guard lock(mu_);
    tags_[repository] = std::move(tags);
  }
  std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) override {
    std::lock_guard lock(mu_);
    std::map<std::string, registry::RepositoryScan> out;
    for (const registry::ScanTarget& t : targets) {
      std::string name = t.image.CanonicalName();
      auto it = tags_.find(name);
      Result<std::vector<TagMetadata>> tags =
          it != tags_.end() ? Result<std::vector<TagMetadata>>(it->second)
                            : std::unexpected(Error{ErrorKind::kNotFound, name + ": unknown"});
      out.emplace(name, registry::RepositoryScan{t.image, false, tags});
    }
    return out;
  }
  Result<std::string> Digest(const image::ImageRef&, const std::string&) override {
    return "sha256:" + std::string(64, 'd');
  }
  std::vector<WorkloadImages> List(std::span<const manifest::Workload>) override { return {}; }

 private:
  std::mutex mu_;
  std::map<std::string, std::vector<TagMetadata>> tags_;  // guarded by mu_
};

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest()
      : remote_(git::FakeGitRemote::Files{
            {"web.yaml",
             "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n"
             "  annotations:\n    fluxcd.io/automated: \"true\"\nspec:\n  template:\n"
             "    spec:\n      containers:\n      - name: web\n"
             "        image: localhost:5000/web:v1 # pinned\n"}}),
        repo_(remote_, tmp_.path() / "clone") {
    images_.SetTags("localhost:5000/web", {{"v1", "", At(1), ""}});
    notify::NotifierOptions options;
    options.slack_url = "https://hooks.slack.example/services/T0/B0/XX";
    options.max_wait = std::chrono::milliseconds(1);
    notifier_ = std::move(notify::Notifier::Create(options, sender_, clock_).value());
  }
  ~DaemonTest() override {
    if (daemon_) daemon_->Stop();
    if (thread_.joinable()) thread_.join();
    daemon_.reset();
    notifier_->Stop(clock_.Now());
  }

  DaemonConfig Config() {
    DaemonConfig config;
    config.cycle.branch = "main";
    config.cycle.sync_tag = "";
    config.git_poll_interval = std::chrono::milliseconds(0);
    config.listen = "127.0.0.1:0";
    config.webhook_secret = kSecret;
    config.request_batching = batching_;
    return config;
  }

  // Starts serving and runs the loop on a thread; returns the port.
  int Start() {
    daemon_ = std::make_unique<Daemon>(
        DaemonEdges{repo_, fs_, images_, clock_, notifier_.get(), nullptr}, Config());
    Result<int> port = daemon_->Serve();
    EXPECT_TRUE(port.has_value()) << port.error().message;
    thread_ = std::thread([this] { daemon_->Run(); });
    return port.value_or(0);
  }

  double Cycles() { return daemon_->metrics().Value("tagflow_cycles_total", {{"result", "ok"}}); }

  std::string RemoteFile() { return remote_.Find(remote_.Head())->files.at("web.yaml"); }

  testing::TempDir tmp_;
  git::FakeGitRemote remote_;
  git::FakeGitRepo repo_;
  manifest::RealFilesystem fs_;
  FakeImageSource images_;
  FakeClock clock_;
  notify::FakeSender sender_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::unique_ptr<Daemon> daemon_;
  std::thread thread_;
  // Requests run at once unless a test batches them (and moves the clock).
  RequestBatching batching_;
};

TEST_F(DaemonTest, AHookTriggersOneCycleThatCommitsAndNotifies) {
  int port = Start();
  // The start-up cycle: nothing newer than v1 yet.
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  EXPECT_TRUE(daemon_->ready());
  std::string head = remote_.Head();
  EXPECT_EQ(sender_.RequestCount(), 0u);

  images_.SetTags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  httplib::Client client("127.0.0.1", port);
  // Without the secret the hook is refused and runs nothing.
  auto refused = client.Post("/api/v1/hooks/registry", kHook, "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 401);

  httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kSecret}};
  auto accepted = client.Post("/api/v1/hooks/registry", auth, kHook, "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 202) << accepted->body;

  ASSERT_TRUE(testing::WaitFor([&] { return remote_.Head() != head; }));
  EXPECT_THAT(RemoteFile(), HasSubstr("image: localhost:5000/web:v2 # pinned\n"));
  EXPECT_EQ(remote_.Log().front().message, "Auto-release localhost:5000/web:v2\n");
  ASSERT_TRUE(sender_.WaitForRequests(1, std::chrono::seconds(10)));
  EXPECT_THAT(sender_.Requests().front().body, HasSubstr("localhost:5000/web:v2"));
  EXPECT_EQ(daemon_->metrics().Value("tagflow_commits_total"), 1);
  // The clock never moved: the hook, not the interval, ran the second cycle,
  // and the refused hook ran none.
  EXPECT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_EQ(Cycles(), 2);
}

TEST_F(DaemonTest, AHookForAnImageNoAutomatedContainerUsesRunsNoCycle) {
  int port = Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  httplib::Client client("127.0.0.1", port);
  httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kSecret}};
  for (const char* image :
       {"localhost:5000/other", "localhost:5001/web", "docker.io/library/web"}) {
    auto res =
        client.Post("/api/v1/hooks/generic", auth,
                    std::string(R"({"image":")") + image + R"(","tag":"v9"})", "application/json");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 202) << image;
    EXPECT_THAT(res->body, HasSubstr("ignored")) << image;
  }
  // The same image a container uses does run one.
  auto used = client.Post("/api/v1/hooks/generic", auth, R"({"image":"localhost:5000/web:v2"})",
                          "application/json");
  ASSERT_TRUE(used);
  EXPECT_THAT(used->body, HasSubstr("sync requested"));
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  EXPECT_EQ(Cycles(), 2);
}

TEST(DaemonConfigTest, HooksAreDebouncedForTwoSecondsByDefault) {
  DaemonConfig config;
  EXPECT_EQ(config.request_batching.quiet, std::chrono::seconds(2));
  EXPECT_EQ(config.request_batching.quiet, kHookDebounce);
  EXPECT_EQ(config.request_batching.max_delay, kHookMaxDelay);
}

TEST_F(DaemonTest, ABurstOfHooksRunsOneCycle) {
  batching_ = {std::chrono::seconds(1), std::chrono::seconds(10)};
  int port = Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  httplib::Client client("127.0.0.1", port);
  httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kSecret}};
  for (int i = 0; i < 50; ++i) {
    auto res = client.Post("/api/v1/hooks/registry", auth, kHook, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 202);
  }
  // The clock has not moved, so the burst still waits for a quiet second.
  EXPECT_EQ(Cycles(), 1);
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 2; }));
  // Cycles run one at a time: a third one from the burst would come before
  // the cycle of this later request.
  daemon_->RequestCycle("marker");
  clock_.Advance(std::chrono::seconds(1));
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 3; }));
  EXPECT_EQ(Cycles(), 3);
}

TEST_F(DaemonTest, EndpointsServeTheLastScan) {
  int port = Start();
  ASSERT_TRUE(testing::WaitFor([&] { return Cycles() == 1; }));
  httplib::Client client("127.0.0.1", port);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  auto workloads = client.Get("/api/v1/workloads");
  ASSERT_TRUE(workloads);
  EXPECT_THAT(workloads->body, HasSubstr("\"default:deployment/web\""));
  auto metrics = client.Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("tagflow_cycles_total{result=\"ok\"} 1\n"));
  EXPECT_THAT(metrics->body, HasSubstr("tagflow_notifications_sent_total 0\n"));
}

// The writer lease as the test sets it (daemon/lease.h).
class FakeLease final : public WriterLease {
 public:
  std::atomic<LeaseState> now{LeaseState::kHolder};
  LeaseState state() override { return now.load(); }
  std::string Describe() override {
    return "writer lease test: " + std::string(LeaseStateName(now.load()));
  }
};

TEST_F(DaemonTest, OnlyTheLeaseHolderPushesAStandbyRunsNoCycle) {
  images_.SetTags("localhost:5000/web", {{"v1", "", At(1), ""}, {"v2", "", At(2), ""}});
  FakeLease lease;
  lease.now = LeaseState::kStandby;
  DaemonEdges edges{repo_, fs_, images_, clock_, notifier_.get(), nullptr};
  edges.lease = &lease;
  daemon_ = std::make_unique<Daemon>(edges, Config());
  std::string head = remote_.Head();

  CycleReport standby = daemon_->RunCycle({"test"});
  EXPECT_TRUE(standby.synced);  // a fetch keeps /readyz honest
  EXPECT_TRUE(standby.planned.empty());
  EXPECT_EQ(remote_.Head(), head);
  EXPECT_TRUE(daemon_->ready());
  EXPECT_EQ(daemon_->metrics().Value("tagflow_cycles_skipped_total", {{"reason", "standby"}}), 1);
  EXPECT_EQ(Cycles(), 0);

  lease.now = LeaseState::kUnknown;  // Redis cannot confirm: plan, never push
  CycleReport unknown = daemon_->RunCycle({"test"});
  EXPECT_EQ(unknown.planned.size(), 1u);
  EXPECT_FALSE(unknown.pushed);
  EXPECT_EQ(remote_.Head(), head);

  lease.now = LeaseState::kHolder;
  CycleReport holder = daemon_->RunCycle({"test"});
  EXPECT_TRUE(holder.pushed);
  EXPECT_NE(remote_.Head(), head);
  EXPECT_THAT(RemoteFile(), HasSubstr("web:v2"));
}

TEST_F(DaemonTest, ReadyzCarriesTheLeaseState) {
  FakeLease lease;
  lease.now = LeaseState::kStandby;
  DaemonEdges edges{repo_, fs_, images_, clock_, notifier_.get(), nullptr};
  edges.lease = &lease;
  daemon_ = std::make_unique<Daemon>(edges, Config());
  Result<int> port = daemon_->Serve();
  ASSERT_TRUE(port);
  daemon_->RunCycle({"test"});
  httplib::Client client("127.0.0.1", *port);
  auto ready = client.Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_THAT(ready->body, HasSubstr("writer lease test: standby"));
}

TEST_F(DaemonTest, StopBeforeRunReturnsAtOnce) {
  daemon_ = std::make_unique<Daemon>(
      DaemonEdges{repo_, fs_, images_, clock_, notifier_.get(), nullptr}, Config());
  daemon_->Stop();
  daemon_->Run();  // returns without running a cycle
  EXPECT_EQ(Cycles(), 0);
  EXPECT_TRUE(daemon_->stopping().load());
}

TEST_F(DaemonTest, AnAddressInUseIsARuntimeErrorNamingIt) {
  httplib::Server blocker;
  int taken = blocker.bind_to_any_port("127.0.0.1");
  ASSERT_GT(taken, 0);
  DaemonConfig config = Config();
  config.listen = "127.0.0.1:" + std::to_string(taken);
  Daemon d(DaemonEdges{repo_, fs_, images_, clock_, nullptr, nullptr}, config);
  Result<int> port = d.Serve();
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().kind, ErrorKind::kTransient);
  EXPECT_THAT(port.error().message, HasSubstr(config.listen));
}

}  // namespace
}  // namespace tagflow::daemon
