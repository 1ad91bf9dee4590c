// Shared fixture of the end-to-end tests: a real registry with a few images,
// a bare manifest repository, a Slack sink, and a way to run the `tagflow`
// binary and read what it did to the repository.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "test/support/git_server.h"
#include "test/support/http_sink.h"
#include "test/support/process.h"
#include "test/support/registry_server.h"

namespace tagflow::testing {

// "2026-01-0<day>T10:00:00Z"
std::string Day(int day);

// A Deployment named `name` with one container `app` running `image`, and
// the given annotation lines (already indented by four spaces).
std::string Deployment(const std::string& name, const std::string& image,
                       const std::string& annotations);

// `fluxcd.io/automated: "true"` as an annotation line.
extern const char kAutomated[];

// Concatenates argument lists.
std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b);

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout + stderr
};

class E2eTest : public ::testing::Test {
 protected:
  E2eTest();

  // Runs `tagflow <args>` to completion (60 s deadline).
  RunResult Tagflow(const std::vector<std::string>& args);
  // Starts `tagflow <args>` in the background.
  std::unique_ptr<Subprocess> StartTagflow(const std::vector<std::string>& args);
  // The flags every daemon run here shares (cache, insecure registry, listen).
  std::vector<std::string> DaemonFlags(const std::string& git_url,
                                       const std::string& listen = "127.0.0.1:0") const;

  // Creates the bare repository `name` under repos() with `files`.
  std::filesystem::path MakeRepo(const std::map<std::string, std::string>& files,
                                 const std::string& name = "manifests.git");
  // Contents of `path` at the branch head of `repo` ("" when missing).
  std::string Show(const std::filesystem::path& repo, const std::string& path,
                   const std::string& rev = "master");
  // Commit subjects of the branch, newest first.
  std::vector<std::string> Log(const std::filesystem::path& repo, const std::string& rev = "master");
  // Pushes a commit changing `files` to `repo` from a scratch clone.
  void PushChange(const std::filesystem::path& repo, const std::map<std::string, std::string>& files,
                  const std::string& message);

  const std::filesystem::path& repos() const { return repos_.path(); }

  // Extra environment of every `tagflow` run (e.g. PATH with stand-in
  // credential helpers).
  std::map<std::string, std::string> env_;

  TempDir repos_;
  TempDir scratch_;
  RegistryServer registry_;
  HttpSink slack_;
  std::string web_;  // "<host>/team/web" with tags v1 (day 1), v2 (day 2)
  std::string api_;  // "<host>/team/api" with master-a (day 1), master-b (day 3), dev-c (day 4)
};

}  // namespace tagflow::testing
