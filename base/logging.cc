#include "base/logging.h"

#include <fmt/format.h>
#include <re2/re2.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>

#include "base/strings.h"
#include "base/time.h"
#include "base/url.h"

namespace tagflow {
namespace {

// Formats one record as text or JSON, redacting secrets from the message.
class RedactingFormatter final : public spdlog::formatter {
 public:
  explicit RedactingFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto level = spdlog::level::to_string_view(msg.level);
    std::string line =
        FormatLogLine(format_, msg.time, std::string_view(level.data(), level.size()),
                      std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<RedactingFormatter>(format_);
  }

 private:
  LogFormat format_;
};

}  // namespace

std::string FormatLogLine(LogFormat format, TimePoint time, std::string_view level,
                          std::string_view message) {
  std::string text = RedactSecrets(message);
  std::string ts = FormatRfc3339(time, TimePrecision::kMillis);
  if (format == LogFormat::kJson) {
    nlohmann::json j = {{"ts", ts}, {"level", level}, {"msg", text}};
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  return fmt::format("{} {:<5} {}\n", ts, level, EscapeControl(text));
}

Result<void> SetupLogging(std::string_view format, std::string_view level) {
  LogFormat f;
  if (format == "text") {
    f = LogFormat::kText;
  } else if (format == "json") {
    f = LogFormat::kJson;
  } else {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("--log-format \"{}\": expected text or json", format));
  }
  spdlog::level::level_enum lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return Fail(
        ErrorKind::kInvalidInput,
        fmt::format("--log-level \"{}\": expected trace, debug, info, warn, error or off", level));
  }
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("tagflow", sink);
  logger->set_formatter(std::make_unique<RedactingFormatter>(f));
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
  return {};
}

std::string RedactSecrets(std::string_view text) {
  // A URL with userinfo, up to the end of its authority.
  static const RE2 kUserinfoUrl(R"(([a-zA-Z][a-zA-Z0-9+.-]*://[^/\s@]+@[^/\s?#]*))");
  static const RE2 kAuthHeader(R"((?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{4,})");
  static const RE2 kKeyValue(R"((?i)\b(password|passwd|token|secret|access_token)=([^\s&"']+))");
  static const RE2 kSlackHook(R"((hooks\.slack\.com/services/)[A-Za-z0-9/_-]+)");
  // URLs first, each through the one URL redaction (base/url.h), so logs
  // hide exactly what error messages hide (an ssh login name stays).
  std::string out;
  re2::StringPiece rest(text.data(), text.size());
  re2::StringPiece url;
  while (RE2::PartialMatch(rest, kUserinfoUrl, &url)) {
    out.append(rest.data(), static_cast<size_t>(url.data() - rest.data()));
    out += RedactUrl(std::string_view(url.data(), url.size()));
    rest.remove_prefix(static_cast<size_t>(url.data() - rest.data()) + url.size());
  }
  out.append(rest.data(), rest.size());
  RE2::GlobalReplace(&out, kAuthHeader, "\\1 ***");
  RE2::GlobalReplace(&out, kKeyValue, "\\1=***");
  RE2::GlobalReplace(&out, kSlackHook, "\\1***");
  return out;
}

}  // namespace tagflow
