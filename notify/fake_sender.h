// A scripted Sender for tests of the notifier and of the daemon.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <vector>

#include "notify/sender.h"

namespace tagflow::notify {

// Records every request and answers from a script: each Post takes the next
// scripted result, and once the script is empty answers `fallback` (HTTP 200
// "ok" unless changed). Thread-safe. While held (Hold(true)), Post blocks
// until released or the request's `cancel` flag turns true.
class FakeSender final : public Sender {
 public:
  [[nodiscard]] Result<PostResponse> Post(const PostRequest& request) override;

  // Appends results to the script.
  void Script(std::vector<Result<PostResponse>> results);
  void SetFallback(Result<PostResponse> fallback);
  void Hold(bool held);

  std::vector<PostRequest> Requests() const;
  size_t RequestCount() const;
  // Waits (real time) until at least `n` requests arrived; true when they did.
  bool WaitForRequests(size_t n, std::chrono::milliseconds timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<PostRequest> requests_;
  std::deque<Result<PostResponse>> script_;
  Result<PostResponse> fallback_ = PostResponse{200, "ok", {}};
  bool held_ = false;
};

// An PostResponse with `status` and body "ok"; a Sender error of `kind`.
PostResponse Status(int status);
Result<PostResponse> SendError(ErrorKind kind, std::string message);

}  // namespace tagflow::notify
