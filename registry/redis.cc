#include "registry/redis.h"

#include <fmt/format.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <optional>
#include <random>

#include "base/strings.h"

namespace tagflow::registry {
namespace {

timeval ToTimeval(std::chrono::milliseconds d) {
  return timeval{static_cast<time_t>(d.count() / 1000),
                 static_cast<suseconds_t>((d.count() % 1000) * 1000)};
}

std::optional<int> ParseInt(std::string_view s) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// %XX escapes of a URL's userinfo; nullopt when malformed.
std::optional<std::string> PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    int v = 0;
    auto [p, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || p != s.data() + i + 3) return std::nullopt;
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

// Converts a hiredis reply, counting its bytes against `budget`.
Result<RedisReply> Convert(const redisReply* r, size_t& budget) {
  RedisReply out;
  auto take = [&](size_t n) { return n <= budget ? (budget -= n, true) : false; };
  switch (r->type) {
    case REDIS_REPLY_NIL:
      return out;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      return out;
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      if (!take(r->len)) break;
      out.type =
          r->type == REDIS_REPLY_STRING ? RedisReply::Type::kString : RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      return out;
    case REDIS_REPLY_ERROR:
      return Fail(
          ErrorKind::kInvalidInput,
          fmt::format("redis error: {}", std::string_view(r->str, std::min<size_t>(r->len, 200))));
    case REDIS_REPLY_ARRAY:
      if (!take(r->elements * sizeof(RedisReply))) break;
      out.type = RedisReply::Type::kArray;
      for (size_t i = 0; i < r->elements; ++i) {
        auto e = Convert(r->element[i], budget);
        if (!e) return Fail(e.error());
        out.elements.push_back(std::move(*e));
      }
      return out;
    default:
      return Fail(ErrorKind::kInvalidInput, "redis: unexpected reply type");
  }
  return Fail(ErrorKind::kInvalidInput,
              fmt::format("redis: reply larger than {} bytes", RedisClient::kMaxReplyBytes));
}

}  // namespace

std::string RandomToken() {
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 4; ++i) out += fmt::format("{:08x}", rd());
  return out;
}

Result<RedisTarget> ParseRedisUrl(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (!url.starts_with(kScheme)) {
    return Fail(ErrorKind::kInvalidInput, "--cache-url must start with redis://");
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisTarget t;
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto n = ParseInt(db);
      if (!n || *n < 0 || *n > 15) {
        return Fail(ErrorKind::kInvalidInput,
                    "--cache-url: the database after the host must be a number 0-15");
      }
      t.db = *n;
    }
  }
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    size_t colon = userinfo.find(':');
    std::string_view password =
        colon == std::string_view::npos ? userinfo : userinfo.substr(colon + 1);
    auto decoded = PercentDecode(password);
    if (!decoded) return Fail(ErrorKind::kInvalidInput, "--cache-url: malformed %-escape");
    t.password = std::move(*decoded);
  }
  std::string_view host = authority;
  size_t bracket = authority.rfind(']');
  if (size_t colon = authority.rfind(':');
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket)) {
    host = authority.substr(0, colon);
    auto port = ParseInt(authority.substr(colon + 1));
    if (!port || *port <= 0 || *port > 65535) {
      return Fail(ErrorKind::kInvalidInput, "--cache-url: the port must be 1-65535");
    }
    t.port = *port;
  }
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  if (host.empty()) return Fail(ErrorKind::kInvalidInput, "--cache-url has no host");
  t.host = std::string(host);
  return t;
}

RedisClient::RedisClient(RedisOptions options, Clock& clock)
    : options_(std::move(options)), clock_(clock) {}

RedisClient::~RedisClient() {
  if (context_ != nullptr) redisFree(context_);
}

void RedisClient::MarkDownLocked(const std::string& why) {
  if (context_ != nullptr) {
    redisFree(context_);
    context_ = nullptr;
  }
  backoff_ =
      backoff_.count() == 0 ? options_.min_backoff : std::min(backoff_ * 2, options_.max_backoff);
  retry_at_ = clock_.Now() + backoff_;
  ++errors_;
  if (up_.exchange(false)) {
    spdlog::warn(
        "shared cache unavailable url={} error=\"{}\": using the local cache and the registries, "
        "retrying with back-off",
        options_.redacted_url, why);
  }
}

