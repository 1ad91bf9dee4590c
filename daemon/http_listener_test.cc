#include "daemon/http_listener.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "daemon/testing/raw_client.h"
#include "test/support/process.h"

namespace tagflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;
using testing::RawClient;
using testing::StatusOf;

using Steady = std::chrono::steady_clock;

constexpr char kGetHealth[] = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";

// A listener over a router with /healthz and /block (which waits until the
// test opens the gate), on a loopback port.
class HttpListenerTest : public ::testing::Test {
 protected:
  void Start(ListenerLimits limits) {
    router_.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("ok\n", "text/plain");
    });
    router_.Get("/block", [this](const httplib::Request&, httplib::Response& res) {
      std::unique_lock lock(mu_);
      ++blocked_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_gate_; });
      res.set_content("done\n", "text/plain");
    });
    listener_ = std::make_unique<HttpListener>(router_, limits);
    Result<int> port = listener_->Start("127.0.0.1", 0);
    ASSERT_TRUE(port.has_value()) << port.error().message;
    port_ = *port;
  }
  void TearDown() override {
    OpenGate();
    if (listener_) listener_->Stop();
  }
  void OpenGate() {
    std::lock_guard lock(mu_);
    open_gate_ = true;
    cv_.notify_all();
  }
  bool WaitBlocked(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, seconds(10), [&] { return blocked_ >= n; });
  }
  // One GET /healthz on a new connection; its status, or -1.
  int Health(milliseconds timeout = seconds(2)) {
    RawClient c(port_);
    if (!c.connected() || !c.Send(kGetHealth)) return -1;
    return StatusOf(c.ReadResponse(timeout));
  }

  Router router_;
  std::unique_ptr<HttpListener> listener_;
  int port_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  int blocked_ = 0;         // guarded by mu_
  bool open_gate_ = false;  // guarded by mu_
};

TEST(ConnectionCapTest, AQuarterOfTheFileLimitWithinBounds) {
  EXPECT_EQ(ConnectionCapForFileLimit(256), 64u);
  EXPECT_EQ(ConnectionCapForFileLimit(1024), 256u);
  EXPECT_EQ(ConnectionCapForFileLimit(1 << 20), 512u);
  EXPECT_EQ(ConnectionCapForFileLimit(8), 4u);
}

TEST_F(HttpListenerTest, ServesKeepAliveRequestsOnOneConnection) {
  Start({});
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.Send(kGetHealth));
    std::string response = c.ReadResponse();
    EXPECT_EQ(StatusOf(response), 200) << response;
    EXPECT_THAT(response, HasSubstr("Keep-Alive: timeout=5, max=100"));
  }
  EXPECT_EQ(listener_->connections(), 1u);
}

TEST_F(HttpListenerTest, IdleConnectionIsClosedAfterTheIdleTimeout) {
  Start({.idle_timeout = milliseconds(200)});
  RawClient idle(port_);
  ASSERT_TRUE(idle.connected());
  auto start = Steady::now();
  EXPECT_TRUE(idle.WaitClosed(seconds(5)));
  EXPECT_LT(Steady::now() - start, seconds(2));
  EXPECT_TRUE(testing::WaitFor([&] { return listener_->connections() == 0; }));
}

TEST_F(HttpListenerTest, TricklingClientGetsNoMoreThanTheRequestTimeout) {
  Start({.idle_timeout = seconds(5), .request_timeout = milliseconds(500)});
  RawClient slow(port_);
  ASSERT_TRUE(slow.connected());
  auto start = Steady::now();
  // One byte every 50 ms: each read is quick, the request never completes.
  std::string head = "GET /healthz HTTP/1.1\r\nX-Padding: ";
  bool closed = false;
  for (int i = 0; i < 200 && !closed; ++i) {
    closed = !slow.Send(std::string(1, head[std::min<size_t>(i, head.size() - 1)]));
    if (!closed) closed = slow.WaitClosed(milliseconds(50));
  }
  EXPECT_TRUE(closed);
  EXPECT_LT(Steady::now() - start, seconds(3));
}

