#include "notify/fake_sender.h"

#include <utility>

namespace tagflow::notify {

Result<PostResponse> FakeSender::Post(const PostRequest& request) {
  std::unique_lock lock(mu_);
  requests_.push_back(request);
  cv_.notify_all();
  while (held_ && !(request.cancel != nullptr && request.cancel->load())) {
    cv_.wait_for(lock, std::chrono::milliseconds(20));  // re-checks `cancel`, set by another object
  }
  if (held_) return Fail(ErrorKind::kTransient, "cancelled");
  if (script_.empty()) return fallback_;
  Result<PostResponse> result = std::move(script_.front());
  script_.pop_front();
  return result;
}

void FakeSender::Script(std::vector<Result<PostResponse>> results) {
  std::lock_guard guard(mu_);
  for (auto& result : results) script_.push_back(std::move(result));
}

void FakeSender::SetFallback(Result<PostResponse> fallback) {
  std::lock_guard guard(mu_);
  fallback_ = std::move(fallback);
}

void FakeSender::Hold(bool held) {
  std::lock_guard guard(mu_);
  held_ = held;
  cv_.notify_all();
}

std::vector<PostRequest> FakeSender::Requests() const {
  std::lock_guard guard(mu_);
  return requests_;
}

size_t FakeSender::RequestCount() const {
  std::lock_guard guard(mu_);
  return requests_.size();
}

bool FakeSender::WaitForRequests(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return requests_.size() >= n; });
}

PostResponse Status(int status) { return PostResponse{status, "ok", {}}; }

Result<PostResponse> SendError(ErrorKind kind, std::string message) {
  return Fail(kind, std::move(message));
}

}  // namespace tagflow::notify
