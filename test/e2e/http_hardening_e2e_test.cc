// `tagflow daemon`'s HTTP endpoints against hostile clients, end to end: the
// real binary, a real registry and git repository, and raw TCP clients on
// 127.0.0.1 that send oversized or malformed bodies, floods of hooks, and
// idle or trickling connections. What must hold (DESIGN.md §7): memory stays
// small, bursts of hooks run one cycle, /healthz answers within a second
// whatever the other clients do, and cycles still succeed.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>
#include <vector>

#include "daemon/testing/raw_client.h"
#include "test/e2e/e2e_fixture.h"

namespace tagflow::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using Steady = std::chrono::steady_clock;

constexpr char kSecret[] = "hook-s3cret";

// VmRSS of `pid` in KiB (0 when unreadable).
long RssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::atol(line.c_str() + 6);
  }
  return 0;
}

// The value of `series` (a full name with labels) in Prometheus text; 0 when absent.
double MetricValue(const std::string& text, const std::string& series) {
  size_t at = 0;
  while ((at = text.find(series + " ", at)) != std::string::npos) {
    if (at == 0 || text[at - 1] == '\n') return std::atof(text.c_str() + at + series.size() + 1);
    at += series.size();
  }
  return 0;
}

// GET /healthz on a fresh connection: its latency, or nullopt when it did
// not answer 200 within `timeout`.
std::optional<milliseconds> HealthLatency(int port, milliseconds timeout = seconds(1)) {
  auto start = Steady::now();
  RawClient c(port);
  if (!c.connected() || !c.Send("GET /healthz HTTP/1.1\r\nHost: probe\r\n\r\n", timeout))
    return std::nullopt;
  std::string response = c.ReadResponse(timeout);
  auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - start);
  if (StatusOf(response) != 200 || took > timeout) return std::nullopt;
  return took;
}

// Keeps `idle` connections open that never send a byte, and `slow`
// connections that trickle a request head one byte every 200 ms, reopening
// each one the daemon closes, until destroyed (two minutes at most).
class ConnectionPressure {
 public:
  ConnectionPressure(int port, int idle, int slow) : port_(port) {
    for (int i = 0; i < idle; ++i) idle_.push_back(std::make_unique<RawClient>(port_));
    for (int i = 0; i < slow; ++i) slow_.push_back(OpenSlow());
    thread_ = std::thread([this] { Run(); });
  }
  ~ConnectionPressure() {
    stop_ = true;
    thread_.join();
  }
  // Connections the daemon closed (and this reopened) so far.
  int reopened() const { return reopened_.load(); }

 private:
  std::unique_ptr<RawClient> OpenSlow() {
    auto c = std::make_unique<RawClient>(port_);
    c->Send("GET /healthz HTTP/1.1\r\nX-Slow: ", milliseconds(50));
    return c;
  }
  void Run() {
    auto deadline = Steady::now() + std::chrono::minutes(2);
    while (!stop_ && Steady::now() < deadline) {
      for (auto& c : idle_) {
        if (c->WaitClosed(milliseconds(0))) {
          c = std::make_unique<RawClient>(port_);
          ++reopened_;
        }
      }
      for (auto& c : slow_) {
        if (!c->Send("x", milliseconds(50)) || c->WaitClosed(milliseconds(0))) {
          c = OpenSlow();
          ++reopened_;
        }
      }
      std::this_thread::sleep_for(milliseconds(200));  // the trickle's pace
    }
  }

  int port_;
  std::vector<std::unique_ptr<RawClient>> idle_;
  std::vector<std::unique_ptr<RawClient>> slow_;
  std::atomic<bool> stop_{false};
  std::atomic<int> reopened_{0};
  std::thread thread_;
};

