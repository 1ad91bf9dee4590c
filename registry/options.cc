#include "registry/options.h"

#include <fmt/format.h>

#include <cstdlib>

#include "registry/oci.h"

namespace tagflow::registry {

std::string DefaultCacheDir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return std::string(xdg) + "/tagflow";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::string(home) + "/.cache/tagflow";
  }
  return "";
}

Result<void> Validate(const RegistryOptions& options) {
  auto invalid = [](std::string_view flag, std::string value, std::string_view want) {
    return Fail(ErrorKind::kInvalidInput, fmt::format("invalid {} \"{}\": {}", flag, value, want));
  };
  if (!(options.rps >= 0))
    return invalid("--registry-rps", fmt::format("{}", options.rps), "want a number >= 0");
  if (options.burst < 1)
    return invalid("--registry-burst", std::to_string(options.burst), "want an integer >= 1");
  if (options.timeout.count() <= 0) {
    return invalid("--registry-timeout", fmt::format("{}ms", options.timeout.count()),
                   "want a duration > 0");
  }
  if (options.credential_ttl.count() <= 0) {
    return invalid("--registry-credential-ttl", fmt::format("{}ms", options.credential_ttl.count()),
                   "want a duration > 0");
  }
  if (options.concurrency < 1) {
    return invalid("--registry-concurrency", std::to_string(options.concurrency),
                   "want an integer >= 1");
  }
  if (auto p = Platform::Parse(options.platform); !p) {
    return invalid("--registry-platform", options.platform,
                   "want os/arch[/variant], e.g. linux/amd64");
  }
  return {};
}

}  // namespace tagflow::registry
