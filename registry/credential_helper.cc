#include "registry/credential_helper.h"

#include <fmt/format.h>

#include "base/json.h"
#include "base/logging.h"
#include "base/strings.h"
#include "base/subprocess.h"

namespace tagflow::registry {
namespace {

// What the docker-credential-helpers print when they hold nothing.
constexpr std::string_view kNotFound = "credentials not found in native keychain";
// How much of a failing helper's message an error quotes.
constexpr size_t kMaxQuoted = 300;

std::string Quote(std::string_view text) {
  std::string t = RedactSecrets(Trim(text));
  if (t.size() > kMaxQuoted) t = t.substr(0, kMaxQuoted) + "...";
  return EscapeControl(t);
}

}  // namespace

Result<Credentials> ParseHelperOutput(std::string_view out, std::string_view helper) {
  std::optional<nlohmann::json> doc = ParseJson(out);
  Credentials creds;
  if (doc && doc->is_object()) {
    creds.username = JsonString(*doc, "Username");
    creds.password = JsonString(*doc, "Secret");
  }
  if (creds.username.empty() || creds.password.empty()) {
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("credential helper docker-credential-{} answered without a Username "
                            "and Secret",
                            helper));
  }
  return creds;
}

ExecCredentialHelper::ExecCredentialHelper(Options options) : options_(std::move(options)) {}

Result<std::optional<Credentials>> ExecCredentialHelper::Get(std::string_view name,
                                                             std::string_view server_url) {
  std::string program = fmt::format("docker-credential-{}", name);
  auto ran = RunProcess({.argv = {program, "get"},
                         .input = std::string(server_url) + "\n",
                         .timeout = options_.timeout,
                         .max_output = options_.max_output,
                         .search_path = options_.search_path});
  if (!ran) {
    switch (ran.error().kind) {
      case ErrorKind::kNotFound:
        return Fail(
            ErrorKind::kInvalidInput,
            fmt::format("credential helper {} is not installed (not found on the PATH)", program));
      case ErrorKind::kTransient:
        return Fail(ErrorKind::kTransient,
                    fmt::format("credential helper {} did not answer within {} ms and was killed",
                                program, options_.timeout.count()));
      default:
        return Fail(ErrorKind::kTransient, fmt::format("cannot run credential helper {}: {}",
                                                       program, ran.error().message));
    }
  }
  if (ran->exit_code != 0) {
    if (Trim(ran->out) == kNotFound || Trim(ran->err) == kNotFound) return std::nullopt;
    std::string said = Trim(ran->err).empty() ? ran->out : ran->err;
    return Fail(ErrorKind::kUnauthorized,
                fmt::format("credential helper {} failed (exit {}): {}", program, ran->exit_code,
                            Trim(said).empty() ? "no message" : Quote(said)));
  }
  auto creds = ParseHelperOutput(ran->out, name);
  if (!creds) return Fail(creds.error());
  return std::optional<Credentials>(std::move(*creds));
}

}  // namespace tagflow::registry
