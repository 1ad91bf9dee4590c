#include "test/support/registry_server.h"

#include <curl/curl.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "base/encoding.h"

namespace tagflow::testing {
namespace {

using nlohmann::ordered_json;

constexpr char kService[] = "tagflow-test-registry";
constexpr char kIssuerName[] = "tagflow-test-issuer";
constexpr char kLayer[] = "tagflow synthetic layer: the same bytes in every image";

std::string Base64Url(std::string_view data) {
  std::string s = Base64Encode(data);
  for (char& c : s) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  while (!s.empty() && s.back() == '=') s.pop_back();
  return s;
}

size_t Append(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t Header(char* data, size_t size, size_t count, void* user) {
  std::string_view line(data, size * count);
  if (line.size() > 9 && strncasecmp(line.data(), "location:", 9) == 0) {
    std::string_view v = line.substr(9);
    while (!v.empty() && (v.front() == ' ')) v.remove_prefix(1);
    while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' '))
      v.remove_suffix(1);
    *static_cast<std::string*>(user) = std::string(v);
  }
  return size * count;
}

std::string MediaType(const SyntheticImage& image, bool manifest) {
  if (manifest) {
    return image.oci ? "application/vnd.oci.image.manifest.v1+json"
                     : "application/vnd.docker.distribution.manifest.v2+json";
  }
  return image.oci ? "application/vnd.oci.image.config.v1+json"
                   : "application/vnd.docker.container.image.v1+json";
}

}  // namespace

