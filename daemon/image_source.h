// What the daemon asks of the registries, behind one small interface so the
// Daemon runs against a fake in unit tests. Implementations are thread-safe:
// the loop's cycle and the HTTP threads (GET /api/v1/images) call them at
// the same time.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/error.h"
#include "daemon/api.h"
#include "image/reference.h"
#include "manifest/workload.h"
#include "registry/scanner.h"

namespace tagflow::daemon {

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // Tag lists (with the metadata the targets' filters need) per canonical
  // repository; a repository that failed carries its error.
  virtual std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) = 0;
  // The digest `image`'s repository tag `tag` points at.
  [[nodiscard]] virtual Result<std::string> Digest(const image::ImageRef& image,
                                                   const std::string& tag) = 0;
  // What `list-images` shows for `workloads`.
  virtual std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) = 0;
};

// The real source: one registry::Scanner (not thread-safe) behind a mutex.
class ScannerImageSource final : public ImageSource {
 public:
  // Borrows `scanner`.
  explicit ScannerImageSource(registry::Scanner& scanner) : scanner_(scanner) {}

  std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) override;
  Result<std::string> Digest(const image::ImageRef& image, const std::string& tag) override;
  std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) override;

 private:
  std::mutex mu_;
  registry::Scanner& scanner_;  // guarded by mu_
};

// Answers List() from its last answer until `min_age` has passed (the
// automation interval), or the workloads asked about change: GET
// /api/v1/images from anyone then costs the registries at most one listing per
// interval, whatever the request rate. Concurrent callers share one listing.
// Scan and Digest pass through.
class ListingCache final : public ImageSource {
 public:
  // Borrows `inner` and `clock`.
  ListingCache(ImageSource& inner, Clock& clock, std::chrono::milliseconds min_age)
      : inner_(inner), clock_(clock), min_age_(min_age) {}

  std::map<std::string, registry::RepositoryScan> Scan(
      const std::vector<registry::ScanTarget>& targets) override {
    return inner_.Scan(targets);
  }
  Result<std::string> Digest(const image::ImageRef& image, const std::string& tag) override {
    return inner_.Digest(image, tag);
  }
  std::vector<WorkloadImages> List(std::span<const manifest::Workload> workloads) override;

 private:
  ImageSource& inner_;
  Clock& clock_;
  const std::chrono::milliseconds min_age_;
  std::mutex mu_;                               // held while listing: one listing at a time
  std::optional<Clock::time_point> listed_at_;  // guarded by mu_
  std::string key_;                             // guarded by mu_: what was listed
  std::vector<WorkloadImages> last_;            // guarded by mu_
};

}  // namespace tagflow::daemon
