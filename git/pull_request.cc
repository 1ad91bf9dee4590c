#include "git/pull_request.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/json.h"
#include "base/strings.h"
#include "base/url.h"
#include "git/url.h"

namespace tagflow::git {
namespace {

// Longest provider message quoted in an error.
constexpr size_t kMaxProviderMessage = 300;
constexpr std::chrono::seconds kApiTimeout{30};

std::unexpected<Error> Invalid(std::string message) {
  return Fail(ErrorKind::kInvalidInput, std::move(message));
}

ErrorKind KindOfStatus(int status) {
  if (status == 401 || status == 403) return ErrorKind::kUnauthorized;
  if (status == 404) return ErrorKind::kNotFound;
  if (status == 409 || status == 422) return ErrorKind::kConflict;
  if (status == 429 || status >= 500) return ErrorKind::kTransient;
  return ErrorKind::kInvalidInput;
}

// The provider's words in an error body: `message` (a string, or GitLab's
// list/object of messages), `error`/`error_description` (OAuth), and
// GitHub's `errors[].message` details.
std::string ProviderMessage(const std::string& body) {
  std::optional<nlohmann::json> j = ParseJson(body);
  if (!j || !j->is_object()) return std::string(Trim(body.substr(0, kMaxProviderMessage)));
  std::string out;
  const nlohmann::json& message = JsonMember(*j, "message");
  if (message.is_string()) {
    out = message.get<std::string>();
  } else if (!message.is_null()) {
    out = message.dump();
  }
  if (out.empty()) {
    out = JsonString(*j, "error");
    std::string detail = JsonString(*j, "error_description");
    if (!detail.empty()) out += (out.empty() ? "" : ": ") + detail;
  }
  const nlohmann::json& errors = JsonMember(*j, "errors");
  if (errors.is_array()) {
    for (const nlohmann::json& e : errors) {
      std::string detail = e.is_string() ? e.get<std::string>() : JsonString(e, "message");
      if (!detail.empty()) out += (out.empty() ? "" : "; ") + detail;
    }
  }
  return out;
}

// The path of a git URL as owner/.../repo, without ".git" and slashes.
std::string RepositoryPath(const GitUrl& url) {
  std::string_view path = url.path;
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  if (path.starts_with("~/")) path.remove_prefix(2);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  if (path.ends_with(".git")) path.remove_suffix(4);
  return std::string(path);
}

std::string DefaultApiUrl(PrProvider provider, const GitUrl& url) {
  bool http =
      url.transport == GitUrl::Transport::kHttp || url.transport == GitUrl::Transport::kHttps;
  std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  std::string origin = "https://" + host;
  if (http) {
    bool plain = url.transport == GitUrl::Transport::kHttp;
    bool default_port = url.port == 0 || url.port == (plain ? 80 : 443);
    origin = fmt::format("{}://{}{}", plain ? "http" : "https", host,
                         default_port ? "" : fmt::format(":{}", url.port));
  }
  switch (provider) {
    case PrProvider::kGitHub:
      return IEquals(url.host, "github.com") ? "https://api.github.com" : origin + "/api/v3";
    case PrProvider::kGitLab:
      return origin + "/api/v4";
    case PrProvider::kGitea:
      return origin + "/api/v1";
  }
  return origin;
}

}  // namespace

Result<PrProvider> ParsePrProvider(std::string_view name) {
  if (name == "github") return PrProvider::kGitHub;
  if (name == "gitlab") return PrProvider::kGitLab;
  if (name == "gitea" || name == "forgejo") return PrProvider::kGitea;
  return Invalid(fmt::format("--git-pr \"{}\": expected github, gitlab or gitea", name));
}

std::string_view PrProviderName(PrProvider provider) {
  switch (provider) {
    case PrProvider::kGitHub:
      return "GitHub";
    case PrProvider::kGitLab:
      return "GitLab";
    case PrProvider::kGitea:
      return "Gitea";
  }
  return "?";
}

Result<PrTarget> PrTargetFor(PrProvider provider, std::string_view git_url,
                             std::string_view api_url) {
  Result<GitUrl> url = ParseGitUrl(git_url);
  if (!url) return Fail(url.error().Wrap("--git-url"));
  PrTarget target{.provider = provider};
  std::string path = RepositoryPath(*url);
  size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == path.size()) {
    return Invalid(fmt::format(
        "--git-pr {}: cannot tell the repository from --git-url {} (expected a path like "
        "owner/repo)",
        PrProviderName(provider), RedactUrl(git_url)));
  }
  target.repo = path.substr(slash + 1);
  target.owner = path.substr(0, slash);
  if (provider != PrProvider::kGitLab) {  // owner/repo: the last two segments
    size_t owner_start = target.owner.rfind('/');
    if (owner_start != std::string::npos) target.owner = target.owner.substr(owner_start + 1);
  }
  if (!api_url.empty()) {
    Result<UrlParts> parts = ParseUrl(api_url);
    if (!parts || (parts->scheme != "http" && parts->scheme != "https")) {
      return Invalid(
          fmt::format("--git-pr-api-url {}: expected an http(s) URL", RedactUrl(api_url)));
    }
    target.api_url = std::string(api_url);
  } else if (!url->IsNetwork()) {
    return Invalid(
        fmt::format("--git-pr {}: --git-url {} is a local path; give the API with --git-pr-api-url",
                    PrProviderName(provider), RedactUrl(git_url)));
  } else {
    target.api_url = DefaultApiUrl(provider, *url);
  }
  while (target.api_url.ends_with('/')) target.api_url.pop_back();
  return target;
}

