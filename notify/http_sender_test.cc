// HttpSender against a real HTTP server on loopback.
#include "notify/http_sender.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "notify/test_util.h"
#include "test/support/http_sink.h"
#include "test/support/process.h"

namespace tagflow::notify {
namespace {

using std::chrono::milliseconds;
using tagflow::testing::HttpSink;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kSecretPath[] = "/services/T000/B000/sekrit";

PostRequest Request(std::string url, std::string body = R"({"text":"hi"})") {
  PostRequest request;
  request.url = std::move(url);
  request.body = std::move(body);
  request.headers = {{"Content-Type", "application/json"}, {"X-Test", "1"}};
  request.timeout = milliseconds(5000);
  return request;
}

milliseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
}

class HttpSenderTest : public ::testing::Test {
 protected:
  HttpSink sink_;
  test::RealSender sender_;
};

TEST_F(HttpSenderTest, PostsBodyAndHeadersAndReturnsTheResponse) {
  sink_.SetDefaultReply({.status = 201, .body = "created"});
  std::string body(3000, 'x');  // over 1 KiB: no Expect: 100-continue round trip
  auto response = sender_.Post(Request(sink_.Url("/hook?a=1"), body));
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 201);
  EXPECT_EQ(response->body, "created");
  EXPECT_FALSE(response->retry_after.has_value());
  auto requests = sink_.Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, "/hook");
  EXPECT_EQ(requests[0].query, "a=1");
  EXPECT_EQ(requests[0].body, body);
  EXPECT_EQ(requests[0].Header("content-type"), "application/json");
  EXPECT_EQ(requests[0].Header("X-Test"), "1");
  EXPECT_EQ(requests[0].Header("User-Agent"), "tagflow");
  EXPECT_EQ(requests[0].Header("Expect"), "");
}

TEST_F(HttpSenderTest, ErrorStatusIsAResponseWithRetryAfter) {
  sink_.SetDefaultReply({.status = 429, .body = "rate_limited", .headers = {{"Retry-After", "7"}}});
  auto response = sender_.Post(Request(sink_.Url()));
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->status, 429);
  EXPECT_EQ(response->body, "rate_limited");
  EXPECT_EQ(response->retry_after, std::chrono::seconds(7));
}

TEST_F(HttpSenderTest, ResponseBodyIsCapped) {
  sink_.SetDefaultReply({.status = 500, .body = std::string(100'000, 'e')});
  auto response = sender_.Post(Request(sink_.Url()));
  ASSERT_TRUE(response.has_value()) << response.error().message;
  EXPECT_EQ(response->body.size(), 4096u);
}

TEST_F(HttpSenderTest, ClosedPortIsTransientAndHidesThePath) {
  int port = tagflow::testing::FreePort();
  std::string url = "http://127.0.0.1:" + std::to_string(port) + kSecretPath;
  auto response = sender_.Post(Request(url));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransient);
  EXPECT_THAT(response.error().message,
              AllOf(HasSubstr("http://127.0.0.1:" + std::to_string(port) + "/***"),
                    Not(HasSubstr("sekrit")), Not(HasSubstr("/services"))));
}

TEST_F(HttpSenderTest, DroppedConnectionIsTransient) {
  sink_.SetDefaultReply({.close = true});
  auto response = sender_.Post(Request(sink_.Url(kSecretPath)));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransient);
  EXPECT_THAT(response.error().message, Not(HasSubstr("sekrit")));
}

TEST_F(HttpSenderTest, SlowServerTimesOut) {
  sink_.SetDefaultReply({.delay = milliseconds(5000)});
  PostRequest request = Request(sink_.Url(kSecretPath));
  request.timeout = milliseconds(200);
  auto start = std::chrono::steady_clock::now();
  auto response = sender_.Post(request);
  EXPECT_LT(Since(start), milliseconds(2000));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransient);
  EXPECT_THAT(response.error().message, AllOf(HasSubstr("timed out"), Not(HasSubstr("sekrit"))));
}

TEST_F(HttpSenderTest, CancelFlagEndsARequestInFlight) {
  sink_.SetDefaultReply({.delay = milliseconds(10'000)});
  std::atomic<bool> cancel{false};
  PostRequest request = Request(sink_.Url());
  request.timeout = milliseconds(10'000);
  request.cancel = &cancel;
  std::thread canceller([&] {
    sink_.WaitForRequests(1, milliseconds(5000));
    cancel = true;
  });
  auto start = std::chrono::steady_clock::now();
  auto response = sender_.Post(request);
  canceller.join();
  EXPECT_LT(Since(start), milliseconds(3000));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kTransient);
}

TEST_F(HttpSenderTest, UnusableUrlIsInvalidInputAndRedacted) {
  auto response = sender_.Post(Request("gopher://example.com/sekrit"));
  ASSERT_FALSE(response.has_value());
  EXPECT_EQ(response.error().kind, ErrorKind::kInvalidInput);
  EXPECT_THAT(response.error().message, Not(HasSubstr("sekrit")));
  EXPECT_EQ(sink_.RequestCount(), 0u);
}

}  // namespace
}  // namespace tagflow::notify
