// The workload subcommands on a work tree (DESIGN.md §6):
//
//   tagflow list-workloads --repo DIR [--git-path P]... [-n NS] [-w ID]...
//                          [--no-headers] [-o tab|json]
//   tagflow automate|deautomate|lock|unlock --repo DIR --no-commit -w ID...
//                          [-n NS] [-m MSG] [--user U]
//   tagflow policy  ... -w ID [--tag CONTAINER=FILTER]... [--tag-all FILTER]
//                          [--automate|--deautomate] [--lock|--unlock]
//   tagflow release ... -w ID (--update-image REF | --update-all-images)
//                          [--dry-run] [--force]
//
// `-w` is repeatable and takes comma-separated lists; an id without a
// namespace gets `-n` (default "default"). Editing commands only edit the
// files for now (`--no-commit`); without it they exit 2, because committing
// and pushing needs --git-url (the git module). Exit codes: 0 ok, 1 the
// operation failed (unknown workload, a file that cannot be edited, a
// release skipped because the workload is locked or does not use the
// image; list-workloads: a file could not be scanned), 2 bad usage.
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "daemon/cli.h"
#include "manifest/workload.h"
#include "registry/error.h"

namespace tagflow {

// Registers the subcommands above on `app`; they report through `ctx`.
void AddWorkloadCommands(CLI::App& app, CliContext& ctx);

// `list-workloads -o json` (and GET /api/v1/workloads) with fluxctl's field
// names: [{"ID", "Containers": [{"Name", "Current": {"ID"}}], "Policies",
// "Automated", "Locked", "Ignore"}].
nlohmann::ordered_json WorkloadsJson(std::span<const manifest::Workload> workloads);

// The POLICY column: "automated", "locked", "ignore" that are on, sorted and
// comma-separated, like fluxctl.
std::string PolicySummary(const manifest::Workload& w);

// Validates a tag filter with registry::TagFilter and returns the form to
// write ("glob:" added to a bare pattern), or nullopt when it means "any
// tag" (`*`, `glob:*`, empty) and the annotation should go. kInvalidInput
// with the reason otherwise.
[[nodiscard]] Result<std::optional<std::string>> CanonicalFilter(std::string_view spec);

}  // namespace tagflow