namespace {

// Sends one command (binary-safe arguments) and reads its reply; null on a
// connection error or timeout (then `context->errstr` says why).
redisReply* SendArgv(redisContext* context, const std::vector<std::string_view>& argv) {
  std::vector<const char*> args;
  std::vector<size_t> lens;
  for (std::string_view a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lens.data()));
}

}  // namespace

Result<void> RedisClient::ConnectLocked() {
  const RedisTarget& t = options_.target;
  redisContext* c =
      redisConnectWithTimeout(t.host.c_str(), t.port, ToTimeval(options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    std::string why = c != nullptr ? c->errstr : "out of memory";
    if (c != nullptr) redisFree(c);
    return Fail(ErrorKind::kTransient, fmt::format("connect {}:{}: {}", t.host, t.port, why));
  }
  redisSetTimeout(c, ToTimeval(options_.command_timeout));
  redisEnableKeepAlive(c);
  context_ = c;
  auto check = [&](const std::vector<std::string_view>& argv) -> Result<void> {
    redisReply* r = SendArgv(context_, argv);
    if (r == nullptr) {
      return Fail(ErrorKind::kTransient, fmt::format("{}: {}", argv[0], context_->errstr));
    }
    bool error = r->type == REDIS_REPLY_ERROR;
    freeReplyObject(r);
    // The reply text of AUTH may echo nothing secret, but it is not needed.
    if (error) return Fail(ErrorKind::kTransient, fmt::format("{} refused", argv[0]));
    return {};
  };
  Result<void> ok;
  if (!t.password.empty()) ok = check({"AUTH", t.password});
  std::string db = std::to_string(t.db);
  if (ok && t.db != 0) ok = check({"SELECT", db});
  if (ok) ok = check({"PING"});
  if (!ok) {
    redisFree(context_);
    context_ = nullptr;
  }
  return ok;
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string_view>& argv) {
  std::lock_guard lock(mu_);
  if (context_ == nullptr) {
    if (!up_ && clock_.Now() < retry_at_) {
      ++skipped_;
      return Fail(ErrorKind::kTransient, "shared cache unavailable (in back-off)");
    }
    if (auto ok = ConnectLocked(); !ok) {
      MarkDownLocked(ok.error().message);
      return Fail(ok.error());
    }
    if (ever_connected_) ++reconnects_;
    ever_connected_ = true;
    backoff_ = std::chrono::milliseconds(0);
    if (!up_.exchange(true)) {
      spdlog::info("shared cache available again url={}", options_.redacted_url);
    }
  }
  redisReply* r = SendArgv(context_, argv);
  if (r == nullptr) {
    std::string why = context_->errstr;
    MarkDownLocked(why);
    return Fail(ErrorKind::kTransient, "shared cache: " + why);
  }
  size_t budget = kMaxReplyBytes;
  Result<RedisReply> out = Convert(r, budget);
  freeReplyObject(r);
  if (!out && out.error().message.find("larger than") != std::string::npos) {
    redisFree(context_);  // a hostile or confused server: start afresh
    context_ = nullptr;
  }
  return out;
}

void RedisClient::ExportTo(Metrics& out) const {
  out.Describe("tagflow_cache_redis_up", Metrics::Type::kGauge,
               "1 while the shared cache (--cache-url) answers, 0 in back-off.");
  out.Describe("tagflow_cache_redis_errors_total", Metrics::Type::kCounter,
               "Shared cache commands failed by timeouts or connection errors.");
  out.Describe("tagflow_cache_redis_skipped_total", Metrics::Type::kCounter,
               "Shared cache commands not sent while in back-off (the local cache served).");
  out.Describe("tagflow_cache_redis_reconnects_total", Metrics::Type::kCounter,
               "Connections to the shared cache made again after a failure.");
  out.Set("tagflow_cache_redis_up", {}, up_ ? 1 : 0);
  out.Set("tagflow_cache_redis_errors_total", {}, static_cast<double>(errors_.load()));
  out.Set("tagflow_cache_redis_skipped_total", {}, static_cast<double>(skipped_.load()));
  out.Set("tagflow_cache_redis_reconnects_total", {}, static_cast<double>(reconnects_.load()));
}

}  // namespace tagflow::registry