class HttpHardeningE2eTest : public E2eTest {
 protected:
  // Starts the daemon over a repo with web automated (v1, v2 available) and
  // waits until it is ready (first cycle synced). Cycles then run only on
  // request. `wrapper` goes before the binary (e.g. prlimit).
  void StartDaemon(const std::vector<std::string>& extra = {},
                   const std::vector<std::string>& wrapper = {}) {
    repo_ = MakeRepo({{"apps/web.yaml", Deployment("web", web_ + ":v1", kAutomated)}});
    // Port 0 for both listeners (a port picked ahead could be taken by a
    // test running in parallel); the daemon logs what it bound.
    std::vector<std::string> flags =
        DaemonFlags("file://" + repo_.string(), "127.0.0.1:0") +
        std::vector<std::string>{
            "--webhook-secret",    kSecret, "--automation-interval", "1h",
            "--git-poll-interval", "1h",    "--health-listen",       "127.0.0.1:0"} +
        extra;
    if (wrapper.empty()) {
      daemon_ = StartTagflow(flags);
    } else {
      std::vector<std::string> argv = wrapper;
      argv.push_back(TAGFLOW_BINARY);
      argv.insert(argv.end(), flags.begin(), flags.end());
      daemon_ = std::make_unique<Subprocess>(Subprocess::Options{
          .argv = argv,
          .env = {{"HOME", scratch_.path().string()}},
          .log_path = scratch_.path() / fmt::format("daemon-{}.log", FreePort())});
    }
    std::smatch bound;
    std::string log;
    static const std::regex kBound(R"( port=(\d+) health_port=(\d+) )");
    ASSERT_TRUE(WaitFor([&] {
      log = daemon_->Output();
      return std::regex_search(log, bound, kBound);
    })) << log;
    port_ = std::stoi(bound[1].str());
    health_port_ = std::stoi(bound[2].str());
    httplib::Client http("127.0.0.1", port_);
    ASSERT_TRUE(WaitFor([&] {
      auto res = http.Get("/readyz");
      return res && res->status == 200;
    })) << daemon_->Output();
    ASSERT_TRUE(WaitFor([&] { return OkCycles() == 1; })) << daemon_->Output();
  }
  void TearDown() override {
    if (daemon_) {
      daemon_->Signal(SIGTERM);
      daemon_->Wait(seconds(10));
    }
  }

  std::string Metrics() {
    httplib::Client http("127.0.0.1", port_);
    http.set_read_timeout(5, 0);
    auto res = http.Get("/metrics");
    return res && res->status == 200 ? res->body : "";
  }
  double OkCycles() { return MetricValue(Metrics(), "tagflow_cycles_total{result=\"ok\"}"); }
  double FailedCycles() { return MetricValue(Metrics(), "tagflow_cycles_total{result=\"error\"}"); }
  std::string RegistryHook(const std::string& repository, const std::string& tag) {
    return R"({"events":[{"action":"push","target":{"repository":")" + repository + R"(","tag":")" +
           tag + R"("},"request":{"host":")" + registry_.host() + R"("}}]})";
  }
  // POST of a signed registry hook; its status.
  int PostHook(httplib::Client& http, const std::string& body) {
    auto res = http.Post("/api/v1/hooks/registry",
                         httplib::Headers{{"Authorization", std::string("Bearer ") + kSecret}},
                         body, "application/json");
    return res ? res->status : -1;
  }
  // Pushes web:<tag>, announces it, and waits until the daemon committed it.
  void ExpectACycleUpdates(const std::string& tag, int day) {
    registry_.PushImage("team/web", tag, {.created = Day(day)});
    httplib::Client http("127.0.0.1", port_);
    http.set_connection_timeout(5, 0);
    ASSERT_EQ(PostHook(http, RegistryHook("team/web", tag)), 202);
    EXPECT_TRUE(WaitFor(
        [&] { return Show(repo_, "apps/web.yaml").find(":" + tag + "'") != std::string::npos; },
        seconds(60)))
        << daemon_->Output();
  }

  std::filesystem::path repo_;
  int port_ = 0;
  int health_port_ = 0;
  std::unique_ptr<Subprocess> daemon_;
};