// Answers GET /token like a Docker token service: Basic credentials checked
// against the one user, a JWT signed with the key whose certificate the
// registry trusts (x5c header), `access` granted per scope.
class TokenIssuer {
 public:
  TokenIssuer(const std::filesystem::path& dir, const RegistryServer::Options& options)
      : options_(options) {
    std::string out;
    int rc = RunShell("cd " + ShellQuote(dir.string()) +
                          " && openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem "
                          "-out cert.pem -days 2 -subj /CN=tagflow-test-issuer 2>&1",
                      &out);
    if (rc != 0) throw std::runtime_error("openssl req failed: " + out);
    cert_path_ = dir / "cert.pem";
    FILE* f = fopen((dir / "key.pem").c_str(), "r");
    if (f == nullptr) throw std::runtime_error("cannot read key.pem");
    key_ = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
    fclose(f);
    f = fopen(cert_path_.c_str(), "r");
    X509* cert = f ? PEM_read_X509(f, nullptr, nullptr, nullptr) : nullptr;
    if (f) fclose(f);
    if (key_ == nullptr || cert == nullptr) throw std::runtime_error("cannot load issuer key");
    unsigned char* der = nullptr;
    int len = i2d_X509(cert, &der);
    cert_der_b64_ = Base64Encode(std::string_view(reinterpret_cast<char*>(der), len));
    OPENSSL_free(der);
    X509_free(cert);

    server_.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      std::string subject;
      if (req.has_header("Authorization")) {
        std::string expected = "Basic " + Base64Encode(options_.username + ":" + options_.password);
        if (req.get_header_value("Authorization") != expected) {
          res.status = 401;
          res.set_content(R"({"details":"incorrect username or password"})", "application/json");
          return;
        }
        subject = options_.username;
      }
      std::vector<std::string> scopes;
      for (size_t i = 0; i < req.get_param_value_count("scope"); ++i) {
        scopes.push_back(req.get_param_value("scope", i));
      }
      std::string token = Issue(subject, scopes);
      ordered_json body = {{"token", token},
                           {"access_token", token},
                           {"expires_in", options_.token_lifetime_seconds}};
      res.set_content(body.dump(), "application/json");
    });
    // The OAuth2 refresh grant (distribution's spec/auth/oauth): the identity
    // token stands for the user.
    server_.Post("/token", [this](const httplib::Request& req, httplib::Response& res) {
      ++requests_;
      bool ok = !options_.identity_token.empty() &&
                req.get_param_value("grant_type") == "refresh_token" &&
                req.get_param_value("refresh_token") == options_.identity_token &&
                !req.get_param_value("client_id").empty() &&
                req.get_param_value("service") == kService;
      if (!ok) {
        res.status = 401;
        res.set_content(R"({"error":"invalid_grant"})", "application/json");
        return;
      }
      ++refresh_grants_;
      std::vector<std::string> scopes;
      std::string scope = req.get_param_value("scope");
      for (size_t pos = 0; pos < scope.size();) {
        size_t end = std::min(scope.find(' ', pos), scope.size());
        if (end > pos) scopes.push_back(scope.substr(pos, end - pos));
        pos = end + 1;
      }
      std::string token = Issue(options_.username, scopes);
      ordered_json body = {{"access_token", token},
                           {"scope", scope},
                           {"expires_in", options_.token_lifetime_seconds}};
      res.set_content(body.dump(), "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("token issuer: bind failed");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    WaitFor([this] { return server_.is_running(); }, std::chrono::seconds(10));
  }

  ~TokenIssuer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
    EVP_PKEY_free(key_);
  }

  // A signed token for `subject` ("" = anonymous) granting `scopes`
  // ("repository:<name>:<actions>").
  std::string Issue(const std::string& subject, const std::vector<std::string>& scopes) {
    ordered_json access = ordered_json::array();
    for (const auto& scope : scopes) {
      size_t first = scope.find(':');
      size_t last = scope.rfind(':');
      if (first == std::string::npos || last == first) continue;
      std::string type = scope.substr(0, first);
      std::string name = scope.substr(first + 1, last - first - 1);
      ordered_json actions = ordered_json::array();
      std::string list = scope.substr(last + 1);
      for (size_t pos = 0; pos <= list.size();) {
        size_t comma = std::min(list.find(',', pos), list.size());
        std::string action = list.substr(pos, comma - pos);
        bool allowed = !subject.empty() || (options_.anonymous_pull && action == "pull");
        if (allowed && !action.empty()) actions.push_back(action);
        pos = comma + 1;
      }
      access.push_back({{"type", type}, {"name", name}, {"actions", actions}});
    }
    auto now = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    ordered_json header = {{"typ", "JWT"}, {"alg", "RS256"}, {"x5c", {cert_der_b64_}}};
    ordered_json claims = {{"iss", kIssuerName},
                           {"sub", subject},
                           {"aud", kService},
                           {"exp", now + options_.token_lifetime_seconds},
                           {"nbf", now - 10},
                           {"iat", now},
                           {"jti", std::to_string(now) + "-" + std::to_string(++serial_)},
                           {"access", access}};
    std::string input = Base64Url(header.dump()) + "." + Base64Url(claims.dump());
    std::lock_guard lock(sign_mu_);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    std::string signature;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1) {
      signature.resize(len);
      EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &len,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size());
      signature.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    return input + "." + Base64Url(signature);
  }

  int port() const { return port_; }
  int requests() const { return requests_; }
  int refresh_grants() const { return refresh_grants_; }
  const std::filesystem::path& cert_path() const { return cert_path_; }

 private:
  RegistryServer::Options options_;
  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<int> requests_{0};
  std::atomic<int> refresh_grants_{0};
  std::atomic<int> serial_{0};
  std::mutex sign_mu_;
  EVP_PKEY* key_ = nullptr;
  std::filesystem::path cert_path_;
  std::string cert_der_b64_;
};

