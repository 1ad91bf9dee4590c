// `tagflow daemon`: the automation loop with its HTTP endpoints, or one cycle
// with --once (exit 0 all good, 1 the cycle had errors, 2 bad usage or
// configuration). SIGTERM/SIGINT stop it: a cycle in flight finishes its push
// or leaves the remote untouched, queued notifications get a few seconds.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/cli.h"

namespace tagflow::cli {

void AddDaemonCommand(CLI::App& app, CliContext& ctx);

}  // namespace tagflow::cli
