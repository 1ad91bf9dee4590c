// Flag groups shared by several subcommands, each binding CLI11 options to
// the value struct its module defines (DESIGN.md §6).
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "git/repo.h"
#include "registry/options.h"

namespace tagflow::cli {

// --registry-rps, --registry-burst, --registry-insecure-host,
// --registry-include-image, --registry-exclude-image, --registry-platform,
// --registry-timeout, --registry-concurrency, --docker-config,
// --registry-credential-ttl, --cache-dir, --cache-url, --cache-password-file.
void AddRegistryFlags(CLI::App& app, registry::RegistryOptions& options);

// --git-url, --git-branch, --git-user, --git-email, --git-ssh-key,
// --git-known-hosts, --git-password-file, --git-timeout.
void AddGitFlags(CLI::App& app, git::GitOptions& options);

struct LogFlags {
  std::string format = "text";
  std::string level = "info";
};
// --log-format text|json, --log-level.
void AddLogFlags(CLI::App& app, LogFlags& flags);

}  // namespace tagflow::cli