RegistryServer::RegistryServer(Options options) : options_(std::move(options)) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  port_ = FreePort();
  std::string auth;
  if (options_.auth == Auth::kHtpasswd) {
    WriteHtpasswd();
    auth = "auth:\n  htpasswd:\n    realm: tagflow-test\n    path: " +
           (dir_.path() / "htpasswd").string() + "\n";
  } else if (options_.auth == Auth::kToken) {
    issuer_ = std::make_unique<TokenIssuer>(dir_.path(), options_);
    auth = "auth:\n  token:\n    realm: http://127.0.0.1:" + std::to_string(issuer_->port()) +
           "/token\n    service: " + kService + "\n    issuer: " + kIssuerName +
           "\n    rootcertbundle: " + issuer_->cert_path().string() + "\n";
  }
  std::string config =
      "version: 0.1\n"
      "log:\n  level: error\n  accesslog:\n    disabled: " +
      std::string(options_.access_log ? "false" : "true") +
      "\n"
      "storage:\n  filesystem:\n    rootdirectory: " +
      (dir_.path() / "storage").string() +
      "\n  maintenance:\n    uploadpurging:\n      enabled: false\n"
      "http:\n  addr: 127.0.0.1:" +
      std::to_string(port_) + "\n  secret: tagflow-test-secret\n" + auth;
  WriteFile(dir_.path() / "config.yml", config);
  StartProcess();
  pusher_ = NewPusher();
}

void RegistryServer::WriteHtpasswd() {
  std::string out;
  std::string cmd = "htpasswd -Bbn " + ShellQuote(options_.username) + " " +
                    ShellQuote(options_.password) + " > " +
                    ShellQuote((dir_.path() / "htpasswd").string());
  if (RunShell(cmd, &out) != 0) throw std::runtime_error("htpasswd failed: " + out);
}

void RegistryServer::StartProcess() {
  process_ = std::make_unique<Subprocess>(Subprocess::Options{
      .argv = {"/usr/bin/docker-registry", "serve", (dir_.path() / "config.yml").string()},
      .log_path = dir_.path() / "registry.log"});
  bool up = WaitForPort(port_, std::chrono::seconds(20));
  if (!up || !process_->Running()) {
    throw std::runtime_error("docker-registry did not start: " + Log());
  }
}

void RegistryServer::ChangePassword(const std::string& password) {
  if (options_.auth != Auth::kHtpasswd) throw std::runtime_error("ChangePassword: not htpasswd");
  options_.password = password;
  WriteHtpasswd();
  process_.reset();  // SIGTERM, then wait
  StartProcess();
  pusher_ = NewPusher();
}

RegistryServer::~RegistryServer() {
  pusher_.reset();
  process_.reset();
  issuer_.reset();
}

std::string RegistryServer::host() const { return "127.0.0.1:" + std::to_string(port_); }

int RegistryServer::token_requests() const { return issuer_ ? issuer_->requests() : 0; }

int RegistryServer::refresh_grants() const { return issuer_ ? issuer_->refresh_grants() : 0; }

std::string RegistryServer::Log() const { return ReadFile(dir_.path() / "registry.log"); }

std::string RegistryServer::PushImage(const std::string& repository, const std::string& tag,
                                      const SyntheticImage& image) {
  return pusher_->PushImage(repository, tag, image);
}

std::string RegistryServer::PushIndex(const std::string& repository, const std::string& tag,
                                      const std::vector<SyntheticImage>& images) {
  return pusher_->PushIndex(repository, tag, images);
}

std::string RegistryServer::PushCosignSignature(const std::string& repository,
                                                const std::string& image_digest,
                                                const std::string& payload,
                                                const std::string& signature_b64) {
  return pusher_->PushCosignSignature(repository, image_digest, payload, signature_b64);
}

std::unique_ptr<RegistryServer::Pusher> RegistryServer::NewPusher() {
  return std::make_unique<Pusher>(*this);
}

RegistryServer::Pusher::Pusher(RegistryServer& server) : server_(server), curl_(curl_easy_init()) {}

RegistryServer::Pusher::~Pusher() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

std::string RegistryServer::Pusher::AuthHeader(const std::string& repository) {
  const Options& o = server_.options_;
  if (o.auth == Auth::kHtpasswd) {
    return "Authorization: Basic " + Base64Encode(o.username + ":" + o.password);
  }
  if (o.auth == Auth::kToken) {
    auto it = tokens_.find(repository);
    if (it == tokens_.end()) {
      it = tokens_
               .emplace(repository, server_.issuer_->Issue(
                                        o.username, {"repository:" + repository + ":pull,push"}))
               .first;
    }
    return "Authorization: Bearer " + it->second;
  }
  return "";
}

