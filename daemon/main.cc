// tagflow: GitOps image automation. Entry point and subcommand dispatch.
#include <CLI/CLI.hpp>

#include <cstdio>

int main(int argc, char** argv) {
  CLI::App app{"tagflow: keeps the image tags in a Git repository of Kubernetes manifests up to date"};
  app.set_version_flag("--version", TAGFLOW_VERSION);
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
