// tagflow: GitOps image automation. Entry point and subcommand dispatch: each
// group of subcommands registers itself from its cli_*.cc file.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "daemon/cli.h"
#include "daemon/cli_daemon.h"
#include "daemon/cli_images.h"
#include "daemon/cli_workloads.h"
#include "manifest/real_filesystem.h"

int main(int argc, char** argv) {
  CLI::App app{"tagflow: keeps the image tags in a Git repository of Kubernetes manifests up to date"};
  app.set_version_flag("--version", TAGFLOW_VERSION);
  app.require_subcommand(1);

  tagflow::manifest::RealFilesystem fs;
  tagflow::CliContext ctx{fs, std::cout, std::cerr};
  tagflow::AddWorkloadCommands(app, ctx);
  tagflow::AddImageCommands(app, ctx);
  tagflow::AddDaemonCommand(app, ctx);

  return tagflow::RunCli(app, std::vector<std::string>(argv, argv + argc), ctx);
}
