// GitHub REST API (api.github.com, GitHub Enterprise Server /api/v3):
//   GET   /repos/{owner}/{repo}/pulls?state=open&head={owner}:{branch}&base={base}
//   POST  /repos/{owner}/{repo}/pulls                  {title, head, base, body} -> 201
//   PATCH /repos/{owner}/{repo}/pulls/{number}         {title, body}             -> 200
//   POST  /repos/{owner}/{repo}/issues/{number}/labels {labels: [...]}            -> 200
// with Authorization: Bearer, Accept: application/vnd.github+json and
// X-GitHub-Api-Version: 2022-11-28.
#include <fmt/format.h>

#include <algorithm>

#include "base/json.h"
#include "base/url.h"
#include "git/pull_request.h"

namespace tagflow::git {
namespace {

constexpr std::string_view kApiVersion = "2022-11-28";

PullRequest FromJson(const nlohmann::json& j) {
  PullRequest pr;
  const nlohmann::json& number = JsonMember(j, "number");
  pr.number = number.is_number_integer() ? number.get<int64_t>() : 0;
  pr.title = JsonString(j, "title");
  pr.body = JsonString(j, "body");  // null when empty
  pr.url = JsonString(j, "html_url");
  pr.open = JsonString(j, "state") == "open";
  pr.merged = JsonMember(j, "merged_at").is_string();
  return pr;
}

class GitHubClient final : public PullRequestClient {
 public:
  GitHubClient(const PrTarget& target, std::string token, HttpClient& http)
      : repo_path_(fmt::format("/repos/{}/{}", UrlEncode(target.owner), UrlEncode(target.repo))),
        owner_(target.owner),
        api_(PrProvider::kGitHub, target.api_url, token,
             {{"Authorization", "Bearer " + token},
              {"Accept", "application/vnd.github+json"},
              {"X-GitHub-Api-Version", std::string(kApiVersion)}},
             http) {}

  Result<std::vector<PullRequest>> ListOpen(const std::string& head,
                                            const std::string& base) override {
    Result<nlohmann::json> list = api_.Call("GET", Query(head, base, "open", 100));
    if (!list) return Fail(list.error());
    std::vector<PullRequest> out;
    if (list->is_array()) {
      for (const nlohmann::json& j : *list) out.push_back(FromJson(j));
    }
    std::ranges::sort(out, {}, &PullRequest::number);
    return out;
  }

  Result<std::optional<PullRequest>> Latest(const std::string& head,
                                            const std::string& base) override {
    // Sorted by creation, newest first (GitHub's default direction for it).
    Result<nlohmann::json> list =
        api_.Call("GET", Query(head, base, "all", 1) + "&sort=created&direction=desc");
    if (!list) return Fail(list.error());
    if (!list->is_array() || list->empty()) return std::nullopt;
    return FromJson(list->front());
  }

  Result<PullRequest> Create(const PullRequestSpec& spec) override {
    nlohmann::json body = {
        {"title", spec.title}, {"head", spec.head}, {"base", spec.base}, {"body", spec.body}};
    Result<nlohmann::json> created = api_.Call("POST", repo_path_ + "/pulls", body.dump());
    if (!created) return Fail(created.error());
    PullRequest pr = FromJson(*created);
    if (!spec.labels.empty()) {  // labels live on the pull request's issue
      nlohmann::json labels = {{"labels", spec.labels}};
      Result<nlohmann::json> labelled = api_.Call(
          "POST", fmt::format("{}/issues/{}/labels", repo_path_, pr.number), labels.dump());
      if (!labelled) return Fail(labelled.error().Wrap(fmt::format("labelling #{}", pr.number)));
    }
    return pr;
  }

  Result<void> Update(int64_t number, const std::string& title, const std::string& body) override {
    nlohmann::json patch = {{"title", title}, {"body", body}};
    Result<nlohmann::json> updated =
        api_.Call("PATCH", fmt::format("{}/pulls/{}", repo_path_, number), patch.dump());
    if (!updated) return Fail(updated.error());
    return {};
  }

 private:
  std::string Query(const std::string& head, const std::string& base, std::string_view state,
                    int per_page) const {
    return fmt::format("{}/pulls?state={}&head={}&base={}&per_page={}", repo_path_, state,
                       UrlEncode(owner_ + ":" + head), UrlEncode(base), per_page);
  }

  std::string repo_path_;
  std::string owner_;
  PrApi api_;
};

}  // namespace

std::unique_ptr<PullRequestClient> NewGitHubClient(const PrTarget& target, std::string token,
                                                   HttpClient& http) {
  return std::make_unique<GitHubClient>(target, std::move(token), http);
}

}  // namespace tagflow::git