TEST_F(HttpHardeningE2eTest, UnauthenticatedChunkedBodyIsRefusedQuicklyAndNotBuffered) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  long before = RssKib(daemon_->pid());
  for (size_t size : {size_t{5} << 20, size_t{256} << 20}) {
    RawClient c(port_);
    size_t sent = 0;
    auto start = Steady::now();
    std::string response = c.StreamChunked(
        "POST /api/v1/hooks/registry HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n",
        size, seconds(20), &sent);
    auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - start);
    int status = StatusOf(response);
    EXPECT_TRUE(status == 401 || status == 413) << response;
    EXPECT_LT(took, seconds(5));
    std::printf("[ metric ] chunked %zu MiB without secret: HTTP %d after %lld ms, %zu KiB sent\n",
                size >> 20, status, static_cast<long long>(took.count()), sent >> 10);
  }
  long after = RssKib(daemon_->pid());
  std::printf("[ metric ] daemon VmRSS before %ld KiB, after %ld KiB\n", before, after);
  EXPECT_LT(after - before, 16 * 1024) << "the daemon buffered what it should have refused";
}

TEST_F(HttpHardeningE2eTest, AuthenticatedChunkedBodyOverOneMebibyteIs413) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  long before = RssKib(daemon_->pid());
  RawClient c(port_);
  size_t sent = 0;
  std::string response = c.StreamChunked(
      std::string("POST /api/v1/hooks/registry HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer ") +
          kSecret + "\r\nTransfer-Encoding: chunked\r\n\r\n",
      (size_t{1} << 20) + 1, seconds(20), &sent);
  EXPECT_EQ(StatusOf(response), 413) << response;
  long after = RssKib(daemon_->pid());
  std::printf("[ metric ] 1 MiB + 1 chunked with secret: VmRSS %ld -> %ld KiB\n", before, after);
  EXPECT_LT(after - before, 16 * 1024);
  EXPECT_EQ(OkCycles(), 1);
}

TEST_F(HttpHardeningE2eTest, MalformedUtf8HookIs400) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  httplib::Client http("127.0.0.1", port_);
  std::string body = RegistryHook("team/we\xff\xfe", "v2");
  auto res = http.Post("/api/v1/hooks/registry",
                       httplib::Headers{{"Authorization", std::string("Bearer ") + kSecret}}, body,
                       "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400) << res->body;
  EXPECT_FALSE(res->has_header("EXCEPTION_WHAT"));
  EXPECT_THAT(res->body, HasSubstr("UTF-8"));
  EXPECT_EQ(HealthLatency(port_).has_value(), true);
}

TEST_F(HttpHardeningE2eTest, AThousandIdenticalHooksRunAtMostTwoCycles) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  double before = OkCycles();
  std::string hook = RegistryHook("team/web", "v2");
  httplib::Client http("127.0.0.1", port_);
  auto start = Steady::now();
  int accepted = 0;
  for (int i = 0; i < 1000; ++i) accepted += PostHook(http, hook) == 202;
  auto took = std::chrono::duration_cast<milliseconds>(Steady::now() - start);
  EXPECT_EQ(accepted, 1000);
  ASSERT_TRUE(WaitFor([&] { return OkCycles() > before; }, seconds(60))) << daemon_->Output();
  // Whatever the burst still has queued starts within a second or two of its
  // end; watch for longer than that.
  EXPECT_FALSE(WaitFor([&] { return OkCycles() > before + 2; }, seconds(5)));
  double cycles = OkCycles() - before;
  std::printf("[ metric ] 1000 identical hooks in %lld ms ran %.0f cycle(s)\n",
              static_cast<long long>(took.count()), cycles);
  EXPECT_LE(cycles, 2);
  EXPECT_THAT(Show(repo_, "apps/web.yaml"), HasSubstr(":v2'"));
}