RegistryServer::Pusher::Reply RegistryServer::Pusher::Request(const std::string& method,
                                                              const std::string& url,
                                                              const std::string& body,
                                                              const std::string& content_type) {
  CURL* h = static_cast<CURL*>(curl_);
  curl_easy_reset(h);
  Reply reply;
  std::string full = url.starts_with("http") ? url : "http://" + server_.host() + url;
  std::string repository;
  if (size_t v2 = full.find("/v2/"); v2 != std::string::npos) {
    size_t end = full.find("/blobs/", v2);
    if (end == std::string::npos) end = full.find("/manifests/", v2);
    if (end != std::string::npos) repository = full.substr(v2 + 4, end - v2 - 4);
  }
  curl_slist* headers = nullptr;
  if (std::string auth = AuthHeader(repository); !auth.empty()) {
    headers = curl_slist_append(headers, auth.c_str());
  }
  if (!content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + content_type).c_str());
  }
  curl_easy_setopt(h, CURLOPT_URL, full.c_str());
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  if (method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (method != "GET") {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, Header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &reply.location);
  CURLcode code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    throw std::runtime_error(method + " " + full + ": " + curl_easy_strerror(code));
  }
  return reply;
}

void RegistryServer::Pusher::UploadBlob(const std::string& repository, const std::string& digest,
                                        const std::string& data) {
  auto started = Request("POST", "/v2/" + repository + "/blobs/uploads/", "", "");
  if (started.status != 202 || started.location.empty()) {
    throw std::runtime_error("blob upload start " + repository + ": HTTP " +
                             std::to_string(started.status) + " " + started.body);
  }
  std::string put = started.location;
  put += put.find('?') == std::string::npos ? '?' : '&';
  put += "digest=";
  put += digest;
  auto done = Request("PUT", put, data, "application/octet-stream");
  if (done.status != 201) {
    throw std::runtime_error("blob upload " + repository + ": HTTP " + std::to_string(done.status) +
                             " " + done.body);
  }
}

RegistryServer::Pusher::Pushed RegistryServer::Pusher::PushManifest(const std::string& repository,
                                                                    const std::string& reference,
                                                                    const SyntheticImage& image,
                                                                    bool by_digest) {
  std::string layer(kLayer);
  std::string layer_digest = Sha256Digest(layer);
  if (!layer_pushed_.contains(repository)) {
    bool mounted = false;
    if (!first_layer_repository_.empty()) {
      auto m = Request("POST",
                       "/v2/" + repository + "/blobs/uploads/?mount=" + layer_digest +
                           "&from=" + first_layer_repository_,
                       "", "");
      mounted = m.status == 201;
    }
    if (!mounted) UploadBlob(repository, layer_digest, layer);
    if (first_layer_repository_.empty()) first_layer_repository_ = repository;
    layer_pushed_.insert(repository);
  }
  ordered_json labels = ordered_json::object();
  for (const auto& [k, v] : image.labels) labels[k] = v;
  ordered_json config = {{"architecture", image.architecture}, {"os", image.os}};
  if (!image.variant.empty()) config["variant"] = image.variant;
  if (image.created) config["created"] = *image.created;
  config["config"] = {{"Labels", labels}};
  config["rootfs"] = {{"type", "layers"}, {"diff_ids", {layer_digest}}};
  if (!image.salt.empty()) config["tagflow_salt"] = image.salt;
  std::string config_body = config.dump();
  std::string config_digest = Sha256Digest(config_body);
  UploadBlob(repository, config_digest, config_body);

  std::string manifest_type = MediaType(image, true);
  ordered_json manifest = {
      {"schemaVersion", 2},
      {"mediaType", manifest_type},
      {"config",
       {{"mediaType", MediaType(image, false)},
        {"size", config_body.size()},
        {"digest", config_digest}}},
      {"layers",
       {{{"mediaType", image.oci ? "application/vnd.oci.image.layer.v1.tar+gzip"
                                 : "application/vnd.docker.image.rootfs.diff.tar.gzip"},
         {"size", layer.size()},
         {"digest", layer_digest}}}}};
  std::string body = manifest.dump();
  std::string digest = Sha256Digest(body);
  auto put = Request("PUT", "/v2/" + repository + "/manifests/" + (by_digest ? digest : reference),
                     body, manifest_type);
  if (put.status != 201) {
    throw std::runtime_error("manifest put " + repository + ":" + reference + ": HTTP " +
                             std::to_string(put.status) + " " + put.body);
  }
  return {digest, body.size(), manifest_type};
}

