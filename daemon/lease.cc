#include "daemon/lease.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace tagflow::daemon {
namespace {

// Renews our lease: extends it when it holds our id, re-creates it when it
// is gone (expired, or Redis restarted empty: nobody else holds it), and
// answers 0 when another owner has it.
constexpr std::string_view kRenewScript =
    "local v = redis.call('GET', KEYS[1]) "
    "if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end "
    "if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end "
    "return 0";
constexpr std::string_view kReleaseScript =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end "
    "return 0";

}  // namespace

std::string_view LeaseStateName(LeaseState s) {
  switch (s) {
    case LeaseState::kHolder:
      return "holder";
    case LeaseState::kStandby:
      return "standby";
    case LeaseState::kUnknown:
      break;
  }
  return "unknown";
}

RedisWriterLease::RedisWriterLease(registry::RedisClient& redis, Clock& clock, std::string name,
                                   LeaseOptions options, std::function<void()> on_acquired)
    : redis_(redis),
      clock_(clock),
      name_(std::move(name)),
      key_("tagflow:v1:lease:" + name_),
      owner_(registry::RandomToken()),
      options_(options),
      on_acquired_(std::move(on_acquired)) {}

RedisWriterLease::~RedisWriterLease() { Stop(); }

void RedisWriterLease::Step() {
  const std::string ttl = std::to_string(options_.ttl.count());
  auto sent = clock_.Now();  // the lease runs from before the command: conservative
  auto r = redis_.Command({"EVAL", kRenewScript, "1", key_, owner_, ttl});
  bool took = false;
  {
    std::lock_guard lock(mu_);
    if (!r || r->type != registry::RedisReply::Type::kInteger) {
      // Cannot tell. A holder keeps its lease while it would still be valid.
      if (held_ && clock_.Now() >= valid_until_) {
        spdlog::warn(
            "writer lease {}: not confirmed for {} ms (shared cache unavailable): not pushing "
            "until it is",
            name_, options_.ttl.count());
        held_ = false;
      }
      if (!held_) other_holds_ = false;
      return;
    }
    if (r->integer == 1) {
      took = !held_;
      held_ = true;
      other_holds_ = false;
      valid_until_ = sent + options_.ttl;
      if (took) ++acquired_;
    } else {
      if (held_) {
        ++lost_;
        spdlog::warn("writer lease {}: taken over by another daemon; standing by", name_);
      } else if (!other_holds_) {
        spdlog::info("writer lease {}: held by another daemon; standing by", name_);
      }
      held_ = false;
      other_holds_ = true;
    }
  }
  if (took) {
    spdlog::info("writer lease {}: acquired owner={}", name_, owner_.substr(0, 8));
    if (on_acquired_) on_acquired_();
  }
}

void RedisWriterLease::Start() {
  thread_ = std::thread([this] {
    std::unique_lock lock(mu_);
    while (!stop_) {
      lock.unlock();
      Step();
      lock.lock();
      auto wait = held_ ? options_.renew : options_.retry;
      cv_.wait_for(lock, wait, [this] { return stop_; });
    }
  });
}

void RedisWriterLease::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_ && !thread_.joinable()) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  bool held;
  {
    std::lock_guard lock(mu_);
    held = held_;
    held_ = false;
  }
  if (held) {
    auto r = redis_.Command({"EVAL", kReleaseScript, "1", key_, owner_});
    spdlog::info("writer lease {}: released={}", name_, r && r->integer == 1);
  }
}

LeaseState RedisWriterLease::state() {
  std::lock_guard lock(mu_);
  if (held_ && clock_.Now() < valid_until_) return LeaseState::kHolder;
  if (other_holds_) return LeaseState::kStandby;
  return LeaseState::kUnknown;
}

std::string RedisWriterLease::Describe() {
  LeaseState s = state();
  switch (s) {
    case LeaseState::kHolder:
      return fmt::format("writer lease {}: holder", name_);
    case LeaseState::kStandby:
      return fmt::format(
          "writer lease {}: standby (another daemon holds it; taking over when it "
          "expires)",
          name_);
    case LeaseState::kUnknown:
      break;
  }
  return fmt::format(
      "writer lease {}: unknown (shared cache unavailable): cycles run without "
      "pushing",
      name_);
}

void RedisWriterLease::ExportTo(Metrics& out) {
  out.Describe("tagflow_writer_lease", Metrics::Type::kGauge,
               "1 for the state of this daemon's writer lease (holder, standby, unknown).");
  out.Describe("tagflow_writer_lease_acquired_total", Metrics::Type::kCounter,
               "Times this daemon took the writer lease.");
  out.Describe("tagflow_writer_lease_lost_total", Metrics::Type::kCounter,
               "Times another daemon took the writer lease from this one.");
  LeaseState now = state();
  for (LeaseState s : {LeaseState::kHolder, LeaseState::kStandby, LeaseState::kUnknown}) {
    out.Set("tagflow_writer_lease", {{"state", std::string(LeaseStateName(s))}}, s == now ? 1 : 0);
  }
  out.Set("tagflow_writer_lease_acquired_total", {}, static_cast<double>(acquired_.load()));
  out.Set("tagflow_writer_lease_lost_total", {}, static_cast<double>(lost_.load()));
}

}  // namespace tagflow::daemon
