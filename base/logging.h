// Process-wide logging setup (spdlog) and redaction of secrets.
//
// One event per line. Text: `2026-11-22T21:07:59.123Z info  msg key=value`.
// JSON (`--log-format json`): {"ts":"...","level":"info","msg":"..."} with the
// message escaped. Every line passes through RedactSecrets first, so a URL with
// userinfo, a bearer token or a Slack hook path never reaches the output even
// when a caller forgets.
#pragma once

#include <string>
#include <string_view>

#include "base/error.h"
#include "base/time.h"

namespace tagflow {

enum class LogFormat { kText, kJson };

// Parses "text"/"json" and "trace|debug|info|warn|error|off" and installs the
// default logger on stderr. Errors name the flag and the value.
[[nodiscard]] Result<void> SetupLogging(std::string_view format, std::string_view level);

// Replaces credentials in free text: URL userinfo (`https://user:pw@host` ->
// `https://***@host`), `Bearer <token>` / `Basic <b64>` -> `Bearer ***`,
// `password=...`/`token=...` values, and the secret path of Slack incoming
// webhooks (`hooks.slack.com/services/***`).
std::string RedactSecrets(std::string_view text);

// One log record as it is written, '\n'-terminated: text
// `<ts> <level> <message>` with control characters of the message escaped
// (`\n`, `\r`, `\t`, `\xNN`), so text from outside (a file name holding a
// newline) cannot forge a second line; or one JSON object per line.
// Secrets are redacted first (RedactSecrets).
std::string FormatLogLine(LogFormat format, TimePoint time, std::string_view level,
                          std::string_view message);

}  // namespace tagflow