std::string RegistryServer::Pusher::PushCosignSignature(const std::string& repository,
                                                        const std::string& image_digest,
                                                        const std::string& payload,
                                                        const std::string& signature_b64) {
  const std::string kSha256 = "sha256:";
  if (!image_digest.starts_with(kSha256)) throw std::runtime_error("not a sha256 digest");
  std::string payload_digest = Sha256Digest(payload);
  UploadBlob(repository, payload_digest, payload);
  // cosign's signature image config: an OCI config with the layer's diff id.
  ordered_json config = {{"architecture", ""},
                         {"os", ""},
                         {"config", ordered_json::object()},
                         {"rootfs", {{"type", "layers"}, {"diff_ids", {payload_digest}}}}};
  std::string config_body = config.dump();
  std::string config_digest = Sha256Digest(config_body);
  UploadBlob(repository, config_digest, config_body);
  const std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";
  ordered_json manifest = {
      {"schemaVersion", 2},
      {"mediaType", manifest_type},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"},
        {"size", config_body.size()},
        {"digest", config_digest}}},
      {"layers",
       {{{"mediaType", "application/vnd.dev.cosign.simplesigning.v1+json"},
         {"size", payload.size()},
         {"digest", payload_digest},
         {"annotations", {{"dev.cosignproject.cosign/signature", signature_b64}}}}}}};
  std::string body = manifest.dump();
  std::string tag = "sha256-" + image_digest.substr(kSha256.size()) + ".sig";
  auto put = Request("PUT", "/v2/" + repository + "/manifests/" + tag, body, manifest_type);
  if (put.status != 201) {
    throw std::runtime_error("signature put " + repository + ":" + tag + ": HTTP " +
                             std::to_string(put.status) + " " + put.body);
  }
  return Sha256Digest(body);
}

std::string RegistryServer::Pusher::PushImage(const std::string& repository, const std::string& tag,
                                              const SyntheticImage& image) {
  return PushManifest(repository, tag, image, false).digest;
}

std::string RegistryServer::Pusher::PushIndex(const std::string& repository, const std::string& tag,
                                              const std::vector<SyntheticImage>& images) {
  bool oci = images.empty() || images.front().oci;
  std::string index_type = oci ? "application/vnd.oci.image.index.v1+json"
                               : "application/vnd.docker.distribution.manifest.list.v2+json";
  ordered_json entries = ordered_json::array();
  for (const auto& image : images) {
    Pushed child = PushManifest(repository, "", image, true);
    ordered_json platform = {{"architecture", image.architecture}, {"os", image.os}};
    if (!image.variant.empty()) platform["variant"] = image.variant;
    entries.push_back({{"mediaType", child.media_type},
                       {"size", child.size},
                       {"digest", child.digest},
                       {"platform", platform}});
  }
  ordered_json index = {{"schemaVersion", 2}, {"mediaType", index_type}, {"manifests", entries}};
  std::string body = index.dump();
  auto put = Request("PUT", "/v2/" + repository + "/manifests/" + tag, body, index_type);
  if (put.status != 201) {
    throw std::runtime_error("index put " + repository + ":" + tag + ": HTTP " +
                             std::to_string(put.status) + " " + put.body);
  }
  return Sha256Digest(body);
}

}  // namespace tagflow::testing
