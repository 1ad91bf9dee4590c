#include "test/e2e/e2e_fixture.h"

#include <fmt/format.h>

namespace tagflow::testing {

const char kAutomated[] = "    fluxcd.io/automated: \"true\"\n";

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::string Day(int day) { return fmt::format("2026-01-{:02d}T10:00:00Z", day); }

std::string Deployment(const std::string& name, const std::string& image,
                       const std::string& annotations) {
  return fmt::format(
      "# {0}: managed by tagflow\n"
      "apiVersion: apps/v1\n"
      "kind: Deployment\n"
      "metadata:\n"
      "  name: {0}\n"
      "  annotations:\n"
      "{2}"
      "spec:\n"
      "  template:\n"
      "    spec:\n"
      "      containers:\n"
      "      - name: app\n"
      "        image: '{1}'  # kept quoted\n",
      name, image, annotations.empty() ? "    note: none\n" : annotations);
}

E2eTest::E2eTest() : registry_(RegistryServer::Options{.access_log = true}) {
  web_ = registry_.host() + "/team/web";
  api_ = registry_.host() + "/team/api";
  registry_.PushImage("team/web", "v1", {.created = Day(1)});
  registry_.PushImage("team/web", "v2", {.created = Day(2)});
  registry_.PushImage("team/api", "master-a", {.created = Day(1)});
  registry_.PushImage("team/api", "master-b", {.created = Day(3)});
  registry_.PushImage("team/api", "dev-c", {.created = Day(4)});
}

RunResult E2eTest::Tagflow(const std::vector<std::string>& args) {
  auto log = scratch_.path() / fmt::format("run-{}.log", FreePort());
  std::vector<std::string> argv = {TAGFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = env_;
  env["HOME"] = scratch_.path().string();
  Subprocess proc({.argv = argv, .env = env, .log_path = log});
  RunResult r;
  r.exit_code = proc.Wait(std::chrono::seconds(60));
  r.output = ReadFile(log);
  return r;
}

std::unique_ptr<Subprocess> E2eTest::StartTagflow(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {TAGFLOW_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = env_;
  env["HOME"] = scratch_.path().string();
  return std::make_unique<Subprocess>(Subprocess::Options{
      .argv = argv,
      .env = env,
      .log_path = scratch_.path() / fmt::format("daemon-{}.log", FreePort())});
}

std::vector<std::string> E2eTest::DaemonFlags(const std::string& git_url,
                                              const std::string& listen) const {
  return {"daemon",       "--git-url",       git_url,
          "--cache-dir",  (scratch_.path() / "cache").string(),
          "--registry-insecure-host", registry_.host(),
          "--listen",     listen,
          "--slack-url",  slack_.Url("/services/T0/B0/secret-path")};
}

std::filesystem::path E2eTest::MakeRepo(const std::map<std::string, std::string>& files,
                                        const std::string& name) {
  auto path = repos_.path() / name;
  CreateBareRepo(path, files);
  return path;
}

std::string E2eTest::Show(const std::filesystem::path& repo, const std::string& path,
                          const std::string& rev) {
  std::string out;
  int code = RunShell(fmt::format("git --git-dir {} show {}:{} 2>/dev/null", ShellQuote(repo.string()),
                                  rev, ShellQuote(path)),
                      &out);
  return code == 0 ? out : "";
}

std::vector<std::string> E2eTest::Log(const std::filesystem::path& repo, const std::string& rev) {
  std::string out;
  RunShell(fmt::format("git --git-dir {} log --format=%s {}", ShellQuote(repo.string()), rev), &out);
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < out.size()) {
    size_t end = out.find('\n', start);
    if (end == std::string::npos) end = out.size();
    lines.push_back(out.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

void E2eTest::PushChange(const std::filesystem::path& repo,
                         const std::map<std::string, std::string>& files,
                         const std::string& message) {
  auto clone = scratch_.path() / fmt::format("writer-{}", FreePort());
  std::string out;
  ASSERT_EQ(RunShell(fmt::format("git clone -q {} {}", ShellQuote(repo.string()),
                                 ShellQuote(clone.string())),
                     &out),
            0)
      << out;
  for (const auto& [path, content] : files) WriteFile(clone / path, content);
  ASSERT_EQ(RunShell(fmt::format("cd {} && git add -A && git -c user.name=human "
                                 "-c user.email=human@localhost commit -qm {} && git push -q",
                                 ShellQuote(clone.string()), ShellQuote(message)),
                     &out),
            0)
      << out;
}

}  // namespace tagflow::testing
