// What every `tagflow` subcommand shares: its context (filesystem, output
// streams, exit code), the parse-and-run entry point, and table output.
//
// main.cc stays a thin dispatcher: each group of subcommands is registered by
// one `AddXxxCommands(CLI::App&, CliContext&)` function in a cli_*.cc file,
// and `RunCli` parses the command line and returns the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "manifest/filesystem.h"
#include "manifest/update.h"
#include "manifest/workload.h"

namespace tagflow::cli {

// Exit codes of every subcommand.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed (or partly)
inline constexpr int kExitUsage = 2;   // bad flags, arguments or configuration

struct CliContext {
  manifest::Filesystem& fs;
  std::ostream& out;
  std::ostream& err;
  // For `release --update-all-images`: the newest allowed image of a
  // container. Unset, the command builds one from the registry flags
  // (daemon::LatestAllowedImage over a registry::Scanner); tests may set it.
  manifest::LatestImageFn latest_image;
  // Set by the subcommand that ran.
  int exit_code = kExitOk;
};

// Binds TAGFLOW_<FLAG> environment variables, parses `args` (argv-style,
// args[0] is the program) and runs the chosen subcommand. Returns its exit
// code, 0 for --help/--version, kExitUsage for a parse error (printed to
// ctx.err).
int RunCli(CLI::App& app, const std::vector<std::string>& args, CliContext& ctx);

// A usage error as printed, with what `args` held secret removed: values of
// flags named like secrets (`--webhook-secret`, `--slack-token`, misspelled
// ones too) become `***`, and every URL its `scheme://host/***` form.
std::string RedactUsageError(std::string text, const std::vector<std::string>& args);

// Rows as aligned columns (two spaces apart, like fluxctl's tabwriter);
// trailing spaces trimmed; one line each, '\n'-terminated.
std::string FormatTable(const std::vector<std::vector<std::string>>& rows);

// Prints scan problems of severity error and warning to `err`, one per line
// ("error: file:line:col: message"); notices are left out.
void PrintProblems(const std::vector<manifest::Problem>& problems, std::ostream& err);

}  // namespace tagflow::cli