TEST_F(HttpHardeningE2eTest, HealthStaysPromptUnderIdleAndSlowConnections) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  std::vector<milliseconds> latencies;
  {
    ConnectionPressure pressure(port_, /*idle=*/64, /*slow=*/16);
    // Twenty probes over ~8 s: across the daemon's idle and request timeouts,
    // while the pressure reopens what it closes.
    for (int i = 0; i < 20; ++i) {
      std::optional<milliseconds> took = HealthLatency(port_);
      ASSERT_TRUE(took.has_value()) << "probe " << i << " got no 200 within 1 s";
      latencies.push_back(*took);
      EXPECT_TRUE(HealthLatency(health_port_).has_value()) << "--health-listen, probe " << i;
      std::this_thread::sleep_for(milliseconds(400));  // the probes' pace, not a wait
    }
    // A cycle runs and succeeds while the connections are held.
    ExpectACycleUpdates("v3", 5);
    EXPECT_EQ(FailedCycles(), 0);
    std::printf("[ metric ] connections the daemon closed and the test reopened: %d\n",
                pressure.reopened());
  }
  std::sort(latencies.begin(), latencies.end());
  std::printf(
      "[ metric ] /healthz under 64 idle + 16 slow connections: median %lld ms, max %lld ms\n",
      static_cast<long long>(latencies[latencies.size() / 2].count()),
      static_cast<long long>(latencies.back().count()));
}

TEST_F(HttpHardeningE2eTest, ThreeHundredConnectionsUnderAnFdLimitOf256) {
  ASSERT_NO_FATAL_FAILURE(StartDaemon({}, {"prlimit", "--nofile=256:256"}));
  {
    // 300 connections held, far more than the daemon's cap of 64 (a quarter
    // of 256): the excess is closed at once, not left to hold descriptors,
    // and both listeners still answer within a second.
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 300; ++i) {
      held.push_back(std::make_unique<RawClient>(port_));
      ASSERT_TRUE(held.back()->connected()) << "connection " << i;
    }
    auto start = Steady::now();
    int closed = 0;
    ASSERT_TRUE(WaitFor(
        [&] {
          closed = 0;
          for (auto& c : held) closed += c->WaitClosed(milliseconds(0));
          return closed >= 300 - 64 - 33;
        },
        seconds(3)))
        << closed << " closed";
    std::printf("[ metric ] 300 connections, nofile=256: %d closed by the daemon in %lld ms\n",
                closed,
                static_cast<long long>(
                    std::chrono::duration_cast<milliseconds>(Steady::now() - start).count()));
    for (int port : {health_port_, port_}) {
      std::optional<milliseconds> took = HealthLatency(port);
      ASSERT_TRUE(took.has_value()) << "port " << port;
      std::printf("[ metric ] /healthz with 300 connections held, nofile=256, %s: %lld ms\n",
                  port == port_ ? "--listen" : "--health-listen",
                  static_cast<long long>(took->count()));
    }
  }
  // Then a flood: 300 connections, each reopened as soon as the daemon
  // closes it. Probes on --health-listen stay prompt; --listen still answers
  // (it queues behind the flood's connects), and a cycle succeeds.
  ConnectionPressure pressure(port_, /*idle=*/300, /*slow=*/0);
  for (int i = 0; i < 5; ++i) {
    std::optional<milliseconds> health = HealthLatency(health_port_);
    ASSERT_TRUE(health.has_value()) << "--health-listen probe " << i;
    std::optional<milliseconds> main = HealthLatency(port_, seconds(5));
    EXPECT_TRUE(main.has_value()) << "--listen probe " << i;
    std::printf(
        "[ metric ] /healthz under a flood of 300 reconnecting clients, nofile=256: "
        "--health-listen %lld ms, --listen %lld ms\n",
        static_cast<long long>(health->count()), static_cast<long long>(main ? main->count() : -1));
    std::this_thread::sleep_for(milliseconds(400));  // the probes' pace, not a wait
  }
  ExpectACycleUpdates("v3", 5);
  EXPECT_EQ(FailedCycles(), 0);
  std::printf("[ metric ] connections the daemon closed and the test reopened: %d\n",
              pressure.reopened());
  EXPECT_THAT(daemon_->Output(), ::testing::Not(HasSubstr("Too many open files")));
}

}  // namespace
}  // namespace tagflow::testing
