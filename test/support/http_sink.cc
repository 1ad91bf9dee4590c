#include "test/support/http_sink.h"

#include <httplib.h>
#include <strings.h>

#include <stdexcept>
#include <utility>

namespace tagflow::testing {

std::string RecordedRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return "";
}

int ServeOnLoopback(httplib::Server& server,
                    const std::function<void(const httplib::Request&, httplib::Response&)>& handler,
                    std::thread& thread, const std::string& who) {
  server.Get(".*", handler);
  server.Post(".*", handler);
  server.Put(".*", handler);
  server.Patch(".*", handler);
  server.Delete(".*", handler);
  int port = server.bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error(who + ": cannot bind 127.0.0.1");
  // The socket listens from here on; connections wait in the backlog until
  // the accept loop below runs.
  thread = std::thread([&server] { server.listen_after_bind(); });
  // stop() is a no-op until the accept loop runs; wait for it so that a stop
  // right after construction cannot leave the thread blocked in accept().
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!server.is_running()) {
    if (std::chrono::steady_clock::now() > give_up) {
      thread.join();  // listen_after_bind() returned: the accept loop failed
      throw std::runtime_error(who + ": server thread did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return port;
}

HttpSink::HttpSink() : server_(std::make_unique<httplib::Server>()) {
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    RecordedRequest recorded{req.method, req.path, "", {}, req.body};
    if (size_t q = req.target.find('?'); q != std::string::npos) {
      recorded.query = req.target.substr(q + 1);
    }
    recorded.headers.insert(req.headers.begin(), req.headers.end());
    Reply reply = Record(std::move(recorded));
    if (reply.delay.count() > 0) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, reply.delay, [&] { return stopping_; });
    }
    res.status = reply.status;
    for (const auto& [name, value] : reply.headers) res.set_header(name, value);
    if (reply.close) {
      // Announce a body, then fail to produce it: httplib drops the connection.
      res.set_content_provider(reply.body.size() + 1, reply.content_type,
                               [](size_t, size_t, httplib::DataSink&) { return false; });
      return;
    }
    res.set_content(reply.body, reply.content_type);
  };
  server_->Options(".*", handler);
  port_ = ServeOnLoopback(*server_, handler, thread_, "HttpSink");
}

HttpSink::~HttpSink() { Stop(); }

std::string HttpSink::Url(std::string_view path) const {
  return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

void HttpSink::SetDefaultReply(Reply reply) {
  std::lock_guard guard(mu_);
  default_ = std::move(reply);
}

void HttpSink::QueueReplies(std::vector<Reply> replies) {
  std::lock_guard guard(mu_);
  for (Reply& reply : replies) queued_.push_back(std::move(reply));
}

HttpSink::Reply HttpSink::Record(RecordedRequest request) {
  std::lock_guard guard(mu_);
  requests_.push_back(std::move(request));
  cv_.notify_all();
  if (queued_.empty()) return default_;
  Reply reply = std::move(queued_.front());
  queued_.pop_front();
  return reply;
}

std::vector<RecordedRequest> HttpSink::Requests() const {
  std::lock_guard guard(mu_);
  return requests_;
}

size_t HttpSink::RequestCount() const {
  std::lock_guard guard(mu_);
  return requests_.size();
}

bool HttpSink::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

void HttpSink::Stop() {
  {
    std::lock_guard guard(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace tagflow::testing
