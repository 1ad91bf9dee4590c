// Docker credential helpers: `docker-credential-<name> get` with the server
// URL on stdin, answering {"ServerURL","Username","Secret"} on stdout (the
// docker-credential-helpers protocol). This is how every cloud registry hands
// out short-lived credentials without an SDK (ECR, GCR/Artifact Registry,
// ACR).
//
// The helper is run through base/subprocess.h RunProcess: without a shell
// (argv only), in its own process group, found on a PATH-like list of
// directories, with a deadline after which the group is killed; its output
// is bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"
#include "registry/docker_config.h"

namespace tagflow::registry {

// Runs credential helpers; an interface so the credential cache is tested
// without processes.
class CredentialHelperRunner {
 public:
  virtual ~CredentialHelperRunner() = default;
  // The credentials helper `name` holds for `server_url`; nullopt when it
  // answers "credentials not found". Errors name the helper (never a
  // secret): kInvalidInput when docker-credential-<name> is not found,
  // kTransient when it timed out, kUnauthorized when it failed (with its
  // stderr, redacted and cut short) or answered something unreadable.
  [[nodiscard]] virtual Result<std::optional<Credentials>> Get(std::string_view name,
                                                               std::string_view server_url) = 0;
};

class ExecCredentialHelper : public CredentialHelperRunner {
 public:
  struct Options {
    std::chrono::milliseconds timeout{10'000};  // then the helper is killed
    size_t max_output = 64 * 1024;              // bytes kept of stdout and of stderr each
    std::string search_path;                    // ':'-separated dirs; "" = $PATH
  };
  explicit ExecCredentialHelper(Options options);

  [[nodiscard]] Result<std::optional<Credentials>> Get(std::string_view name,
                                                       std::string_view server_url) override;

 private:
  Options options_;
};

// The credentials in a helper's `get` answer; kUnauthorized (naming
// `helper`) when it is not a JSON object with a non-empty Username and
// Secret.
[[nodiscard]] Result<Credentials> ParseHelperOutput(std::string_view out, std::string_view helper);

}  // namespace tagflow::registry
