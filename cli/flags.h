// Flag plumbing shared by every subcommand: TAGFLOW_<FLAG> environment
// variables, the `--config FILE` YAML file, and duration values.
//
// Precedence, highest first: the command line, the environment, the config
// file, the built-in default.
#pragma once

#include <CLI/CLI.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/time.h"

namespace tagflow::cli {

// "TAGFLOW_GIT_URL" for "--git-url".
std::string EnvName(std::string_view long_flag);

// Gives every long option of `app` and of its subcommands (recursively) the
// environment variable EnvName(option). Call after all options are added.
void BindEnvironment(CLI::App& app);

// Adds `--name` taking a duration into `*target` (default shown as written).
CLI::Option* AddDurationOption(CLI::App& app, const std::string& name,
                               std::chrono::milliseconds* target, const std::string& help);

// Reads the YAML mapping in `path` (keys are long flag names without dashes,
// values scalars or lists of scalars) and makes each value the default of
// that option of `command`, validated and stored at once. The command line
// and TAGFLOW_<FLAG> still win (CLI11 applies them after, over defaults);
// nothing is copied into the process environment, so secrets in the file
// stay out of it. Errors (kInvalidInput) name the file and the key: an
// unreadable or malformed file (with line and column), a key that is not a
// long option of `command`, a value the option rejects.
[[nodiscard]] Result<void> ApplyConfigFile(CLI::App& command, const std::string& path);

// Finds `--config FILE` / `--config=FILE` in argv, or TAGFLOW_CONFIG; "" if none.
std::string FindConfigPath(const std::vector<std::string>& args);

}  // namespace tagflow::cli