TEST_F(HttpListenerTest, EndlessHeaderLineIsCutAtTheHeadLimit) {
  Start({});
  RawClient c(port_);
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /healthz HTTP/1.1\r\nX-Long: "));
  std::string filler(4096, 'a');
  size_t sent = 0;
  while (sent < 4 * kMaxHeadBytes && c.Send(filler, seconds(2))) sent += filler.size();
  // The server stops reading at kMaxHeadBytes and closes.
  EXPECT_TRUE(c.WaitClosed(seconds(5)));
  EXPECT_LE(sent, 4 * kMaxHeadBytes);
}

TEST_F(HttpListenerTest, AtTheCapANewConnectionReplacesTheLongestIdle) {
  Start({.max_connections = 4});
  std::vector<std::unique_ptr<RawClient>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(idle.back()->connected());
    // One at a time, so "longest idle" is well defined.
    ASSERT_TRUE(testing::WaitFor([&] { return listener_->connections() == idle.size(); }));
  }
  EXPECT_EQ(Health(), 200);
  EXPECT_TRUE(idle.front()->WaitClosed(seconds(2)));
  EXPECT_GE(listener_->evicted(), 1u);
  // The evicted connection's thread finishes a moment after the shutdown.
  EXPECT_TRUE(testing::WaitFor([&] { return listener_->connections() <= 4; }));
}

TEST_F(HttpListenerTest, WhenEveryConnectionIsBusyANewOneIsClosedAtOnce) {
  Start({.max_connections = 2});
  std::vector<std::unique_ptr<RawClient>> busy;
  for (int i = 0; i < 2; ++i) {
    busy.push_back(std::make_unique<RawClient>(port_));
    ASSERT_TRUE(busy.back()->Send("GET /block HTTP/1.1\r\nHost: t\r\n\r\n"));
  }
  ASSERT_TRUE(WaitBlocked(2));
  RawClient extra(port_);
  auto start = Steady::now();
  EXPECT_TRUE(extra.WaitClosed(seconds(2)));
  EXPECT_LT(Steady::now() - start, seconds(1));
  EXPECT_GE(listener_->refused(), 1u);
  OpenGate();
  for (auto& c : busy) EXPECT_EQ(StatusOf(c->ReadResponse()), 200);
  busy.clear();
  ASSERT_TRUE(testing::WaitFor([&] { return listener_->connections() == 0; }));
  EXPECT_EQ(Health(), 200);
}

TEST_F(HttpListenerTest, HealthStaysPromptUnderIdleAndSlowConnections) {
  Start({.max_connections = 128});
  std::vector<std::unique_ptr<RawClient>> others;
  for (int i = 0; i < 64; ++i) others.push_back(std::make_unique<RawClient>(port_));
  for (int i = 0; i < 16; ++i) {
    others.push_back(std::make_unique<RawClient>(port_));
    others.back()->Send("GET /healthz HTTP/1.1\r\nX-Slow: ");
  }
  for (auto& c : others) ASSERT_TRUE(c->connected());
  for (int i = 0; i < 10; ++i) {
    auto start = Steady::now();
    EXPECT_EQ(Health(seconds(1)), 200);
    EXPECT_LT(Steady::now() - start, seconds(1));
  }
}

TEST_F(HttpListenerTest, StopClosesOpenConnections) {
  Start({});
  RawClient idle(port_);
  ASSERT_TRUE(idle.connected());
  ASSERT_TRUE(testing::WaitFor([&] { return listener_->connections() == 1; }));
  auto start = Steady::now();
  listener_->Stop();
  EXPECT_LT(Steady::now() - start, seconds(2));
  EXPECT_TRUE(idle.WaitClosed(seconds(2)));
  EXPECT_EQ(listener_->connections(), 0u);
}

}  // namespace
}  // namespace tagflow::daemon
