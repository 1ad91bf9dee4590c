// Flag plumbing shared by every subcommand: TAGFLOW_<FLAG> environment
// variables, the `--config FILE` YAML file, and duration values.
//
// Precedence, highest first: the command line, the environment, the config
// file, the built-in default.
#pragma once

#include <CLI/CLI.hpp>

#include <chrono>
#include <functional>
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
// values scalars or lists of scalars) and exports each as the environment
// variable EnvName(key) unless that variable is already set. Keys that are not
// a long option of `command` are an error naming the key and the file.
// `set_env` is setenv in production, a map in tests.
[[nodiscard]] Result<void> ApplyConfigFile(
    const CLI::App& command, const std::string& path,
    const std::function<bool(const std::string& name)>& env_is_set,
    const std::function<void(const std::string& name, const std::string& value)>& set_env);

// Finds `--config FILE` / `--config=FILE` in argv, or TAGFLOW_CONFIG; "" if none.
std::string FindConfigPath(const std::vector<std::string>& args);

}  // namespace tagflow::cli
