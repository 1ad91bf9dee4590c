// A real Docker registry (Debian's docker-registry, distribution 2.8) on
// 127.0.0.1 for tests and benchmarks, open, behind htpasswd (bcrypt), or behind
// token auth with a small in-process token issuer; and a pusher that uploads
// synthetic images over the registry API (config blob with a chosen `created`
// and labels, one shared layer, a manifest per tag, indexes after their
// children).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "test/support/process.h"

namespace tagflow::testing {

class TokenIssuer;

// An image to push. Digests differ whenever any field differs.
struct SyntheticImage {
  std::optional<std::string> created;  // config "created"; nullopt = no field
  std::map<std::string, std::string> labels;
  bool oci = false;  // OCI media types instead of Docker v2
  std::string os = "linux";
  std::string architecture = "amd64";
  std::string variant;
  std::string salt;  // extra config field to tell otherwise equal images apart
};

class RegistryServer {
 public:
  enum class Auth { kOpen, kHtpasswd, kToken };
  struct Options {
    Auth auth = Auth::kOpen;
    std::string username = "tagflow-user";
    std::string password = "correct-horse-battery";
    int token_lifetime_seconds = 300;
    bool anonymous_pull = false;  // kToken: anonymous tokens may pull
    bool access_log = false;      // log every request (Log() then shows them)
    // kToken: an identity (refresh) token the issuer also accepts, through
    // the OAuth2 refresh grant (POST realm, grant_type=refresh_token), for
    // `username`; "" = none.
    std::string identity_token;
  };

  // Starts the registry (and the token issuer) and waits until /v2/ answers.
  // Throws std::runtime_error with the registry's output when it cannot.
  explicit RegistryServer(Options options);
  RegistryServer() : RegistryServer(Options{}) {}
  ~RegistryServer();
  RegistryServer(const RegistryServer&) = delete;
  RegistryServer& operator=(const RegistryServer&) = delete;

  // "127.0.0.1:<port>".
  std::string host() const;
  const Options& options() const { return options_; }
  // Requests the token issuer has answered (kToken only).
  int token_requests() const;
  // Refresh grants the token issuer has answered with a token (kToken only).
  int refresh_grants() const;
  // kHtpasswd: makes `password` the only one that works (rewrites the
  // htpasswd file and restarts the registry on the same port and storage:
  // distribution 2.8 reads htpasswd once). Throws when it cannot.
  void ChangePassword(const std::string& password);
  // The registry's log so far.
  std::string Log() const;

  // Pushes `image` as repository:tag; returns the manifest digest. Throws
  // std::runtime_error on any failure.
  std::string PushImage(const std::string& repository, const std::string& tag,
                        const SyntheticImage& image);
  // Pushes each image by digest, then an index (OCI) or manifest list
  // (Docker, when the first image is not OCI) naming them as repository:tag;
  // returns the index digest.
  std::string PushIndex(const std::string& repository, const std::string& tag,
                        const std::vector<SyntheticImage>& images);
  // Pushes a cosign signature of `image_digest` the way `cosign sign --key`
  // lays it out: `payload` as a blob, an OCI manifest whose one layer
  // (application/vnd.dev.cosign.simplesigning.v1+json) is that blob with the
  // annotation dev.cosignproject.cosign/signature = `signature_b64`, tagged
  // sha256-<hex>.sig. Returns the signature manifest's digest.
  std::string PushCosignSignature(const std::string& repository, const std::string& image_digest,
                                  const std::string& payload, const std::string& signature_b64);

  class Pusher;
  // A pusher with its own connection, for pushing from several threads.
  std::unique_ptr<Pusher> NewPusher();

 private:
  Options options_;
  TempDir dir_;
  int port_ = 0;
  std::unique_ptr<TokenIssuer> issuer_;
  std::unique_ptr<Subprocess> process_;
  std::unique_ptr<Pusher> pusher_;

  void WriteHtpasswd();
  void StartProcess();
};

// Pushes over one keep-alive connection. Not thread-safe; one per thread.
class RegistryServer::Pusher {
 public:
  explicit Pusher(RegistryServer& server);
  ~Pusher();
  Pusher(const Pusher&) = delete;
  Pusher& operator=(const Pusher&) = delete;

  std::string PushImage(const std::string& repository, const std::string& tag,
                        const SyntheticImage& image);
  std::string PushIndex(const std::string& repository, const std::string& tag,
                        const std::vector<SyntheticImage>& images);
  std::string PushCosignSignature(const std::string& repository, const std::string& image_digest,
                                  const std::string& payload, const std::string& signature_b64);

 private:
  struct Reply {
    long status = 0;
    std::string body;
    std::string location;
  };
  Reply Request(const std::string& method, const std::string& url, const std::string& body,
                const std::string& content_type);
  void UploadBlob(const std::string& repository, const std::string& digest,
                  const std::string& data);
  // Pushes the image's config and manifest (by `reference`); returns
  // {digest, manifest body size, media type}.
  struct Pushed {
    std::string digest;
    size_t size;
    std::string media_type;
  };
  Pushed PushManifest(const std::string& repository, const std::string& reference,
                      const SyntheticImage& image, bool by_digest);
  std::string AuthHeader(const std::string& repository);

  RegistryServer& server_;
  void* curl_;
  std::set<std::string> layer_pushed_;  // repositories that have the layer
  std::string first_layer_repository_;
  std::map<std::string, std::string> tokens_;
};

}  // namespace tagflow::testing
