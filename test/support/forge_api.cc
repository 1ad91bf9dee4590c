#include "test/support/forge_api.h"

#include <httplib.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>

#include "base/url.h"

namespace tagflow::testing {
namespace {

using nlohmann::json;

void Reply(httplib::Response& res, int status, const json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

std::string Param(const httplib::Request& req, const char* name, std::string fallback = "") {
  return req.has_param(name) ? req.get_param_value(name) : fallback;
}

int IntParam(const httplib::Request& req, const char* name, int fallback) {
  std::string v = Param(req, name);
  if (v.empty()) return fallback;
  try {
    return std::stoi(v);
  } catch (...) {
    return fallback;
  }
}

std::string WebUrl(ForgeApiServer::Kind kind, const std::string& owner, const std::string& repo,
                   int number) {
  switch (kind) {
    case ForgeApiServer::Kind::kGitHub:
      return "https://github.example/" + owner + "/" + repo + "/pull/" + std::to_string(number);
    case ForgeApiServer::Kind::kGitLab:
      return "https://gitlab.example/" + owner + "/" + repo + "/-/merge_requests/" +
             std::to_string(number);
    case ForgeApiServer::Kind::kGitea:
      return "https://gitea.example/" + owner + "/" + repo + "/pulls/" + std::to_string(number);
  }
  return "";
}

}  // namespace

ForgeApiServer::ForgeApiServer(Kind kind, std::string owner, std::string repo, std::string token)
    : kind_(kind),
      owner_(std::move(owner)),
      repo_(std::move(repo)),
      token_(std::move(token)),
      server_(std::make_unique<httplib::Server>()) {
  port_ = ServeOnLoopback(
      *server_, [this](const httplib::Request& req, httplib::Response& res) { Handle(req, res); },
      thread_, "ForgeApiServer");
}

ForgeApiServer::~ForgeApiServer() {
  server_->stop();
  if (thread_.joinable()) thread_.join();
}

std::string ForgeApiServer::ApiUrl() const {
  std::string base = "http://127.0.0.1:" + std::to_string(port_);
  switch (kind_) {
    case Kind::kGitHub:
      return base;
    case Kind::kGitLab:
      return base + "/api/v4";
    case Kind::kGitea:
      return base + "/api/v1";
  }
  return base;
}

std::vector<ForgeApiServer::PullRequest> ForgeApiServer::PullRequests() const {
  std::lock_guard lock(mu_);
  return pulls_;
}

std::vector<RecordedRequest> ForgeApiServer::Requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int ForgeApiServer::Add(PullRequest pr) {
  std::lock_guard lock(mu_);
  pr.number = static_cast<int>(pulls_.size()) + 1;
  pulls_.push_back(pr);
  return pr.number;
}

void ForgeApiServer::Close(int number, bool merged) {
  std::lock_guard lock(mu_);
  if (PullRequest* pr = Find(number)) {
    pr->state = "closed";
    pr->merged = merged;
  }
}

ForgeApiServer::PullRequest* ForgeApiServer::Find(int number) {
  for (PullRequest& pr : pulls_) {
    if (pr.number == number) return &pr;
  }
  return nullptr;
}

ForgeApiServer::PullRequest* ForgeApiServer::OpenFor(const std::string& head,
                                                     const std::string& base) {
  for (PullRequest& pr : pulls_) {
    if (pr.state == "open" && pr.head == head && pr.base == base) return &pr;
  }
  return nullptr;
}

bool ForgeApiServer::Authorized(const httplib::Request& req) const {
  std::string auth = req.get_header_value("Authorization");
  switch (kind_) {
    case Kind::kGitHub:  // "Bearer" or the older "token" scheme
      return auth == "Bearer " + token_ || auth == "token " + token_;
    case Kind::kGitLab:
      return req.get_header_value("PRIVATE-TOKEN") == token_ || auth == "Bearer " + token_;
    case Kind::kGitea:
      return auth == "token " + token_ || auth == "Bearer " + token_;
  }
  return false;
}

void ForgeApiServer::Handle(const httplib::Request& req, httplib::Response& res) {
  std::string raw_path = req.target.substr(0, req.target.find('?'));
  std::lock_guard lock(mu_);
  RecordedRequest recorded{req.method, raw_path, "", {}, req.body};
  if (size_t q = req.target.find('?'); q != std::string::npos) {
    recorded.query = req.target.substr(q + 1);
  }
  recorded.headers.insert(req.headers.begin(), req.headers.end());
  requests_.push_back(std::move(recorded));
  if (!Authorized(req)) {
    switch (kind_) {
      case Kind::kGitHub:
        return Reply(res, 401,
                     {{"message", "Bad credentials"},
                      {"documentation_url", "https://docs.github.com/rest"},
                      {"status", "401"}});
      case Kind::kGitLab:
        return Reply(res, 401, {{"message", "401 Unauthorized"}});
      case Kind::kGitea:
        return Reply(res, 401, {{"message", "token is required"}, {"url", ApiUrl() + "/swagger"}});
    }
  }
  switch (kind_) {
    case Kind::kGitHub:
      return GitHub(req.method, raw_path, req, res);
    case Kind::kGitLab:
      return GitLab(req.method, raw_path, req, res);
    case Kind::kGitea:
      return Gitea(req.method, raw_path, req, res);
  }
}

// --- GitHub REST -----------------------------------------------------------

void ForgeApiServer::GitHub(const std::string& method, const std::string& path,
                            const httplib::Request& req, httplib::Response& res) {
  auto to_json = [this](const PullRequest& pr) {
    return json{{"number", pr.number},
                {"title", pr.title},
                {"body", pr.body.empty() ? json() : json(pr.body)},
                {"state", pr.state},
                {"html_url", WebUrl(kind_, owner_, repo_, pr.number)},
                {"merged_at", pr.merged ? json("2026-01-01T00:00:00Z") : json()},
                {"head", {{"ref", pr.head}, {"label", owner_ + ":" + pr.head}}},
                {"base", {{"ref", pr.base}, {"label", owner_ + ":" + pr.base}}}};
  };
  std::string api_version = req.get_header_value("X-GitHub-Api-Version");
  if (!api_version.empty() && api_version != "2022-11-28") {
    return Reply(res, 400, {{"message", "Unsupported 'X-GitHub-Api-Version' header"}});
  }
  const std::string repo = "/repos/" + owner_ + "/" + repo_;
  std::smatch m;
  static const std::regex kPull("/pulls/([0-9]+)");
  static const std::regex kLabels("/issues/([0-9]+)/labels");
  std::string rest = path.starts_with(repo) ? path.substr(repo.size()) : "";
  json body = json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  if (path == repo + "/pulls" && method == "GET") {
    std::string state = Param(req, "state", "open");
    std::string head = Param(req, "head");  // "user:ref-name"
    std::string base = Param(req, "base");
    std::vector<PullRequest> found;
    for (const PullRequest& pr : pulls_) {
      if (state != "all" && pr.state != state) continue;
      if (!head.empty() && owner_ + ":" + pr.head != head) continue;
      if (!base.empty() && pr.base != base) continue;
      found.push_back(pr);
    }
    // sort=created, direction=desc by default.
    bool asc = Param(req, "direction", "desc") == "asc";
    std::ranges::sort(found, [asc](const PullRequest& a, const PullRequest& b) {
      return asc ? a.number < b.number : a.number > b.number;
    });
    json out = json::array();
    int per_page = std::clamp(IntParam(req, "per_page", 30), 1, 100);
    for (const PullRequest& pr : found) {
      if (static_cast<int>(out.size()) == per_page) break;
      out.push_back(to_json(pr));
    }
    return Reply(res, 200, out);
  }
  if (path == repo + "/pulls" && method == "POST") {
    if (!body.is_object() || !body.contains("head") || !body.contains("base") ||
        !body["head"].is_string() || !body["base"].is_string()) {
      return Reply(res, 422, {{"message", "Validation Failed"}});
    }
    std::string head = body["head"];
    if (OpenFor(head, body["base"]) != nullptr) {
      return Reply(
          res, 422,
          {{"message", "Validation Failed"},
           {"errors",
            {{{"resource", "PullRequest"},
              {"code", "custom"},
              {"message", "A pull request already exists for " + owner_ + ":" + head + "."}}}},
           {"documentation_url", "https://docs.github.com/rest"}});
    }
    PullRequest pr{.number = static_cast<int>(pulls_.size()) + 1,
                   .head = head,
                   .base = body["base"],
                   .title = body.value("title", ""),
                   .body = body.value("body", "")};
    pulls_.push_back(pr);
    return Reply(res, 201, to_json(pr));
  }
  if (std::regex_match(rest, m, kPull) && method == "PATCH") {
    PullRequest* pr = Find(std::stoi(m[1]));
    if (pr == nullptr) return Reply(res, 404, {{"message", "Not Found"}});
    if (body.is_object() && body.contains("title")) pr->title = body["title"];
    if (body.is_object() && body.contains("body")) pr->body = body["body"];
    return Reply(res, 200, to_json(*pr));
  }
  if (std::regex_match(rest, m, kLabels) && method == "POST") {
    PullRequest* pr = Find(std::stoi(m[1]));
    if (pr == nullptr) return Reply(res, 404, {{"message", "Not Found"}});
    json out = json::array();
    if (body.is_object() && body["labels"].is_array()) {
      for (const json& l : body["labels"]) pr->labels.push_back(l.get<std::string>());
    }
    for (const std::string& l : pr->labels) out.push_back({{"name", l}});
    return Reply(res, 200, out);
  }
  Reply(res, 404,
        {{"message", "Not Found"}, {"documentation_url", "https://docs.github.com/rest"}});
}

// --- GitLab REST v4 --------------------------------------------------------

void ForgeApiServer::GitLab(const std::string& method, const std::string& path,
                            const httplib::Request& req, httplib::Response& res) {
  auto to_json = [this](const PullRequest& pr) {
    std::string state = pr.merged ? "merged" : pr.state == "open" ? "opened" : "closed";
    return json{{"id", 1000 + pr.number},
                {"iid", pr.number},
                {"title", pr.title},
                {"description", pr.body},
                {"state", state},
                {"source_branch", pr.head},
                {"target_branch", pr.base},
                {"labels", pr.labels},
                {"web_url", WebUrl(kind_, owner_, repo_, pr.number)}};
  };
  // The project id is the URL-encoded path: "/" must arrive as %2F.
  const std::string project = "/api/v4/projects/" + UrlEncode(owner_ + "/" + repo_);
  if (!path.starts_with(project + "/")) {
    return Reply(res, 404, {{"message", "404 Project Not Found"}});
  }
  std::string rest = path.substr(project.size());
  json body = json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  std::smatch m;
  static const std::regex kMergeRequest("/merge_requests/([0-9]+)");
  if (rest == "/merge_requests" && method == "GET") {
    std::string state = Param(req, "state", "all");
    std::string source = Param(req, "source_branch");
    std::string target = Param(req, "target_branch");
    std::vector<PullRequest> found;
    for (const PullRequest& pr : pulls_) {
      if (state != "all" && to_json(pr)["state"] != state) continue;
      if (!source.empty() && pr.head != source) continue;
      if (!target.empty() && pr.base != target) continue;
      found.push_back(pr);
    }
    bool asc = Param(req, "sort", "desc") == "asc";  // order_by=created_at by default
    std::ranges::sort(found, [asc](const PullRequest& a, const PullRequest& b) {
      return asc ? a.number < b.number : a.number > b.number;
    });
    json out = json::array();
    int per_page = std::clamp(IntParam(req, "per_page", 20), 1, 100);
    for (const PullRequest& pr : found) {
      if (static_cast<int>(out.size()) == per_page) break;
      out.push_back(to_json(pr));
    }
    return Reply(res, 200, out);
  }
  if (rest == "/merge_requests" && method == "POST") {
    if (!body.is_object() || !body["source_branch"].is_string() ||
        !body["target_branch"].is_string() || !body["title"].is_string()) {
      return Reply(res, 400, {{"message", "400 Bad request - title is missing"}});
    }
    if (PullRequest* open = OpenFor(body["source_branch"], body["target_branch"])) {
      return Reply(res, 409,
                   {{"message",
                     {"Another open merge request already exists for this source branch: !" +
                      std::to_string(open->number)}}});
    }
    PullRequest pr{.number = static_cast<int>(pulls_.size()) + 1,
                   .head = body["source_branch"],
                   .base = body["target_branch"],
                   .title = body["title"],
                   .body = body.value("description", "")};
    if (body.contains("labels") && body["labels"].is_string()) {
      std::string labels = body["labels"];
      for (size_t start = 0; start <= labels.size();) {
        size_t comma = std::min(labels.find(',', start), labels.size());
        if (comma > start) pr.labels.push_back(labels.substr(start, comma - start));
        start = comma + 1;
      }
    }
    pulls_.push_back(pr);
    return Reply(res, 201, to_json(pr));
  }
  if (std::regex_match(rest, m, kMergeRequest) && method == "PUT") {
    PullRequest* pr = Find(std::stoi(m[1]));
    if (pr == nullptr) return Reply(res, 404, {{"message", "404 Not found"}});
    if (body.is_object() && body["title"].is_string()) pr->title = body["title"];
    if (body.is_object() && body["description"].is_string()) pr->body = body["description"];
    return Reply(res, 200, to_json(*pr));
  }
  Reply(res, 404, {{"error", "404 Not Found"}});
}

// --- Gitea / Forgejo v1 ----------------------------------------------------

void ForgeApiServer::Gitea(const std::string& method, const std::string& path,
                           const httplib::Request& req, httplib::Response& res) {
  static const std::map<std::string, int> kLabelIds = {{"automation", 7}, {"images", 8}};
  auto to_json = [this](const PullRequest& pr) {
    json labels = json::array();
    for (const std::string& l : pr.labels) labels.push_back({{"id", kLabelIds.at(l)}, {"name", l}});
    return json{{"id", 500 + pr.number},
                {"number", pr.number},
                {"title", pr.title},
                {"body", pr.body},
                {"state", pr.state},
                {"merged", pr.merged},
                {"labels", labels},
                {"html_url", WebUrl(kind_, owner_, repo_, pr.number)},
                {"head", {{"ref", pr.head}, {"label", pr.head}, {"repo_id", 1}}},
                {"base", {{"ref", pr.base}, {"label", pr.base}, {"repo_id", 1}}}};
  };
  auto not_found = [&] {
    Reply(res, 404,
          {{"errors", json::array()},
           {"message", "The target couldn't be found."},
           {"url", ApiUrl() + "/swagger"}});
  };
  const std::string repo = "/api/v1/repos/" + owner_ + "/" + repo_;
  if (!path.starts_with(repo + "/")) return not_found();
  std::string rest = path.substr(repo.size());
  json body = json::parse(req.body.empty() ? "null" : req.body, nullptr, false);
  int limit = std::clamp(IntParam(req, "limit", 30), 1, 50);
  int page = std::max(IntParam(req, "page", 1), 1);
  std::smatch m;
  static const std::regex kPull("/pulls/([0-9]+)");
  static const std::regex kBaseHead("/pulls/([^/]+)/(.+)");  // /pulls/{base}/*
  if (rest == "/pulls" && method == "GET") {
    std::string state = Param(req, "state", "open");
    json out = json::array();
    int skip = (page - 1) * limit;
    for (const PullRequest& pr : pulls_) {
      if (state != "all" && pr.state != state) continue;
      if (skip-- > 0) continue;
      if (static_cast<int>(out.size()) == limit) break;
      out.push_back(to_json(pr));
    }
    return Reply(res, 200, out);
  }
  if (rest == "/labels" && method == "GET") {
    json out = json::array();
    if (page == 1) {
      for (const auto& [name, id] : kLabelIds) {
        out.push_back({{"id", id}, {"name", name}, {"color", "00aabb"}});
      }
    }
    return Reply(res, 200, out);
  }
  if (rest == "/pulls" && method == "POST") {
    if (!body.is_object() || !body["head"].is_string() || !body["base"].is_string()) {
      return Reply(res, 422, {{"message", "[Head]: Required; [Base]: Required"}});
    }
    if (PullRequest* open = OpenFor(body["head"], body["base"])) {
      return Reply(res, 409,
                   {{"message", "pull request already exists for these targets [id: " +
                                    std::to_string(500 + open->number) +
                                    ", issue_id: " + std::to_string(open->number) +
                                    ", head_repo_id: 1, base_repo_id: 1, head_branch: " +
                                    open->head + ", base_branch: " + open->base + "]"},
                    {"url", ApiUrl() + "/swagger"}});
    }
    PullRequest pr{.number = static_cast<int>(pulls_.size()) + 1,
                   .head = body["head"],
                   .base = body["base"],
                   .title = body.value("title", ""),
                   .body = body.value("body", "")};
    if (body.contains("labels") && body["labels"].is_array()) {
      for (const json& id : body["labels"]) {  // ids the repository does not have are ignored
        for (const auto& [name, known] : kLabelIds) {
          if (id.is_number_integer() && id.get<int>() == known) pr.labels.push_back(name);
        }
      }
    }
    pulls_.push_back(pr);
    return Reply(res, 201, to_json(pr));
  }
  if (std::regex_match(rest, m, kPull) && method == "PATCH") {
    PullRequest* pr = Find(std::stoi(m[1]));
    if (pr == nullptr) return not_found();
    if (body.is_object() && body["title"].is_string()) pr->title = body["title"];
    if (body.is_object() && body["body"].is_string()) pr->body = body["body"];
    return Reply(res, 201, to_json(*pr));  // Gitea answers an edit with 201
  }
  if (std::regex_match(rest, m, kBaseHead) && method == "GET") {
    const PullRequest* latest = nullptr;
    std::string base = httplib::detail::decode_url(m[1].str(), false);
    std::string head = httplib::detail::decode_url(m[2].str(), false);
    for (const PullRequest& pr : pulls_) {
      if (pr.base == base && pr.head == head) latest = &pr;
    }
    if (latest == nullptr) return not_found();
    return Reply(res, 200, to_json(*latest));
  }
  not_found();
}

}  // namespace tagflow::testing
