// The workload subcommands (DESIGN.md §6), on a fresh clone (`--git-url`)
// or on a work tree (`--repo`):
//
//   tagflow list-workloads (--git-url URL | --repo DIR) [--git-path P]...
//                          [-n NS] [-w ID]... [--no-headers] [-o tab|json]
//   tagflow automate|deautomate|lock|unlock (--git-url URL | --repo DIR
//                          --no-commit) -w ID... [-n NS] [-m MSG] [--user U]
//   tagflow policy  ... -w ID [--tag CONTAINER=FILTER]... [--tag-all FILTER]
//                          [--automate|--deautomate] [--lock|--unlock]
//   tagflow release ... -w ID (--update-image REF | --update-all-images)
//                          [--dry-run] [--force]
//
// `-w` is repeatable and takes comma-separated lists; an id without a
// namespace gets `-n` (default "default"). With `--git-url` the editing
// commands clone, edit, commit and push, editing again on a concurrent push
// (git::EditCommitPush); with `--repo` they only edit the work tree and need
// `--no-commit`. Exit codes: 0 ok, 1 the operation failed (unknown workload,
// a file that cannot be edited, a release skipped because the workload is
// locked or does not use the image; list-workloads: a file could not be
// scanned), 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"
#include "cli/cli.h"
#include "manifest/workload.h"

namespace tagflow::cli {

// Registers the subcommands above on `app`; they report through `ctx`.
void AddWorkloadCommands(CLI::App& app, CliContext& ctx);

// The POLICY column: "automated", "locked", "ignore" that are on, sorted and
// comma-separated, like fluxctl.
std::string PolicySummary(const manifest::Workload& w);

// Validates a tag filter with image::TagFilter and returns the form to
// write ("glob:" added to a bare pattern), or nullopt when it means "any
// tag" (`*`, `glob:*`, empty) and the annotation should go. kInvalidInput
// with the reason otherwise.
[[nodiscard]] Result<std::optional<std::string>> CanonicalFilter(std::string_view spec);

}  // namespace tagflow::cli
