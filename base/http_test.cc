// CurlHttpClient against local HTTP servers (test/support/http_sink.h).
#include "base/http.h"

#include <gtest/gtest.h>

#include "test/support/http_sink.h"

namespace tagflow {
namespace {

using std::chrono::milliseconds;
using testing::HttpSink;

HttpRequest Get(const std::string& url, milliseconds timeout = milliseconds(5000)) {
  HttpRequest r;
  r.url = url;
  r.timeout = timeout;
  r.SetHeader("Authorization", "Bearer secret-token");
  r.SetHeader("Accept", "application/json");
  return r;
}

TEST(CurlHttpClientTest, ReturnsStatusHeadersAndBody) {
  HttpSink sink;
  sink.SetDefaultReply({.status = 404,
                        .body = R"({"errors":[]})",
                        .content_type = "application/json",
                        .headers = {{"Docker-Content-Digest", "sha256:abc"}}});
  CurlHttpClient http({});
  auto r = http.Send(Get(sink.Url("/v2/x")));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body, R"({"errors":[]})");
  EXPECT_EQ(r->Header("docker-content-digest"), "sha256:abc");
  EXPECT_EQ(r->Header("CONTENT-TYPE"), "application/json");
  EXPECT_EQ(r->Header("absent"), "");
  auto sent = sink.Requests();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].Header("authorization"), "Bearer secret-token");
  EXPECT_EQ(sent[0].Header("accept"), "application/json");
}

TEST(CurlHttpClientTest, RedirectToAnotherHostDropsAuthorization) {
  HttpSink registry;
  HttpSink storage;  // another port: another host as far as credentials go
  registry.QueueReplies({{.status = 307, .headers = {{"Location", storage.Url("/blob?sig=1")}}}});
  storage.SetDefaultReply({.status = 200, .body = "blob-bytes"});
  CurlHttpClient http({});
  auto r = http.Send(Get(registry.Url("/v2/x/blobs/sha256:1")));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "blob-bytes");
  EXPECT_EQ(r->url, storage.Url("/blob?sig=1"));
  ASSERT_EQ(registry.RequestCount(), 1u);
  EXPECT_EQ(registry.Requests()[0].Header("authorization"), "Bearer secret-token");
  auto at_storage = storage.Requests();
  ASSERT_EQ(at_storage.size(), 1u);
  EXPECT_EQ(at_storage[0].Header("authorization"), "");
  EXPECT_EQ(at_storage[0].query, "sig=1");
  EXPECT_EQ(at_storage[0].Header("accept"), "application/json");  // other headers survive
}

TEST(CurlHttpClientTest, AuthorizationStaysDroppedWhenRedirectedBack) {
  HttpSink registry;
  HttpSink other;
  registry.QueueReplies({{.status = 302, .headers = {{"Location", other.Url("/hop")}}},
                         {.status = 200, .body = "back"}});
  other.QueueReplies({{.status = 302, .headers = {{"Location", registry.Url("/final")}}}});
  CurlHttpClient http({});
  auto r = http.Send(Get(registry.Url("/start")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "back");
  auto sent = registry.Requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].path, "/final");
  EXPECT_EQ(sent[1].Header("authorization"), "");
}

TEST(CurlHttpClientTest, SameHostRelativeRedirectKeepsAuthorization) {
  HttpSink sink;
  sink.QueueReplies(
      {{.status = 301, .headers = {{"Location", "/moved?x=1"}}}, {.status = 200, .body = "here"}});
  CurlHttpClient http({});
  auto r = http.Send(Get(sink.Url("/v2/a/tags/list")));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "here");
  auto sent = sink.Requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].path, "/moved");
  EXPECT_EQ(sent[1].Header("authorization"), "Bearer secret-token");
}

TEST(CurlHttpClientTest, RedirectLoopsEnd) {
  HttpSink sink;
  sink.SetDefaultReply({.status = 302, .headers = {{"Location", "/again"}}});
  CurlHttpClient http({.max_redirects = 3});
  auto r = http.Send(Get(sink.Url("/")));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("redirects"), std::string::npos);
  EXPECT_EQ(sink.RequestCount(), 4u);
}

