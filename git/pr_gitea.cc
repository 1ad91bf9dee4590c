// Gitea and Forgejo API v1:
//   GET   /repos/{owner}/{repo}/pulls?state=open&page=&limit=  (filtered here by
//         head.ref and base.ref: the list has no head filter)
//   GET   /repos/{owner}/{repo}/pulls/{base}/{head}    the latest one (Gitea 1.22+;
//         404 when none, or on older servers)
//   GET   /repos/{owner}/{repo}/labels?page=&limit=     label names -> ids
//   POST  /repos/{owner}/{repo}/pulls          {head, base, title, body, labels: [ids]} -> 201
//   PATCH /repos/{owner}/{repo}/pulls/{index}  {title, body}                            -> 201
// with Authorization: token <token>.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "base/json.h"
#include "base/url.h"
#include "git/pull_request.h"

namespace tagflow::git {
namespace {

constexpr int kPageSize = 50;
constexpr int kMaxPages = 20;  // 1,000 open pull requests or labels at most

PullRequest FromJson(const nlohmann::json& j) {
  PullRequest pr;
  const nlohmann::json& number = JsonMember(j, "number");
  pr.number = number.is_number_integer() ? number.get<int64_t>() : 0;
  pr.title = JsonString(j, "title");
  pr.body = JsonString(j, "body");
  pr.url = JsonString(j, "html_url");
  pr.open = JsonString(j, "state") == "open";
  const nlohmann::json& merged = JsonMember(j, "merged");
  pr.merged = merged.is_boolean() && merged.get<bool>();
  return pr;
}

// Whether `j` goes from branch `head` of the same repository to `base`.
bool Connects(const nlohmann::json& j, const std::string& head, const std::string& base) {
  const nlohmann::json& h = JsonMember(j, "head");
  const nlohmann::json& b = JsonMember(j, "base");
  if (JsonString(h, "ref") != head || JsonString(b, "ref") != base) return false;
  const nlohmann::json& head_repo = JsonMember(h, "repo_id");
  const nlohmann::json& base_repo = JsonMember(b, "repo_id");
  return head_repo.is_null() || base_repo.is_null() || head_repo == base_repo;  // not a fork
}

class GiteaClient final : public PullRequestClient {
 public:
  GiteaClient(const PrTarget& target, std::string token, HttpClient& http)
      : repo_path_(fmt::format("/repos/{}/{}", UrlEncode(target.owner), UrlEncode(target.repo))),
        api_(PrProvider::kGitea, target.api_url, token,
             {{"Authorization", "token " + token}, {"Accept", "application/json"}}, http) {}

  Result<std::vector<PullRequest>> ListOpen(const std::string& head,
                                            const std::string& base) override {
    std::vector<PullRequest> out;
    for (int page = 1; page <= kMaxPages; ++page) {
      Result<nlohmann::json> list = api_.Call(
          "GET", fmt::format("{}/pulls?state=open&page={}&limit={}", repo_path_, page, kPageSize));
      if (!list) return Fail(list.error());
      if (!list->is_array()) break;
      for (const nlohmann::json& j : *list) {
        if (Connects(j, head, base)) out.push_back(FromJson(j));
      }
      if (list->size() < static_cast<size_t>(kPageSize)) break;
    }
    std::ranges::sort(out, {}, &PullRequest::number);
    return out;
  }

  Result<std::optional<PullRequest>> Latest(const std::string& head,
                                            const std::string& base) override {
    // The route is /pulls/{base}/*: the head keeps its slashes.
    std::string head_path;
    for (size_t start = 0; start <= head.size();) {
      size_t slash = std::min(head.find('/', start), head.size());
      head_path += (start == 0 ? "" : "/") + UrlEncode(head.substr(start, slash - start));
      start = slash + 1;
    }
    Result<nlohmann::json> pr =
        api_.Call("GET", fmt::format("{}/pulls/{}/{}", repo_path_, UrlEncode(base), head_path));
    if (!pr && pr.error().kind == ErrorKind::kNotFound) return std::nullopt;
    if (!pr) return Fail(pr.error());
    return FromJson(*pr);
  }

  Result<PullRequest> Create(const PullRequestSpec& spec) override {
    nlohmann::json body = {
        {"head", spec.head}, {"base", spec.base}, {"title", spec.title}, {"body", spec.body}};
    if (!spec.labels.empty()) {
      Result<std::vector<int64_t>> ids = LabelIds(spec.labels);
      if (!ids) return Fail(ids.error());
      body["labels"] = *ids;
    }
    Result<nlohmann::json> created = api_.Call("POST", repo_path_ + "/pulls", body.dump());
    if (!created) return Fail(created.error());
    return FromJson(*created);
  }

  Result<void> Update(int64_t number, const std::string& title, const std::string& body) override {
    nlohmann::json patch = {{"title", title}, {"body", body}};
    Result<nlohmann::json> updated =
        api_.Call("PATCH", fmt::format("{}/pulls/{}", repo_path_, number), patch.dump());
    if (!updated) return Fail(updated.error());
    return {};
  }

 private:
  // Gitea takes label ids and, unlike GitHub and GitLab, does not create
  // labels: names the repository lacks are skipped with a warning.
  Result<std::vector<int64_t>> LabelIds(const std::vector<std::string>& names) {
    std::vector<int64_t> ids;
    std::vector<std::string> missing = names;
    for (int page = 1; page <= kMaxPages && !missing.empty(); ++page) {
      Result<nlohmann::json> list =
          api_.Call("GET", fmt::format("{}/labels?page={}&limit={}", repo_path_, page, kPageSize));
      if (!list) return Fail(list.error());
      if (!list->is_array()) break;
      for (const nlohmann::json& label : *list) {
        const nlohmann::json& id = JsonMember(label, "id");
        auto it = std::ranges::find(missing, JsonString(label, "name"));
        if (it == missing.end() || !id.is_number_integer()) continue;
        ids.push_back(id.get<int64_t>());
        missing.erase(it);
      }
      if (list->size() < static_cast<size_t>(kPageSize)) break;
    }
    for (const std::string& name : missing) {
      spdlog::warn("--git-pr-label \"{}\": no such label in the Gitea repository; skipped", name);
    }
    return ids;
  }

  std::string repo_path_;
  PrApi api_;
};

}  // namespace

std::unique_ptr<PullRequestClient> NewGiteaClient(const PrTarget& target, std::string token,
                                                  HttpClient& http) {
  return std::make_unique<GiteaClient>(target, std::move(token), http);
}

}  // namespace tagflow::git
