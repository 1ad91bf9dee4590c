// tagflow: GitOps image automation. Entry point and subcommand dispatch: each
// group of subcommands registers itself from its cli_*.cc file.
#include <CLI/CLI.hpp>
#include <csignal>
#include <iostream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "cli/daemon_command.h"
#include "cli/images_command.h"
#include "cli/workloads_command.h"
#include "manifest/real_filesystem.h"

int main(int argc, char** argv) {
  // A peer that goes away mid-write (Redis through hiredis, which writes with
  // plain write(2); a webhook client; a helper program) must give EPIPE, not
  // end the daemon. Helper programs get SIGPIPE back at spawn
  // (base/subprocess.h).
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{
      "tagflow: keeps the image tags in a Git repository of Kubernetes manifests up to date"};
  app.set_version_flag("--version", TAGFLOW_VERSION);
  app.require_subcommand(1);

  tagflow::manifest::RealFilesystem fs;
  tagflow::cli::CliContext ctx{fs, std::cout, std::cerr};
  tagflow::cli::AddWorkloadCommands(app, ctx);
  tagflow::cli::AddImageCommands(app, ctx);
  tagflow::cli::AddDaemonCommand(app, ctx);

  return tagflow::cli::RunCli(app, std::vector<std::string>(argv, argv + argc), ctx);
}
