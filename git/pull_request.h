// Pull requests (GitHub, Gitea/Forgejo) and merge requests (GitLab) from
// tagflow's push branch to --git-branch (--git-pr, issue 13).
//
// The provider's REST API is the contract: GitHub REST (api.github.com or
// GitHub Enterprise Server's /api/v3), GitLab REST v4, Gitea/Forgejo v1. The
// three clients (pr_github.cc, pr_gitlab.cc, pr_gitea.cc) speak through
// base/http.h's HttpClient; EnsurePullRequest holds the logic they share.
//
// Errors name the provider, the request (method and path), the HTTP status
// and the provider's own message, never the token (also scrubbed from what
// a server echoes). Kinds: kUnauthorized for 401/403, kNotFound for 404,
// kConflict for 409/422, kTransient for 429/5xx and transport failures,
// kInvalidInput for other answers.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/http.h"

namespace tagflow::git {

enum class PrProvider { kGitHub, kGitLab, kGitea };

// "github", "gitlab", "gitea" (also "forgejo", which speaks Gitea's API).
[[nodiscard]] Result<PrProvider> ParsePrProvider(std::string_view name);
// "GitHub", "GitLab", "Gitea": how errors name the provider.
std::string_view PrProviderName(PrProvider provider);

// Where the API is and which repository it is about.
struct PrTarget {
  PrProvider provider = PrProvider::kGitHub;
  std::string api_url;  // base, no trailing slash: https://api.github.com, https://h/api/v4
  std::string owner;    // GitHub, Gitea: the first path segments; GitLab: the namespace path
  std::string repo;     // the last path segment, without ".git"
};

// The target for `git_url` (--git-url, any form git/url.h accepts but a
// local path) and `api_url` (--git-pr-api-url; "" = the default):
//   github: github.com -> https://api.github.com, another host (GitHub
//           Enterprise Server) -> https://<host>/api/v3
//   gitlab: https://<host>/api/v4       gitea: https://<host>/api/v1
// An http(s) --git-url lends its scheme and port; an ssh or git:// one
// gives https on the default port. The repository is the URL's path
// without ".git" (GitHub and Gitea: owner/repo; GitLab: any group depth).
// kInvalidInput, naming --git-url or --git-pr-api-url, when it cannot tell.
[[nodiscard]] Result<PrTarget> PrTargetFor(PrProvider provider, std::string_view git_url,
                                           std::string_view api_url);

// The API token: the contents of `token_file` (--git-pr-token-file,
// trimmed) when given, else `env_token` (TAGFLOW_GIT_PR_TOKEN; null when
// unset). kInvalidInput when neither gives a token; messages never quote
// a token.
[[nodiscard]] Result<std::string> ReadPrToken(const std::string& token_file, const char* env_token);

struct PullRequest {
  int64_t number = 0;  // GitHub/Gitea number, GitLab iid
  std::string title;
  std::string body;
  std::string url;  // the web page
  bool open = true;
  bool merged = false;
};

struct PullRequestSpec {
  std::string head;  // the push branch
  std::string base;  // --git-branch
  std::string title;
  std::string body;
  std::vector<std::string> labels;  // --git-pr-label
  // False when the push branch was not pushed this cycle (it holds what it
  // held): a request closed unmerged since is then a "no" and stays closed.
  bool pushed = true;
};

// One provider's API.
class PullRequestClient {
 public:
  virtual ~PullRequestClient() = default;
  // Open requests from `head` to `base` in the repository, oldest first.
  [[nodiscard]] virtual Result<std::vector<PullRequest>> ListOpen(const std::string& head,
                                                                  const std::string& base) = 0;
  // The most recent request from `head` to `base` in any state; nullopt when
  // there was none.
  [[nodiscard]] virtual Result<std::optional<PullRequest>> Latest(const std::string& head,
                                                                  const std::string& base) = 0;
  // Opens a request with the spec's title, body and labels.
  [[nodiscard]] virtual Result<PullRequest> Create(const PullRequestSpec& spec) = 0;
  // Replaces the title and body of request `number`.
  [[nodiscard]] virtual Result<void> Update(int64_t number, const std::string& title,
                                            const std::string& body) = 0;
};

// A client for `target`, authenticating with `token` (held, never printed),
// over `http` (borrowed; must outlive the client).
std::unique_ptr<PullRequestClient> NewPullRequestClient(const PrTarget& target, std::string token,
                                                        HttpClient& http);

struct EnsureOutcome {
  enum class Action { kCreated, kUpdated, kUnchanged, kLeftClosed };
  Action action = Action::kUnchanged;
  PullRequest request;
};

// Makes sure exactly one open request from spec.head to spec.base carries
// the spec's title and body: creates it when there is none, updates its
// title and body when they differ, and never opens a second one (with
// several open, the oldest is kept up to date). A create refused because
// one appeared meanwhile (409/422) is settled by updating that one. When
// none is open, spec.pushed is false and the latest one was closed without
// merging, nothing is created (kLeftClosed: someone declined this change).
[[nodiscard]] Result<EnsureOutcome> EnsurePullRequest(PullRequestClient& client,
                                                      const PullRequestSpec& spec);

// --- shared by the provider clients (pull_request.cc) ---

// Sends JSON requests to one provider's API with its auth headers, and
// turns every non-2xx answer into an Error as described at the top.
class PrApi {
 public:
  PrApi(PrProvider provider, std::string base_url, std::string token,
        std::vector<std::pair<std::string, std::string>> headers, HttpClient& http);

  // `path` is appended to the base URL (segments escaped with UrlEncode). `body` is JSON
  // ("" for none). Returns the parsed JSON answer (null when empty).
  [[nodiscard]] Result<nlohmann::json> Call(std::string_view method, const std::string& path,
                                            const std::string& body = "");
  // The provider's name, for messages.
  std::string_view name() const { return PrProviderName(provider_); }

 private:
  Error ApiError(std::string_view method, const std::string& path, const HttpResponse& r) const;
  std::string Scrub(std::string text) const;

  PrProvider provider_;
  std::string base_url_;
  std::string token_;
  std::vector<std::pair<std::string, std::string>> headers_;
  HttpClient& http_;
};

// The provider clients, for NewPullRequestClient.
std::unique_ptr<PullRequestClient> NewGitHubClient(const PrTarget& target, std::string token,
                                                   HttpClient& http);
std::unique_ptr<PullRequestClient> NewGitLabClient(const PrTarget& target, std::string token,
                                                   HttpClient& http);
std::unique_ptr<PullRequestClient> NewGiteaClient(const PrTarget& target, std::string token,
                                                  HttpClient& http);

}  // namespace tagflow::git
