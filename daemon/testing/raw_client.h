// A TCP client on 127.0.0.1 for tests that need what HTTP client libraries
// hide: connections left idle, bytes trickled one at a time, bodies streamed
// while watching for an early answer. Header-only, test code only (the unit
// tests in daemon/ and the end-to-end tests in test/e2e/).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <string>
#include <string_view>

namespace tagflow::testing {

class RawClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects (blocking, 5 s at most); connected() says whether it worked.
  explicit RawClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd_ < 0) return;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
      connected_ = true;
      return;
    }
    if (errno != EINPROGRESS || !Poll(POLLOUT, Clock::now() + std::chrono::seconds(5))) return;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    connected_ = err == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  // Sends all of `data` within `timeout`; false on error or timeout.
  bool Send(std::string_view data, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + timeout;
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!Poll(POLLOUT, deadline)) return false;
      } else {
        return false;
      }
    }
    return true;
  }

  // Reads one response: the head, then Content-Length bytes of body (or up
  // to the end of the stream). What arrived by `timeout` ("" if nothing).
  std::string ReadResponse(std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto deadline = Clock::now() + timeout;
    std::string got;
    char buf[4096];
    for (;;) {
      size_t head_end = got.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        size_t want = head_end + 4 + ContentLength(got.substr(0, head_end));
        if (got.size() >= want) return got;
      }
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        got.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!Poll(POLLIN, deadline)) return got;
      } else {
        return got;  // closed or reset
      }
    }
  }

  // True when the server closes the connection (end of stream or reset)
  // within `timeout`; bytes it sends first are dropped.
  bool WaitClosed(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    char buf[4096];
    for (;;) {
      ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n == 0) return true;
      if (n < 0 && errno != EAGAIN && errno != EINTR) return true;
      if (n < 0 && !Poll(POLLIN, deadline)) return false;
    }
  }

  // Streams a chunked body of `total` bytes (64 KiB chunks) after `head`,
  // and stops as soon as the server answers. Returns the response ("" when
  // none came within `timeout`); *sent counts the body bytes sent.
  std::string StreamChunked(std::string_view head, size_t total, std::chrono::milliseconds timeout,
                            size_t* sent) {
    auto deadline = Clock::now() + timeout;
    *sent = 0;
    if (!Send(head)) return ReadResponse(std::chrono::milliseconds(500));
    const std::string payload(64 << 10, 'x');
    while (*sent < total) {
      if (Poll(POLLIN, Clock::now())) break;  // answered early
      size_t n = std::min(payload.size(), total - *sent);
      char size_line[32];
      auto [end, ec] = std::to_chars(size_line, size_line + sizeof size_line, n, 16);
      std::string chunk = std::string(size_line, end) + "\r\n" + payload.substr(0, n) + "\r\n";
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || !SendWatching(chunk, deadline)) break;
      *sent += n;
    }
    if (*sent == total) Send("0\r\n\r\n");
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return ReadResponse(std::max(left, std::chrono::milliseconds(100)));
  }

 private:
  bool Poll(short events, Clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      pollfd p{fd_, events, 0};
      int r = ::poll(&p, 1, static_cast<int>(std::max<int64_t>(0, left.count())));
      if (r > 0) return true;
      if (r == 0 || errno != EINTR) return false;
    }
  }

  // Sends `data`, but gives up as soon as a response is readable.
  bool SendWatching(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
      pollfd p{fd_, POLLIN | POLLOUT, 0};
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return false;
      int r = ::poll(&p, 1, static_cast<int>(left.count()));
      if (r > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR))) return false;
    }
    return true;
  }

  static size_t ContentLength(const std::string& head) {
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    size_t at = lower.find("\r\ncontent-length:");
    if (at == std::string::npos) return 0;
    at += 17;
    while (at < head.size() && head[at] == ' ') ++at;
    size_t value = 0;
    std::from_chars(head.data() + at, head.data() + head.size(), value);
    return value;
  }

  int fd_ = -1;
  bool connected_ = false;
};

// The status code of a response ("HTTP/1.1 413 ..." -> 413); -1 if none.
inline int StatusOf(std::string_view response) {
  if (response.size() < 12 || response.substr(0, 5) != "HTTP/") return -1;
  int status = -1;
  size_t space = response.find(' ');
  if (space == std::string_view::npos) return -1;
  std::from_chars(response.data() + space + 1, response.data() + response.size(), status);
  return status;
}

}  // namespace tagflow::testing
