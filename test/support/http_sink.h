// A local HTTP server that records what it is sent: the stand-in for Slack,
// generic webhooks and anything else tagflow posts to, in tests.
//
// It listens on 127.0.0.1 on a port the kernel picks, serves every method and
// path from a thread pool, records each request before answering, and answers
// as told: a status and body, after a delay, or by dropping the connection.
// All methods are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace httplib {
class Server;
struct Request;
struct Response;
}  // namespace httplib

namespace tagflow::testing {

struct RecordedRequest {
  std::string method;
  std::string path;                                 // without the query string
  std::string query;                                // "a=1&b=2" ("" when none)
  std::multimap<std::string, std::string> headers;  // names as sent
  std::string body;

  // The first value of header `name` (case-insensitive), "" when absent.
  std::string Header(std::string_view name) const;
};

// Routes every GET, POST, PUT, PATCH and DELETE of `server` to `handler`,
// binds 127.0.0.1 on a free port and runs the accept loop on `thread`;
// returns once it accepts. Returns the port; throws std::runtime_error
// (naming `who`) when it cannot.
int ServeOnLoopback(httplib::Server& server,
                    const std::function<void(const httplib::Request&, httplib::Response&)>& handler,
                    std::thread& thread, const std::string& who);

class HttpSink {
 public:
  // How to answer one request.
  struct Reply {
    int status = 200;
    std::string body = "ok";
    std::string content_type = "text/plain";
    std::map<std::string, std::string> headers;
    // Wait this long before answering (cut short when the sink stops).
    std::chrono::milliseconds delay{0};
    // Send the status line and headers announcing a body, then drop the
    // connection: the client sees a transport error, not a response.
    bool close = false;
  };

  // Starts listening and serving; throws std::runtime_error when it cannot
  // bind.
  HttpSink();
  // Stops the server, ending pending delays, and joins its thread.
  ~HttpSink();
  HttpSink(const HttpSink&) = delete;
  HttpSink& operator=(const HttpSink&) = delete;

  int port() const { return port_; }
  // "http://127.0.0.1:<port><path>".
  std::string Url(std::string_view path = "/") const;

  // The answer to every request once the queued ones are used up.
  void SetDefaultReply(Reply reply);
  // Answers the next requests, one each, in order, before the default.
  void QueueReplies(std::vector<Reply> replies);

  std::vector<RecordedRequest> Requests() const;
  size_t RequestCount() const;
  // Waits until at least `n` requests arrived or `timeout` passes; true when
  // they did.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;

  // Stops serving (the port then refuses connections). Idempotent.
  void Stop();

 private:
  Reply Record(RecordedRequest request);

  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<RecordedRequest> requests_;
  std::deque<Reply> queued_;
  Reply default_;
  bool stopping_ = false;
};

}  // namespace tagflow::testing