Result<std::string> ReadPrToken(const std::string& token_file, const char* env_token) {
  if (!token_file.empty()) {
    std::ifstream in(token_file, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    std::string token(Trim(text.str()));
    if (!in || token.empty()) {
      // The path is not quoted: a token given here by mistake must not leak.
      return Invalid(
          "--git-pr-token-file: cannot read a token from the file (the flag takes a file path; "
          "TAGFLOW_GIT_PR_TOKEN takes the token itself)");
    }
    return token;
  }
  std::string token(Trim(env_token != nullptr ? env_token : ""));
  if (token.empty()) {
    return Invalid("--git-pr needs an API token: --git-pr-token-file FILE or TAGFLOW_GIT_PR_TOKEN");
  }
  return token;
}

std::unique_ptr<PullRequestClient> NewPullRequestClient(const PrTarget& target, std::string token,
                                                        HttpClient& http) {
  switch (target.provider) {
    case PrProvider::kGitHub:
      return NewGitHubClient(target, std::move(token), http);
    case PrProvider::kGitLab:
      return NewGitLabClient(target, std::move(token), http);
    case PrProvider::kGitea:
      return NewGiteaClient(target, std::move(token), http);
  }
  return nullptr;
}

Result<EnsureOutcome> EnsurePullRequest(PullRequestClient& client, const PullRequestSpec& spec) {
  Result<std::vector<PullRequest>> open = client.ListOpen(spec.head, spec.base);
  if (!open) return Fail(open.error());
  if (open->empty() && !spec.pushed) {
    Result<std::optional<PullRequest>> latest = client.Latest(spec.head, spec.base);
    if (!latest) return Fail(latest.error());
    if (latest->has_value() && !(*latest)->open && !(*latest)->merged) {
      return EnsureOutcome{EnsureOutcome::Action::kLeftClosed, std::move(**latest)};
    }
  }
  if (open->empty()) {
    Result<PullRequest> created = client.Create(spec);
    if (created) return EnsureOutcome{EnsureOutcome::Action::kCreated, std::move(*created)};
    if (created.error().kind != ErrorKind::kConflict) return Fail(created.error());
    // Refused because one exists (opened meanwhile): settle on that one.
    open = client.ListOpen(spec.head, spec.base);
    if (!open) return Fail(open.error());
    if (open->empty()) return Fail(created.error());
  }
  if (open->size() > 1) {
    spdlog::warn("{} open pull requests from {} to {}; keeping #{} up to date", open->size(),
                 spec.head, spec.base, open->front().number);
  }
  PullRequest request = open->front();
  if (request.title == spec.title && request.body == spec.body) {
    return EnsureOutcome{EnsureOutcome::Action::kUnchanged, std::move(request)};
  }
  if (Result<void> updated = client.Update(request.number, spec.title, spec.body); !updated) {
    return Fail(updated.error());
  }
  request.title = spec.title;
  request.body = spec.body;
  return EnsureOutcome{EnsureOutcome::Action::kUpdated, std::move(request)};
}

PrApi::PrApi(PrProvider provider, std::string base_url, std::string token,
             std::vector<std::pair<std::string, std::string>> headers, HttpClient& http)
    : provider_(provider),
      base_url_(std::move(base_url)),
      token_(std::move(token)),
      headers_(std::move(headers)),
      http_(http) {}

std::string PrApi::Scrub(std::string text) const {
  if (token_.empty()) return text;
  for (size_t pos; (pos = text.find(token_)) != std::string::npos;) {
    text.replace(pos, token_.size(), "***");
  }
  return text;
}

Error PrApi::ApiError(std::string_view method, const std::string& path,
                      const HttpResponse& r) const {
  std::string message = ProviderMessage(r.body);
  if (message.size() > kMaxProviderMessage)
    message = message.substr(0, kMaxProviderMessage) + "...";
  std::string where = path.substr(0, path.find('?'));
  return Error{KindOfStatus(r.status),
               Scrub(EscapeControl(fmt::format("{} API {} {}: HTTP {}{}{}", name(), method, where,
                                               r.status, message.empty() ? "" : ": ", message)))};
}

Result<nlohmann::json> PrApi::Call(std::string_view method, const std::string& path,
                                   const std::string& body) {
  HttpRequest request;
  request.method = std::string(method);
  request.url = base_url_ + path;
  request.headers = headers_;
  request.body = body;
  request.timeout = kApiTimeout;
  if (!body.empty()) request.SetHeader("Content-Type", "application/json");
  Result<HttpResponse> response = http_.Send(request);
  if (!response) {
    return Fail(response.error().kind,
                Scrub(fmt::format("{} API {} {}: {}", name(), method,
                                  path.substr(0, path.find('?')), response.error().message)));
  }
  if (response->status < 200 || response->status > 299) {
    return Fail(ApiError(method, path, *response));
  }
  if (Trim(response->body).empty()) return nlohmann::json();
  std::optional<nlohmann::json> j = ParseJson(response->body);
  if (!j) {
    return Fail(ErrorKind::kInvalidInput,
                fmt::format("{} API {} {}: HTTP {} with a body that is not JSON", name(), method,
                            path.substr(0, path.find('?')), response->status));
  }
  return std::move(*j);
}

}  // namespace tagflow::git
