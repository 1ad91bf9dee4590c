// A small synchronous Redis client (hiredis) for the shared cache and the
// writer lease (--cache-url, DESIGN.md §5). Redis is an optimisation, never
// a dependency of a cycle: every command has a short deadline (connect and
// command timeouts, 200 ms by default), and after a failure the client is
// "down" and fails every command at once until its back-off (1 s doubling to
// 30 s) allows one reconnect attempt. The up/down transitions are logged once
// each (never per request), the URL only through RedactUrl, the password
// never. What Redis answers is outside input: replies larger than
// kMaxReplyBytes are refused. Thread-safe (one connection behind a mutex).
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "base/metrics.h"

struct redisContext;

namespace tagflow::registry {

// Where --cache-url points: redis://[:password@]host[:port][/db].
struct RedisTarget {
  std::string host;
  int port = 6379;
  int db = 0;
  std::string password;  // from the URL's userinfo (percent-decoded)
};

// Parses a redis:// URL; kInvalidInput naming the problem (never the password).
[[nodiscard]] Result<RedisTarget> ParseRedisUrl(std::string_view url);

struct RedisOptions {
  RedisTarget target;
  std::string redacted_url;  // for logs
  std::chrono::milliseconds connect_timeout{200};
  std::chrono::milliseconds command_timeout{200};
  std::chrono::milliseconds min_backoff{1000};
  std::chrono::milliseconds max_backoff{30'000};
};

// One reply. Errors from Redis (`-ERR ...`) come back as Result errors.
struct RedisReply {
  enum class Type { kNil, kString, kInteger, kStatus, kArray };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool nil() const { return type == Type::kNil; }
};

// 128 random bits as 32 hex digits (lock tokens, lease owner ids).
std::string RandomToken();

class RedisClient {
 public:
  // Largest reply accepted (bytes of all strings); bigger ones are a
  // kInvalidInput error and the connection is dropped.
  static constexpr size_t kMaxReplyBytes = 8 << 20;

  // Does not connect: the first command does. Borrows `clock`.
  RedisClient(RedisOptions options, Clock& clock);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Runs one command. kTransient when Redis is down, slow or unreachable
  // (then the client is down until its back-off passes), kInvalidInput for
  // an error reply or an oversized/unexpected reply.
  [[nodiscard]] Result<RedisReply> Command(const std::vector<std::string_view>& argv);

  // False while the client is in back-off after a failure.
  bool up() const { return up_.load(); }

  // Copies the counters into `out`:
  //   tagflow_cache_redis_up (gauge 1/0), tagflow_cache_redis_errors_total
  //   (commands failed by timeouts and connection errors),
  //   tagflow_cache_redis_skipped_total (commands not sent while down),
  //   tagflow_cache_redis_reconnects_total.
  void ExportTo(Metrics& out) const;

 private:
  Result<void> ConnectLocked();
  void MarkDownLocked(const std::string& why);

  RedisOptions options_;
  Clock& clock_;
  std::mutex mu_;
  redisContext* context_ = nullptr;       // guarded by mu_
  Clock::time_point retry_at_{};          // guarded by mu_
  std::chrono::milliseconds backoff_{0};  // guarded by mu_
  bool ever_connected_ = false;           // guarded by mu_
  std::atomic<bool> up_{true};
  std::atomic<uint64_t> errors_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> reconnects_{0};
};

}  // namespace tagflow::registry