TEST(CurlHttpClientTest, HangingServerTimesOut) {
  HttpSink sink;
  sink.SetDefaultReply({.delay = milliseconds(10'000)});
  CurlHttpClient http({});
  auto start = std::chrono::steady_clock::now();
  auto r = http.Send(Get(sink.Url("/v2/"), milliseconds(300)));
  auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kTransient);
  EXPECT_NE(r.error().message.find("timed out"), std::string::npos);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(sink.port())), std::string::npos);
  EXPECT_LT(took, milliseconds(3000));
}

TEST(CurlHttpClientTest, RefusedConnectionAndDroppedConnectionAreTransient) {
  HttpSink sink;
  std::string url = sink.Url("/v2/");
  sink.Stop();
  CurlHttpClient http({});
  auto refused = http.Send(Get(url));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kTransient);

  HttpSink dropper;
  dropper.SetDefaultReply({.close = true});
  auto dropped = http.Send(Get(dropper.Url("/v2/")));
  ASSERT_FALSE(dropped);
  EXPECT_EQ(dropped.error().kind, ErrorKind::kTransient);
}

TEST(CurlHttpClientTest, OversizedBodiesAreRefused) {
  HttpSink sink;
  sink.SetDefaultReply({.body = std::string(5000, 'x')});
  CurlHttpClient http({.max_body_bytes = 1000});
  auto r = http.Send(Get(sink.Url("/")));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos);
}

TEST(CurlHttpClientTest, HeadHasNoBodyAndBadUrlsAreInvalid) {
  HttpSink sink;
  sink.SetDefaultReply({.body = "ignored", .headers = {{"Docker-Content-Digest", "sha256:d"}}});
  CurlHttpClient http({});
  HttpRequest head = Get(sink.Url("/v2/a/manifests/1"));
  head.method = "HEAD";
  auto r = http.Send(head);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "");
  EXPECT_EQ(r->Header("docker-content-digest"), "sha256:d");
  EXPECT_EQ(sink.Requests().at(0).method, "HEAD");
  EXPECT_EQ(http.Send(Get("no-scheme")).error().kind, ErrorKind::kInvalidInput);
  EXPECT_EQ(http.Send(Get("ftp://127.0.0.1/x")).error().kind, ErrorKind::kInvalidInput);
}

TEST(CurlHttpClientTest, PatchAndPutSendTheirVerbAndBody) {
  HttpSink sink;
  CurlHttpClient http({});
  for (const char* method : {"PATCH", "PUT"}) {
    HttpRequest r = Get(sink.Url("/api/v1/x"));
    r.method = method;
    r.body = R"({"title":"t"})";
    ASSERT_TRUE(http.Send(r));
  }
  auto sent = sink.Requests();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[0].method, "PATCH");
  EXPECT_EQ(sent[1].method, "PUT");
  for (const auto& s : sent) EXPECT_EQ(s.body, R"({"title":"t"})");
}

TEST(UrlTest, ParsesResolvesAndEncodes) {
  auto u = ParseUrl("https://user:pw@Reg.Example:5000/v2/?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->authority, "reg.example:5000");
  EXPECT_EQ(u->host, "reg.example");
  EXPECT_EQ(ParseUrl("http://[::1]:8080/")->host, "::1");
  EXPECT_FALSE(ParseUrl("/relative"));
  EXPECT_EQ(*ResolveUrl("https://a.io/v2/x/tags/list?n=2", "/v2/x/tags/list?n=2&last=b"),
            "https://a.io/v2/x/tags/list?n=2&last=b");
  EXPECT_EQ(*ResolveUrl("https://a.io/v2/x", "https://b.io/y"), "https://b.io/y");
  EXPECT_EQ(UrlEncode("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
}

}  // namespace
}  // namespace tagflow
